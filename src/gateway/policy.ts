import type { RestartPolicy } from "../context/supervision.js";
import { systemClock } from "./clock.js";
import type { Clock } from "./clock.js";

/** What the supervisor does after one unexpected end. */
export type RestartDecision =
  | { restart: true; delayMs: number; attempt: number; failuresInWindow: number }
  | { restart: false; why: "policy" | "budget"; failuresInWindow: number };


/**
 * The restart policy's memory: consecutive failures (for the backoff) and failures in
 * the budget window. Pure apart from the clock and the random source, both injectable.
 *
 * @example
 * ```ts
 * const tracker = new RestartTracker({ ...DEFAULT_RESTART_POLICY, jitter: 0 });
 * tracker.onEnd({ clean: false, uptimeMs: 500 }); // { restart: true, delayMs: 1000, attempt: 1, ... }
 * ```
 */
export class RestartTracker {
  readonly policy: Readonly<RestartPolicy>;
  readonly #clock: Pick<Clock, "now">;
  readonly #random: () => number;
  #consecutive = 0;
  #failures: number[] = [];

  constructor(policy: Readonly<RestartPolicy>, clock: Pick<Clock, "now"> = systemClock, random: () => number = Math.random) {
    this.policy = policy;
    this.#clock = clock;
    this.#random = random;
  }

  /**
   * Decide after an unexpected end. `uptimeMs` is how long the gateway had been ready
   * (undefined when it never got ready); `clean` is an exit 0 nobody asked for.
   */
  onEnd(end: { clean: boolean; uptimeMs: number | undefined }): RestartDecision {
    const p = this.policy;
    const now = this.#clock.now();
    if (end.uptimeMs !== undefined && end.uptimeMs >= p.resetAfterMs) this.#consecutive = 0;
    if (p.mode === "never" || (p.mode === "on-failure" && end.clean)) {
      return { restart: false, why: "policy", failuresInWindow: this.#prune(now).length };
    }
    this.#failures.push(now);
    const inWindow = this.#prune(now).length;
    if (inWindow >= p.maxFailures) return { restart: false, why: "budget", failuresInWindow: inWindow };
    const base = Math.min(p.maxDelayMs, p.initialDelayMs * p.factor ** this.#consecutive);
    const spread = base * p.jitter * (2 * this.#random() - 1);
    const delayMs = Math.max(0, Math.min(p.maxDelayMs, Math.round(base + spread)));
    this.#consecutive += 1;
    return { restart: true, delayMs, attempt: this.#consecutive, failuresInWindow: inWindow };
  }

  /** Forget every failure (an explicit start or stop by the user). */
  reset(): void {
    this.#consecutive = 0;
    this.#failures = [];
  }

  #prune(now: number): number[] {
    this.#failures = this.#failures.filter((t) => now - t < this.policy.windowMs);
    return this.#failures;
  }
}

