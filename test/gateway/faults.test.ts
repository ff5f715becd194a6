import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost } from "clawhost";
import type { Gateway, GatewayBackoffInfo, GatewayExitInfo, GatewaySpec, GatewayState, LivenessOptions, RestartPolicy } from "clawhost";
import { expectNothingLeft, FAKE_OPENCLAW as bin, GatewayWatch, makeTmp, nextEvent, restartDelayElapsed, stillAlive, treeOf } from "../helpers.js";
import type { ProcIdentity } from "../../src/fs/proc.js";

// Policy branches end to end, driven by the fault-injection gateway (fast, deterministic faults).
const tmp = makeTmp("faults");
const leases = makeTmp("faults-leases");
// Each host its own range of whole blocks (120 ports each), from 8200 up.
let nextBase = 8200;
let fleet: GatewayWatch;

beforeEach(() => {
  fleet = new GatewayWatch();
});
afterEach(async () => {
  await fleet.disposeHosts();
  await expectNothingLeft({ leaseDir: leases.dir, gateways: fleet });
});
afterAll(() => {
  tmp.cleanup();
  leases.cleanup();
});

function hostWith(restart: Partial<RestartPolicy>, opts: { liveness?: Partial<LivenessOptions> | false; blocks?: number } = {}): GatewayHost {
  const from = nextBase;
  nextBase += 120 * (opts.blocks ?? 1);
  return fleet.host(
    new GatewayHost({ root: `${tmp.dir}/${from}`, ports: { from, to: nextBase - 1 }, leaseDir: leases.dir, openclaw: { bin }, restart, liveness: opts.liveness ?? false }),
  );
}

/** Record what a gateway does. */
function record(gw: Gateway) {
  const log = { states: [] as string[], exits: [] as GatewayExitInfo[], backoffs: [] as GatewayBackoffInfo[], procs: [] as ProcIdentity[] };
  gw.on("state", (c) => log.states.push(c.to));
  gw.on("exit", (e) => log.exits.push(e));
  gw.on("backoff", (b) => log.backoffs.push(b));
  gw.on("ready", (r) => log.procs.push(...treeOf(r.pid)));
  return log;
}

/** Resolves when the gateway enters one of `states`. */
function settled(gw: Gateway, states: GatewayState[]): Promise<unknown> {
  return nextEvent(gw, "state", ({ to }) => states.includes(to));
}

async function run(
  restart: Partial<RestartPolicy>,
  spec: GatewaySpec,
  body: (gw: Gateway, log: ReturnType<typeof record>, host: GatewayHost) => Promise<void>,
  blocks = 1,
) {
  const host = hostWith(restart, { blocks });
  const gw = await host.add(spec);
  const log = record(gw);
  try {
    await body(gw, log, host);
  } finally {
    await host[Symbol.asyncDispose]();
    expect(stillAlive(log.procs)).toEqual([]);
  }
}

describe("restart policy on the fault-injection gateway", () => {
  it("a crash loop backs off 50, 100, 200 ms, then the budget puts it in failed with CLAWHOST_CRASH_LOOP, last exit and output", async () => {
    await run(
      { initialDelayMs: 50, factor: 2, jitter: 0, maxFailures: 4, windowMs: 60_000 },
      { name: "loop", env: { FAKE_GATEWAY_CRASH_AFTER_MS: "900", FAKE_GATEWAY_EXIT_CODE: "3" } },
      async (gw, log) => {
        const failed = settled(gw, ["failed"]);
        await gw.start();
        await failed;
        expect(log.backoffs.map((b) => b.delayMs)).toEqual([50, 100, 200]);
        expect(log.exits.map((e) => [e.code, e.reason])).toEqual([
          [3, "crash"],
          [3, "crash"],
          [3, "crash"],
          [3, "crash"],
        ]);
        const err = gw.lastError!;
        expect(err.code).toBe("CLAWHOST_CRASH_LOOP");
        expect(err.message).toMatch(/^loop: ended unexpectedly 4 times/);
        expect((err.details as { lastExit: { code: number } }).lastExit.code).toBe(3);
        expect((err.details as { outputTail: string[] }).outputTail.join("\n")).toContain("fake starting");
        expect(gw.snapshot().restarts).toBe(3);
        expect(gw.pid).toBeUndefined();
      },
    );
  });

  it("a gateway that crashes once is restarted and stays ready", async () => {
    await run({ initialDelayMs: 50, jitter: 0 }, { name: "once", env: { FAKE_GATEWAY_CRASH_AFTER_MS: "900", FAKE_GATEWAY_CRASH_TIMES: "1" } }, async (gw, log) => {
      await gw.start();
      const firstPid = gw.pid;
      await nextEvent(gw, "ready");
      expect(gw.state).toBe("ready");
      expect(gw.pid).not.toBe(firstPid);
      expect(log.exits.map((e) => e.reason)).toEqual(["crash"]);
      expect(log.states).toEqual(["starting", "ready", "backoff", "starting", "ready"]);
    });
  });

  it("mode never: a crash leaves it failed with CLAWHOST_GATEWAY_EXITED, nothing respawned", async () => {
    await run({ mode: "never" }, { name: "never", env: { FAKE_GATEWAY_CRASH_AFTER_MS: "900" } }, async (gw, log) => {
      const failed = settled(gw, ["failed"]);
      await gw.start();
      await failed;
      expect(gw.lastError?.code).toBe("CLAWHOST_GATEWAY_EXITED");
      expect(log.backoffs).toEqual([]);
      expect(log.exits.length).toBe(1);
    });
  });

  it("an exit 0 nobody asked for: on-failure stops, always restarts", async () => {
    await run({}, { name: "clean", env: { FAKE_GATEWAY_CRASH_AFTER_MS: "900", FAKE_GATEWAY_EXIT_CODE: "0" } }, async (gw, log) => {
      const stopped = settled(gw, ["stopped"]);
      await gw.start();
      await stopped;
      expect(log.exits.map((e) => e.reason)).toEqual(["clean-exit"]);
      expect(log.backoffs).toEqual([]);
    });
    await run(
      { mode: "always", initialDelayMs: 50 },
      { name: "always", env: { FAKE_GATEWAY_CRASH_AFTER_MS: "900", FAKE_GATEWAY_EXIT_CODE: "0", FAKE_GATEWAY_CRASH_TIMES: "1" } },
      async (gw, log) => {
        await gw.start();
        await nextEvent(gw, "ready");
        expect(log.exits.map((e) => e.reason)).toEqual(["clean-exit"]);
        expect(log.backoffs.length).toBe(1);
      },
    );
  });

  it("exit 78 that doctor repairs: DOCTOR_RAN, then ready on the one retry", async () => {
    await run({}, { name: "fixable", env: { FAKE_GATEWAY_EXIT_CODE: "78", FAKE_GATEWAY_DOCTOR_FIXES: "1" } }, async (gw, log) => {
      const warnings: string[] = [];
      gw.on("warning", (w) => warnings.push(w.code));
      await gw.start();
      expect(gw.state).toBe("ready");
      expect(warnings).toEqual(["DOCTOR_RAN"]);
      expect(log.exits.map((e) => [e.code, e.reason, e.phase])).toEqual([[78, "config-invalid", "starting"]]);
    });
  });

  it("stop() during backoff ends in stopped and nothing is spawned afterwards", async () => {
    await run({ initialDelayMs: 2_000, jitter: 0 }, { name: "backoff", env: { FAKE_GATEWAY_CRASH_AFTER_MS: "900" } }, async (gw, log, host) => {
      const inBackoff = settled(gw, ["backoff"]);
      await gw.start();
      await inBackoff;
      await gw.stop();
      expect(gw.state).toBe("stopped");
      // A gateway on the same policy, killed only now, has been restarted by it: the
      // stopped gateway's cancelled restart was due before that, and nothing came of it.
      await restartDelayElapsed(host);
      expect(gw.state).toBe("stopped");
      expect(log.states.slice(-2)).toEqual(["backoff", "stopped"]);
      expect(log.exits.length).toBe(1);
    }, 2); // a second block for the witness
  });

  it("start() during backoff starts at once and resets the policy", async () => {
    await run({ initialDelayMs: 60_000, jitter: 0 }, { name: "early", env: { FAKE_GATEWAY_CRASH_AFTER_MS: "900", FAKE_GATEWAY_CRASH_TIMES: "1" } }, async (gw) => {
      const inBackoff = settled(gw, ["backoff"]);
      await gw.start();
      await inBackoff;
      await gw.start();
      expect(gw.state).toBe("ready");
      expect(gw.snapshot().restarts).toBe(0);
    });
  });

  it("a gateway that ignores SIGTERM: stop() escalates to SIGKILL and resolves only when its tree is gone", async () => {
    await run({}, { name: "stubborn", env: { FAKE_GATEWAY_IGNORE_SIGTERM: "1" } }, async (gw, log) => {
      await gw.start();
      const tree = treeOf(gw.pid!);
      expect(tree.length).toBeGreaterThanOrEqual(2);
      await gw.stop({ timeoutMs: 500 });
      expect(stillAlive(tree)).toEqual([]);
      expect(log.exits.map((e) => [e.signal, e.reason])).toEqual([["SIGKILL", "stopped"]]);
    });
  });

  it("a hung event loop is caught by liveness and restarted", async () => {
    const host = hostWith({ initialDelayMs: 50 }, { liveness: { intervalMs: 300, timeoutMs: 300, failures: 2 } });
    const gw = await host.add({ name: "hang", env: { FAKE_GATEWAY_HANG_AFTER_MS: "300", FAKE_GATEWAY_CRASH_TIMES: "1" } });
    const log = record(gw);
    try {
      const unhealthy = nextEvent(gw, "unhealthy");
      await gw.start();
      const first = gw.pid;
      const readyAgain = nextEvent(gw, "ready");
      await unhealthy;
      await readyAgain;
      expect(gw.pid).not.toBe(first);
      expect(log.exits.map((e) => e.reason)).toEqual(["unhealthy"]);
      expect(log.states).toEqual(["starting", "ready", "unhealthy", "backoff", "starting", "ready"]);
    } finally {
      await host[Symbol.asyncDispose]();
      expect(stillAlive(log.procs)).toEqual([]);
    }
  });

  it("illegal calls throw typed errors", async () => {
    const host = hostWith({});
    const gw = await host.add({ name: "illegal" });
    const err = await gw.call("health").catch((e: unknown) => e);
    expect((err as ClawhostError).code).toBe("CLAWHOST_NOT_READY");
    const err2 = await gw.restart({ inPlace: true }).catch((e: unknown) => e);
    expect((err2 as ClawhostError).code).toBe("CLAWHOST_ILLEGAL_STATE");
    await host.remove("illegal");
    await expect(gw.start()).rejects.toMatchObject({ code: "CLAWHOST_HOST_DISPOSED" });
    await host[Symbol.asyncDispose]();
  });
});

describe("in-place restart by what the gateway offers (fault-injection gateway)", () => {
  /** Output lines of `gw` that say how it restarted in place. */
  const restartLines = (gw: Gateway): string[] => {
    const lines: string[] = [];
    gw.on("log", (l) => {
      if (l.line.includes("restarting in-process")) lines.push(l.line.replace(/^\[gateway\] /, ""));
    });
    return lines;
  };

  it("hello-ok lists gateway.restart.request: asked over the RPC, no signal", async () => {
    await run({}, { name: "rpc" }, async (gw, log) => {
      const lines = restartLines(gw);
      await gw.start();
      const pid = gw.pid;
      const before = gw.bootId;
      await gw.restart({ inPlace: true });
      expect(gw.pid).toBe(pid);
      expect(gw.bootId).not.toBe(before);
      expect(lines).toEqual(["gateway.restart.request: restarting in-process"]);
      expect(log.exits).toEqual([]);
    });
  });

  it("no such method, a SIGUSR2 handler: SIGUSR2", async () => {
    await run({}, { name: "usr2", env: { FAKE_GATEWAY_RESTART_RPC: "0" } }, async (gw, log) => {
      const lines = restartLines(gw);
      await gw.start();
      expect(gw.hello?.features?.methods).not.toContain("gateway.restart.request");
      const before = gw.bootId;
      await gw.restart({ inPlace: true });
      expect(gw.bootId).not.toBe(before);
      expect(lines).toEqual(["SIGUSR2: restarting in-process"]);
      expect(log.exits).toEqual([]);
    });
  });

  it("neither (SIGUSR2 would kill it): CLAWHOST_RESTART_UNSUPPORTED, the process untouched and still ready", async () => {
    await run({}, { name: "neither", env: { FAKE_GATEWAY_RESTART_RPC: "0", FAKE_GATEWAY_SIGUSR2: "0" } }, async (gw, log) => {
      await gw.start();
      const pid = gw.pid;
      const before = gw.bootId;
      const err = await gw.restart({ inPlace: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClawhostError);
      expect(err).toMatchObject({ code: "CLAWHOST_RESTART_UNSUPPORTED", gateway: "neither", value: gw.hello?.server.version, details: { pid } });
      expect((err as ClawhostError).message).toMatch(/^neither: /);
      expect(gw.state).toBe("ready");
      expect(gw.pid).toBe(pid);
      expect(gw.bootId).toBe(before);
      expect(((await gw.call("health", {})) as { ok?: boolean }).ok).toBe(true);
      expect(log.exits).toEqual([]);
    });
  });
});
