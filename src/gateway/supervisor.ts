import type { ClawhostError } from "../errors.js";
import type { ExitReason } from "../process/exit.js";
import type { Clock } from "./clock.js";
import { crashLoop } from "./errors.js";
import { RestartTracker } from "./policy.js";
import type { GatewayBackoffInfo, GatewayExitInfo, SupervisionOptions } from "./types.js";

/** The supervisor's verdict after an unexpected end. */
export type Verdict =
  | { to: "failed" | "stopped"; error: ClawhostError }
  | { to: "backoff"; error: ClawhostError; backoff: GatewayBackoffInfo };

/** Causes a new process would meet again: never restarted. */
function terminal(reason: ExitReason | "start-failed", error: ClawhostError): boolean {
  return (
    reason === "state-dir-in-use" ||
    reason === "port-conflict" ||
    error.code === "CLAWHOST_CONFIG_INVALID" ||
    error.code === "CLAWHOST_STATE_DIR_IN_USE" ||
    error.code === "CLAWHOST_PORT_IN_USE"
  );
}

/**
 * The restart policy at work, on an injected clock: after each unexpected end it decides
 * between `backoff` (and schedules the restart), `failed` and `stopped`; one pending
 * restart at a time.
 */
export class Supervisor {
  readonly #name: string;
  readonly #opts: SupervisionOptions;
  readonly #clock: Clock;
  readonly #tracker: RestartTracker;
  #timer: unknown;
  #restarts = 0;

  constructor(name: string, opts: SupervisionOptions, clock: Clock, random: () => number) {
    this.#name = name;
    this.#opts = opts;
    this.#clock = clock;
    this.#tracker = new RestartTracker(opts.restart, clock, random);
  }

  /** Restarts by the policy since the last explicit start. */
  get restarts(): number {
    return this.#restarts;
  }

  /** An explicit start or stop: forget failures, cancel a pending restart. */
  reset(): void {
    this.cancel();
    this.#tracker.reset();
    this.#restarts = 0;
  }

  /** What happens after an unexpected end. */
  decide(reason: ExitReason | "start-failed", uptimeMs: number | undefined, error: ClawhostError, lastExit: GatewayExitInfo | undefined): Verdict {
    if (terminal(reason, error)) return { to: "failed", error };
    const d = this.#tracker.onEnd({ clean: reason === "clean-exit", uptimeMs });
    if (d.restart) {
      return { to: "backoff", error, backoff: { delayMs: d.delayMs, attempt: d.attempt, failuresInWindow: d.failuresInWindow, after: reason } };
    }
    if (d.why === "budget") return { to: "failed", error: crashLoop(this.#name, d.failuresInWindow, this.#opts.restart.windowMs, reason, lastExit, error) };
    return { to: reason === "clean-exit" ? "stopped" : "failed", error };
  }

  /** Run `restart` after `delayMs` (replacing a pending one). */
  schedule(delayMs: number, restart: () => void): void {
    this.cancel();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#restarts += 1;
      restart();
    }, delayMs);
  }

  /** Cancel a pending restart. */
  cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  get pending(): boolean {
    return this.#timer !== undefined;
  }
}
