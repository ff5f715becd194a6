import type { LivenessOptions } from "../context/supervision.js";
import type { Scheduler } from "./clock.js";

/** The latest liveness probe of a gateway. */
export interface HealthResult {
  ok: boolean;
  /** When the probe ended (ISO 8601). */
  at: string;
  /** Round trip of the ping (ok) or how long it was waited for (not ok). */
  latencyMs: number;
  /** Probes missed in a row, this one included. */
  missed: number;
}

/** What a liveness monitor reports when it gives up on a gateway. */
export interface Unhealthy {
  missed: number;
  lastOkAt: Date | undefined;
  reason: string;
}

/**
 * Liveness of one ready run, on the host's shared ticker (one timer per interval for the
 * whole fleet). `probe` is a ping on the protocol connection clawhost already holds; a
 * probe still in flight at the next tick is not doubled. `failures` misses in a row call
 * `onUnhealthy` once.
 */
export class LivenessMonitor {
  readonly #opts: LivenessOptions;
  readonly #ticker: Scheduler;
  #cancel: (() => void) | undefined;
  #last: HealthResult | undefined;

  constructor(opts: LivenessOptions, ticker: Scheduler) {
    this.#opts = opts;
    this.#ticker = ticker;
  }

  /** Start probing; replaces a previous watch. */
  watch(probe: (timeoutMs: number) => Promise<boolean>, onUnhealthy: (u: Unhealthy) => void): void {
    this.stop();
    const { intervalMs, timeoutMs, failures } = this.#opts;
    let missed = 0;
    let lastOkAt: Date | undefined;
    let inFlight = false;
    let live = true;
    const tick = async (): Promise<void> => {
      if (inFlight) return;
      inFlight = true;
      const began = performance.now();
      const ok = await probe(timeoutMs).catch(() => false);
      inFlight = false;
      if (!live) return;
      this.#last = { ok, at: new Date().toISOString(), latencyMs: Math.round(performance.now() - began), missed: ok ? 0 : missed + 1 };
      if (ok) {
        missed = 0;
        lastOkAt = new Date();
        return;
      }
      if (++missed < failures) return;
      this.stop();
      onUnhealthy({ missed, lastOkAt, reason: `no answer to a protocol ping within ${timeoutMs} ms, ${missed} times in a row` });
    };
    const cancelTicker = this.#ticker.every(intervalMs, () => void tick());
    this.#cancel = () => {
      live = false;
      cancelTicker();
    };
  }

  /** Stop probing. */
  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /** The latest probe's result (kept after the watch ends). */
  get last(): HealthResult | undefined {
    return this.#last;
  }

  get watching(): boolean {
    return this.#cancel !== undefined;
  }
}
