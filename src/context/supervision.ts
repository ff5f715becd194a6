import * as z from "zod";

/**
 * When a gateway ends without being asked to:
 * - `never`: stay down (`failed`);
 * - `on-failure` (default): restart after a crash, a signal from outside or a hang, not
 *   after a clean exit 0;
 * - `always`: restart after a clean exit too.
 *
 * Config errors, a state dir held by another process and a port taken by another process
 * are never restarted: a new process would meet the same wall (see docs/lifecycle.md).
 */
export type RestartMode = "never" | "on-failure" | "always";

/**
 * Restart policy of a gateway, all fields defaulted.
 *
 * The defaults, and why:
 * - `initialDelayMs: 1000`: most crashes are one-off; 1 s regains service 4 s sooner
 *   than OpenClaw's systemd unit (`RestartSec=5`) while a boot takes 6-18 s anyway.
 * - `factor: 2`, `maxDelayMs: 30000`: a gateway that keeps dying backs off to a
 *   retry every 30 s instead of burning a core on 2-core hosts.
 * - `jitter: 0.2`: gateways killed together (OOM killer) do not boot together.
 * - `resetAfterMs: 60000`: a gateway that stayed up a minute after its ready is healthy
 *   again; the next crash starts the sequence at `initialDelayMs`.
 * - `maxFailures: 5` within `windowMs: 300000`: the fifth unexpected end within five
 *   minutes puts the gateway in `failed` (systemd's unit allows 10 per 300 s, with
 *   fixed 5 s waits; five with backoff cover about 31 s of retries).
 */
export interface RestartPolicy {
  mode: RestartMode;
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** Fraction of the delay added or removed at random: 0.2 gives delay x [0.8, 1.2]. */
  jitter: number;
  resetAfterMs: number;
  maxFailures: number;
  windowMs: number;
}

/** The documented defaults of {@link RestartPolicy}. */
export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({
  mode: "on-failure",
  initialDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 30_000,
  jitter: 0.2,
  resetAfterMs: 60_000,
  maxFailures: 5,
  windowMs: 300_000,
});


/**
 * Liveness probing of a ready gateway: a WebSocket ping on the protocol connection
 * clawhost already holds (no new connection per probe; a dropped connection is
 * reopened, and that handshake is the probe) every `intervalMs`, each given
 * `timeoutMs`; `failures` misses in a row make it `unhealthy` (a SIGSTOPped process or a
 * blocked event loop answers nothing), and it is restarted per policy. Defaults
 * 5000 / 5000 / 3: a hang is caught within ~25 s, while a gateway busy for a few seconds
 * on a loaded 2-core host is left alone.
 */
export interface LivenessOptions {
  intervalMs: number;
  timeoutMs: number;
  failures: number;
}

/** The documented defaults of {@link LivenessOptions}. */
export const DEFAULT_LIVENESS: Readonly<LivenessOptions> = Object.freeze({ intervalMs: 5_000, timeoutMs: 5_000, failures: 3 });

const ms = z.number().int().min(0).max(3_600_000);

/** zod schema of a partial {@link RestartPolicy} (host default or per gateway). */
export const restartPolicySchema = z
  .object({
    mode: z.enum(["never", "on-failure", "always"]),
    initialDelayMs: ms,
    factor: z.number().min(1).max(10),
    maxDelayMs: ms,
    jitter: z.number().min(0).max(1),
    resetAfterMs: ms,
    maxFailures: z.number().int().min(1).max(1_000),
    windowMs: ms.min(1),
  })
  .partial()
  .strict();

/** zod schema of partial {@link LivenessOptions}, or `false` to turn probing off. */
export const livenessSchema = z.union([
  z.literal(false),
  z
    .object({
      intervalMs: ms.min(100),
      timeoutMs: ms.min(100),
      failures: z.number().int().min(1).max(100),
    })
    .partial()
    .strict(),
]);
