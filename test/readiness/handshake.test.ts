import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { waitForHello } from "../../src/readiness/handshake.js";
import { WakeableSleep } from "../../src/wake.js";

/** A port nothing listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen({ port: 0, host: "127.0.0.1" }, r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
};

afterEach(() => {
  vi.useRealTimers();
});

describe("the wait between readiness probes (WakeableSleep)", () => {
  it("lasts its interval without a wake, and ends at once on one", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const gap = new WakeableSleep();
    const plain = gap.sleep(150, new AbortController().signal);
    vi.advanceTimersByTime(149);
    expect(await settled(plain)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await settled(plain)).toBe(true);

    const hinted = gap.sleep(150, new AbortController().signal);
    expect(await settled(hinted)).toBe(false);
    gap.wake();
    expect(await settled(hinted)).toBe(true);
  });

  it("a wake that came while no wait was under way ends the next wait, once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const gap = new WakeableSleep();
    gap.wake();
    expect(await settled(gap.sleep(150, new AbortController().signal))).toBe(true);
    expect(await settled(gap.sleep(150, new AbortController().signal))).toBe(false);
  });

  it("waitForHello probes again as soon as the process says it listens", async () => {
    const port = await closedPort();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const wakes = new Set<() => void>();
    let probes = 0;
    const abort = new AbortController();
    const waiting = waitForHello({
      port,
      token: "t".repeat(64),
      gateway: "hinted",
      deadline: Date.now() + 60_000,
      signal: abort.signal,
      check: () => void probes++,
      onHint: (wake) => {
        wakes.add(wake);
        return () => wakes.delete(wake);
      },
    }).catch((err: unknown) => err);
    // The first probe is refused; then the wait holds (its timer never fires here).
    await vi.waitFor(() => expect(probes).toBe(1));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(probes).toBe(1);
    for (const wake of wakes) wake();
    await vi.waitFor(() => expect(probes).toBe(2));
    abort.abort();
    expect(await waiting).toMatchObject({ code: "CLAWHOST_ABORTED" });
    // The subscription ends with the wait.
    expect(wakes.size).toBe(0);
  });
});
