/** The time seam: the state machine, backoff and liveness read time and set timers only through it. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real time (fake timers replace the globals it calls, so unit tests drive it too). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Periodic work: `every(ms, fn)` until the returned function is called. */
export interface Scheduler {
  every(intervalMs: number, fn: () => void): () => void;
}

/**
 * Periodic work shared by every gateway of a host: one timer per distinct interval,
 * whatever the number of gateways, instead of one timer per gateway.
 *
 * @example
 * ```ts
 * const ticker = new Ticker();
 * const stop = ticker.every(5_000, () => probe());
 * stop();
 * ```
 */
export class Ticker implements Scheduler {
  readonly #groups = new Map<number, { timer: NodeJS.Timeout; fns: Set<() => void> }>();

  /** Call `fn` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, fn: () => void): () => void {
    let group = this.#groups.get(intervalMs);
    if (!group) {
      const fns = new Set<() => void>();
      const timer = setInterval(() => {
        for (const f of [...fns]) f();
      }, intervalMs);
      timer.unref?.();
      group = { timer, fns };
      this.#groups.set(intervalMs, group);
    }
    const entry = (): void => fn();
    group.fns.add(entry);
    return () => {
      const g = this.#groups.get(intervalMs);
      if (!g) return;
      g.fns.delete(entry);
      if (g.fns.size === 0) {
        clearInterval(g.timer);
        this.#groups.delete(intervalMs);
      }
    };
  }

  /** Intervals with live timers (for tests and diagnostics). */
  get timers(): number {
    return this.#groups.size;
  }
}
