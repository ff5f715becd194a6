/**
 * A wait that a wake-up ends early: `sleep(ms)` resolves after `ms`, at `wake()`, or at
 * the signal's abort, whichever comes first. A wake that comes while no sleep is under
 * way is kept and ends the next sleep at once (once), so one that lands between two
 * sleeps (while the caller is busy looking) is never lost. Used by the readiness probes
 * (woken by the process saying it listens) and the lock's waiters (woken by a release).
 */
export class WakeableSleep {
  #woken = false;
  #wake: (() => void) | undefined;

  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#woken || signal?.aborted) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.#wake = undefined;
        this.#woken = false;
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#wake = done;
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
