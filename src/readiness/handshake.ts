import { connect } from "node:net";
import { ClawhostError, isClawhostError } from "../errors.js";
import { GatewayConnection } from "../rpc/connection.js";
import { WakeableSleep } from "../wake.js";
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
  /**
   * Hints that the port may be open now (the process said it listens): the wait between
   * two probes ends at once. Returns the unsubscribe; the probes go on without it.
   */
  onHint?: (wake: () => void) => () => void;
}

const RETRY_MS = 150;

function refused(opts: WaitForHelloOptions): ClawhostError {
  const url = `ws://127.0.0.1:${opts.port}`;
  return new ClawhostError("CLAWHOST_CONNECTION_CLOSED", `cannot open ${url}.`, {
    gateway: opts.gateway,
    value: url,
    fix: "nothing listens there yet (booting) or any more (exited): start() the gateway, or wait for onReady().",
  });
}

/** The readiness seam: resolves with a live connection once the gateway is ready. */
export type ReadinessStrategy = (opts: WaitForHelloOptions) => Promise<Connection>;

/**
 * True once a TCP connection to 127.0.0.1:`port` opens (then closed at once); false when
 * it is refused, fails, or neither happens within `timeoutMs`.
 */
function accepts(port: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
      socket.destroy();
      resolve(ok);
    };
    const abort = (): void => done(false);
    const timer = setTimeout(abort, timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", abort);
    signal.addEventListener("abort", abort, { once: true });
  });
}

/**
 * Readiness = the gateway protocol's `hello-ok`, not TCP listen (a listening port may
 * still belong to a draining old process). Retries refused sockets and the gateway's
 * `UNAVAILABLE` answer during boot (honouring `retryAfterMs`) until the deadline; the
 * returned connection is live and its `hello.server.bootId` identifies this boot.
 * While nothing listens, a bare TCP connect is the probe: a protocol attempt costs ~5x
 * the CPU, and a booting fleet makes ~100 of them a second. The probe runs every
 * 150 ms, and at once when `onHint` says the process reported listening.
 */
export async function waitForHello(opts: WaitForHelloOptions): Promise<Connection> {
  const gap = new WakeableSleep();
  const unhint = opts.onHint?.(() => gap.wake());
  try {
    return await probeUntilHello(opts, gap);
  } finally {
    unhint?.();
  }
}

async function probeUntilHello(opts: WaitForHelloOptions, gap: WakeableSleep): Promise<Connection> {
  let lastError: unknown;
  // The last attempt found nothing listening (its error is built only if it is needed).
  let refusedLast = false;
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
        cause: refusedLast ? refused(opts) : lastError,
      });
    }
    if (!(await accepts(opts.port, Math.min(remaining, 10_000), opts.signal))) {
      if (opts.signal.aborted) continue;
      refusedLast = true;
      await gap.sleep(Math.min(RETRY_MS, Math.max(0, opts.deadline - Date.now())), opts.signal);
      continue;
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
      refusedLast = false;
      if (isClawhostError(err, "CLAWHOST_ABORTED")) continue;
      const details = isClawhostError(err) ? (err.details as { code?: string; retryAfterMs?: number } | undefined) : undefined;
      if (isClawhostError(err, "CLAWHOST_RPC_ERROR") && details?.code !== "UNAVAILABLE") throw err;
      const wait = Math.min(Math.max(details?.retryAfterMs ?? RETRY_MS, 50), 1_000);
      await gap.sleep(Math.min(wait, Math.max(0, opts.deadline - Date.now())), opts.signal);
    }
  }
}
