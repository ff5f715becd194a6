import { ClawhostError, isClawhostError } from "../errors.js";
import { GatewayConnection } from "../rpc/connection.js";
import type { Connection } from "../rpc/connection.js";

/** Options of {@link waitForHello}. */
export interface WaitForHelloOptions {
  port: number;
  token: string;
  gateway: string;
  /** Absolute deadline (epoch ms). */
  deadline: number;
  signal: AbortSignal;
  /** Called between attempts: throw to stop waiting (e.g. the child exited). */
  check?: () => void;
}

const RETRY_MS = 150;

/** The readiness seam: resolves with a live connection once the gateway is ready. */
export type ReadinessStrategy = (opts: WaitForHelloOptions) => Promise<Connection>;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Readiness = the gateway protocol's `hello-ok`, not TCP listen (a listening port may
 * still belong to a draining old process). Retries refused sockets and the gateway's
 * `UNAVAILABLE` answer during boot (honouring `retryAfterMs`) until the deadline; the
 * returned connection is live and its `hello.server.bootId` identifies this boot.
 */
export async function waitForHello(opts: WaitForHelloOptions): Promise<Connection> {
  let lastError: unknown;
  for (;;) {
    if (opts.signal.aborted) {
      throw new ClawhostError("CLAWHOST_ABORTED", "start aborted while waiting for readiness.", {
        gateway: opts.gateway,
        value: "readiness",
        fix: "nothing to fix when the abort was meant (a stop(), or the caller's signal); otherwise give the start more time.",
        cause: opts.signal.reason,
      });
    }
    opts.check?.();
    const remaining = opts.deadline - Date.now();
    if (remaining <= 0) {
      throw new ClawhostError("CLAWHOST_READINESS_TIMEOUT", "no hello-ok before the readiness deadline.", {
        gateway: opts.gateway,
        value: opts.port,
        fix: "raise timeoutMs, or read the gateway's output for why it never answered.",
        cause: lastError,
      });
    }
    try {
      return await GatewayConnection.open({
        url: `ws://127.0.0.1:${opts.port}`,
        token: opts.token,
        timeoutMs: Math.min(remaining, 10_000),
        signal: opts.signal,
        gateway: opts.gateway,
      });
    } catch (err) {
      lastError = err;
      if (isClawhostError(err, "CLAWHOST_ABORTED")) continue;
      const details = isClawhostError(err) ? (err.details as { code?: string; retryAfterMs?: number } | undefined) : undefined;
      if (isClawhostError(err, "CLAWHOST_RPC_ERROR") && details?.code !== "UNAVAILABLE") throw err;
      const wait = Math.min(Math.max(details?.retryAfterMs ?? RETRY_MS, 50), 1_000);
      await sleep(Math.min(wait, Math.max(0, opts.deadline - Date.now())), opts.signal);
    }
  }
}
