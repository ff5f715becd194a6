import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_RESTART_POLICY } from "../../src/context/supervision.js";
import type { RestartPolicy } from "../../src/context/supervision.js";
import { RestartTracker } from "../../src/gateway/policy.js";

const noJitter: RestartPolicy = { ...DEFAULT_RESTART_POLICY, jitter: 0 };
const crash = (uptimeMs?: number) => ({ clean: false, uptimeMs });

describe("restart policy", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("backs off exponentially from initialDelayMs, capped at maxDelayMs", () => {
    const t = new RestartTracker({ ...noJitter, maxFailures: 100 });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = t.onEnd(crash(100));
      if (!d.restart) throw new Error("expected a restart");
      delays.push(d.delayMs);
      vi.advanceTimersByTime(d.delayMs);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it("resets the backoff after a stable uptime of resetAfterMs, not before", () => {
    const t = new RestartTracker({ ...noJitter, maxFailures: 100 });
    t.onEnd(crash(10));
    t.onEnd(crash(10));
    const third = t.onEnd(crash(59_999));
    expect(third).toMatchObject({ restart: true, delayMs: 4_000, attempt: 3 });
    const afterStable = t.onEnd(crash(60_000));
    expect(afterStable).toMatchObject({ restart: true, delayMs: 1_000, attempt: 1 });
  });

  it("gives up with why=budget on the maxFailures-th failure within windowMs", () => {
    const t = new RestartTracker(noJitter);
    const decisions = Array.from({ length: 5 }, () => {
      const d = t.onEnd(crash(100));
      vi.advanceTimersByTime(10_000);
      return d;
    });
    expect(decisions.slice(0, 4).every((d) => d.restart)).toBe(true);
    expect(decisions[4]).toEqual({ restart: false, why: "budget", failuresInWindow: 5 });
  });

  it("forgets failures older than windowMs", () => {
    const t = new RestartTracker(noJitter);
    for (let i = 0; i < 4; i++) t.onEnd(crash(100));
    vi.advanceTimersByTime(300_000);
    const d = t.onEnd(crash(100));
    expect(d).toMatchObject({ restart: true, failuresInWindow: 1 });
  });

  it("keeps jitter within delay x [1 - jitter, 1 + jitter], reaching both ends", () => {
    for (const [random, expected] of [
      [0, 800],
      [0.5, 1_000],
      [0.999999, 1_200],
    ] as const) {
      const t = new RestartTracker({ ...DEFAULT_RESTART_POLICY, jitter: 0.2 }, undefined, () => random);
      const d = t.onEnd(crash(1));
      expect(d).toMatchObject({ restart: true, delayMs: expected });
    }
    const t = new RestartTracker({ ...DEFAULT_RESTART_POLICY, jitter: 0.2, maxFailures: 1_000 });
    for (let i = 0; i < 500; i++) {
      const d = t.onEnd(crash(60_000));
      if (!d.restart) throw new Error("expected a restart");
      expect(d.delayMs).toBeGreaterThanOrEqual(800);
      expect(d.delayMs).toBeLessThanOrEqual(1_200);
    }
  });

  it("never exceeds maxDelayMs even with jitter on top", () => {
    const t = new RestartTracker({ ...DEFAULT_RESTART_POLICY, jitter: 0.5, maxFailures: 100 }, undefined, () => 0.999);
    let last = 0;
    for (let i = 0; i < 10; i++) {
      const d = t.onEnd(crash(1));
      if (d.restart) last = d.delayMs;
    }
    expect(last).toBe(30_000);
  });

  it("mode never: no restart; on-failure: no restart after a clean exit; always: restart after it", () => {
    expect(new RestartTracker({ ...noJitter, mode: "never" }).onEnd(crash(1))).toMatchObject({ restart: false, why: "policy" });
    expect(new RestartTracker(noJitter).onEnd({ clean: true, uptimeMs: 1 })).toMatchObject({ restart: false, why: "policy" });
    expect(new RestartTracker(noJitter).onEnd(crash(1))).toMatchObject({ restart: true });
    expect(new RestartTracker({ ...noJitter, mode: "always" }).onEnd({ clean: true, uptimeMs: 1 })).toMatchObject({
      restart: true,
      delayMs: 1_000,
    });
  });

  it("a failure before ready (no uptime) never resets the backoff", () => {
    const t = new RestartTracker(noJitter);
    t.onEnd(crash(undefined));
    expect(t.onEnd(crash(undefined))).toMatchObject({ delayMs: 2_000, attempt: 2 });
  });

  it("reset() forgets both the backoff and the budget", () => {
    const t = new RestartTracker(noJitter);
    for (let i = 0; i < 4; i++) t.onEnd(crash(1));
    t.reset();
    expect(t.onEnd(crash(1))).toEqual({ restart: true, delayMs: 1_000, attempt: 1, failuresInWindow: 1 });
  });
});
