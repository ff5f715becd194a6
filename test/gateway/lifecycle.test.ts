// The state machine on scripted seams: a fake clock, spawner, readiness and port prober.
// No process, socket or real timer is involved, so every branch runs in milliseconds.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost } from "clawhost";
import type { Gateway, GatewayState } from "clawhost";
import { hostWithSeams } from "../../src/host/host.js";
import { Lifecycle, TRANSITIONS } from "../../src/gateway/lifecycle.js";
import { systemClock } from "../../src/gateway/clock.js";
import { makeTmp } from "../helpers.js";
import { FakeWorld, nextState, settle } from "./fakes.js";

const FAKE_BIN = new URL("../fixtures/fake-openclaw/openclaw.mjs", import.meta.url).pathname;

// Every transition any test of this file made, to check the table is covered.
const seen = new Set<string>();

let tmp: ReturnType<typeof makeTmp>;
let world: FakeWorld;
let host: GatewayHost;

async function gateway(spec: Record<string, unknown> = {}): Promise<Gateway> {
  const gw = await host.add({ name: `g${host.list().length}`, ...spec });
  gw.on("state", ({ from, to }) => seen.add(`${from}->${to}`));
  return gw;
}

beforeEach(() => {
  tmp = makeTmp("lifecycle");
  world = new FakeWorld();
  host = hostWithSeams(
    { root: `${tmp.dir}/root`, leaseDir: `${tmp.dir}/leases`, openclaw: { bin: FAKE_BIN }, ports: { from: 41000, to: 47000 }, stopTimeoutMs: 1_000 },
    world.seams(),
  );
});

afterEach(async () => {
  await host[Symbol.asyncDispose]().catch(() => undefined);
  // Every fake process that was spawned was also ended.
  expect(world.procs.filter((p) => !p.exitInfo).map((p) => p.pid)).toEqual([]);
  tmp.cleanup();
});

afterAll(() => {
  const all = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}->${to}`));
  expect(all.filter((t) => !seen.has(t))).toEqual([]);
});

describe("transition table", () => {
  it("refuses a move it does not list, with a typed error", () => {
    const life = new Lifecycle("x", systemClock, () => undefined);
    expect(() => life.set("ready")).toThrow(expect.objectContaining({ code: "CLAWHOST_ILLEGAL_STATE" }));
    life.set("starting");
    life.set("ready");
    expect(() => life.set("starting")).toThrow(ClawhostError);
  });

  it("every state can reach stopped", () => {
    for (const state of Object.keys(TRANSITIONS) as GatewayState[]) {
      const seenStates = new Set<GatewayState>([state]);
      const queue = [state];
      while (queue.length) for (const to of TRANSITIONS[queue.shift()!]) if (!seenStates.has(to)) (seenStates.add(to), queue.push(to));
      expect(seenStates.has("stopped")).toBe(true);
    }
  });
});

describe("start and stop", () => {
  it("start, ready, stop", async () => {
    const gw = await gateway();
    await gw.start();
    expect(gw.state).toBe("ready");
    expect(gw.pid).toBe(world.last.pid);
    expect(gw.snapshot().resources).toMatchObject({ rssBytes: 40 << 20, cpuMs: 100, cpuPercent: 2.5, processes: 1 });
    await gw.stop();
    expect(gw.state).toBe("stopped");
    expect(world.last.signals).toEqual(["SIGTERM"]);
    expect(world.last.released).toBe(true);
  });

  it("many concurrent start() calls share one spawn; many stop() calls one stop", async () => {
    const gw = await gateway();
    await Promise.all(Array.from({ length: 20 }, () => gw.start()));
    expect(world.procs).toHaveLength(1);
    await Promise.all(Array.from({ length: 20 }, () => gw.stop()));
    expect(world.last.signals).toEqual(["SIGTERM"]);
    expect(gw.state).toBe("stopped");
  });

  it("stop() during a start aborts it: start rejects ABORTED, stop ends in stopped", async () => {
    world.defaultBoot = { kind: "manual" };
    const gw = await gateway();
    const starting = gw.start();
    await nextState(gw, "starting");
    await settle();
    const stopping = gw.stop();
    await expect(starting).rejects.toMatchObject({ code: "CLAWHOST_ABORTED" });
    await stopping;
    expect(gw.state).toBe("stopped");
  });

  it("start() while stopping waits for the stop, then starts", async () => {
    const gw = await gateway();
    await gw.start();
    const stopping = gw.stop();
    const starting = gw.start();
    await stopping;
    await starting;
    expect(gw.state).toBe("ready");
    expect(world.procs).toHaveLength(2);
  });

  it("random concurrent start/stop/restart from many callers end consistently", async () => {
    const gw = await gateway();
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ops: Array<Promise<unknown>> = [];
    for (let i = 0; i < 60; i++) {
      const r = rand();
      ops.push((r < 0.4 ? gw.start() : r < 0.8 ? gw.stop() : gw.restart()).catch((e: ClawhostError) => (e.code === "CLAWHOST_ABORTED" ? e.code : e)));
      if (rand() < 0.3) await settle();
    }
    const outcomes = await Promise.all(ops);
    for (const o of outcomes) if (o !== undefined && o !== "CLAWHOST_ABORTED") throw o;
    await gw.stop();
    expect(gw.state).toBe("stopped");
    expect(world.procs.every((p) => p.exitInfo)).toBe(true);
  });

  it("a start that misses its deadline ends the process and fails with READINESS_TIMEOUT", async () => {
    world.defaultBoot = { kind: "never" };
    const gw = await gateway();
    const starting = gw.start();
    world.timeOut(await world.waiting());
    await expect(starting).rejects.toMatchObject({ code: "CLAWHOST_READINESS_TIMEOUT", gateway: gw.name });
    expect(gw.state).toBe("failed");
    expect(gw.lastExit?.reason).toBe("start-timeout");
    await gw.stop();
  });

  it("an exit during start fails the start with GATEWAY_EXITED; start() again leaves failed", async () => {
    world.boots = [{ kind: "exit", code: 1 }];
    const gw = await gateway();
    await expect(gw.start()).rejects.toMatchObject({ code: "CLAWHOST_GATEWAY_EXITED", value: 1 });
    expect(gw.state).toBe("failed");
    expect(gw.lastExit).toMatchObject({ reason: "crash", phase: "starting" });
    await gw.start();
    expect(gw.state).toBe("ready");
    await gw.stop();
  });

  it("exit 78 runs doctor once, retries once, then fails with CONFIG_INVALID", async () => {
    world.boots = [{ kind: "exit", code: 78 }, { kind: "exit", code: 78 }];
    const gw = await gateway();
    const warnings: string[] = [];
    gw.on("warning", (w) => warnings.push(w.code));
    await expect(gw.start()).rejects.toMatchObject({ code: "CLAWHOST_CONFIG_INVALID" });
    expect(world.doctorRuns).toBe(1);
    expect(warnings).toContain("DOCTOR_RAN");
    expect(world.procs).toHaveLength(2);
  });

  it("a busy port refuses the start before anything is spawned", async () => {
    const gw = await gateway();
    world.busyPorts = [gw.context.ports.gateway];
    await expect(gw.start()).rejects.toMatchObject({ code: "CLAWHOST_PORT_IN_USE", value: [gw.context.ports.gateway] });
    expect(world.procs).toHaveLength(0);
    expect(gw.state).toBe("failed");
  });

  it("a start aborted by its signal ends in stopped", async () => {
    world.defaultBoot = { kind: "manual" };
    const gw = await gateway();
    const ac = new AbortController();
    const starting = gw.start({ signal: ac.signal });
    await nextState(gw, "starting");
    await settle();
    ac.abort();
    await expect(starting).rejects.toMatchObject({ code: "CLAWHOST_ABORTED" });
    expect(gw.state).toBe("stopped");
  });
});

describe("stop contract", () => {
  it("processes that outlive SIGKILL: rejects STOP_TIMEOUT naming them, state failed; a later stop finishes", async () => {
    const gw = await gateway();
    await gw.start();
    world.last.survivors = [{ pid: world.last.pid, state: "D", comm: "openclaw-gateway" }];
    await expect(gw.stop()).rejects.toMatchObject({ code: "CLAWHOST_STOP_TIMEOUT", value: [world.last.pid] });
    expect(gw.state).toBe("failed");
    expect(gw.snapshot().survivors).toEqual([{ pid: world.last.pid, state: "D", comm: "openclaw-gateway" }]);
    world.last.survivors = [];
    await gw.stop();
    expect(gw.state).toBe("stopped");
    expect(gw.snapshot().survivors).toEqual([]);
  });

  it("an aborted signal skips the grace (SIGKILL at once) and rejects ABORTED in stopped", async () => {
    const gw = await gateway();
    await gw.start();
    const ac = new AbortController();
    ac.abort();
    await expect(gw.stop({ signal: ac.signal })).rejects.toMatchObject({ code: "CLAWHOST_ABORTED" });
    expect(gw.state).toBe("stopped");
    expect(world.last.signals).toEqual(["SIGKILL"]);
  });

  it("a port still bound by someone else after the stop is a warning, not a hang", async () => {
    const gw = await gateway();
    await gw.start();
    const warnings: string[] = [];
    gw.on("warning", (w) => warnings.push(w.code));
    world.busyPorts = [gw.context.ports.gateway];
    const stopping = gw.stop();
    await stopping;
    expect(gw.state).toBe("stopped");
    expect(warnings).toEqual(["PORT_STILL_BOUND"]);
  }, 10_000);

  it("stop() from stopped, failed and backoff ends in stopped", async () => {
    const gw = await gateway({ restart: { initialDelayMs: 1_000 } });
    await gw.stop();
    expect(gw.state).toBe("stopped");
    world.boots = [{ kind: "exit", code: 1 }];
    await gw.start().catch(() => undefined);
    expect(gw.state).toBe("failed");
    await gw.stop();
    expect(gw.state).toBe("stopped");
    await gw.start();
    world.last.exit(1);
    await nextState(gw, "backoff");
    await gw.stop();
    expect(gw.state).toBe("stopped");
    expect(world.clock.pending).toBe(0);
  });
});

describe("supervision on the fake clock", () => {
  it("a crash backs off for initialDelayMs, then restarts", async () => {
    const gw = await gateway({ restart: { initialDelayMs: 1_000, jitter: 0 } });
    await gw.start();
    const backoff = new Promise((r) => gw.once("backoff", r));
    world.last.exit(1);
    expect(await backoff).toMatchObject({ delayMs: 1_000, attempt: 1, after: "crash" });
    expect(gw.state).toBe("backoff");
    world.clock.advance(999);
    await settle();
    expect(world.procs).toHaveLength(1);
    const ready = nextState(gw, "ready");
    world.clock.advance(1);
    await ready;
    expect(world.procs).toHaveLength(2);
    expect(gw.snapshot().restarts).toBe(1);
    await gw.stop();
  });

  it("a restart that fails goes back to backoff; the budget ends it in failed with CRASH_LOOP", async () => {
    const gw = await gateway({ restart: { initialDelayMs: 100, factor: 2, jitter: 0, maxFailures: 3 } });
    await gw.start();
    world.defaultBoot = { kind: "exit", code: 1 };
    world.last.exit(1);
    await nextState(gw, "backoff");
    world.clock.advance(100);
    await nextState(gw, "starting");
    await nextState(gw, "backoff");
    world.clock.advance(200);
    await nextState(gw, "starting");
    await nextState(gw, "failed");
    expect(gw.lastError?.code).toBe("CLAWHOST_CRASH_LOOP");
    expect(world.procs).toHaveLength(3);
  });

  it("policy never: a crash ends in failed; a clean exit under on-failure ends in stopped", async () => {
    const never = await gateway({ restart: { mode: "never" } });
    await never.start();
    world.last.exit(1);
    await nextState(never, "failed");
    const onFailure = await gateway();
    await onFailure.start();
    world.last.exit(0);
    await nextState(onFailure, "stopped");
    expect(onFailure.lastExit?.reason).toBe("clean-exit");
  });

  it("start() during backoff starts at once and cancels the pending restart", async () => {
    const gw = await gateway({ restart: { initialDelayMs: 60_000 } });
    await gw.start();
    world.last.exit(1);
    await nextState(gw, "backoff");
    await gw.start();
    expect(gw.state).toBe("ready");
    expect(world.clock.pending).toBe(0);
    await gw.stop();
  });

  it("missed liveness pings make it unhealthy, its tree is ended, the policy restarts it", async () => {
    const gw = await gateway({ liveness: { failures: 2 }, restart: { initialDelayMs: 10, jitter: 0 } });
    await gw.start();
    const first = world.last;
    world.conns.at(-1)!.pong = false;
    world.scheduler.fire();
    await settle();
    expect(gw.state).toBe("ready");
    const unhealthy = new Promise((r) => gw.once("unhealthy", r));
    world.scheduler.fire();
    expect(await unhealthy).toMatchObject({ missed: 2, pid: first.pid });
    await nextState(gw, "backoff");
    expect(gw.lastExit?.reason).toBe("unhealthy");
    world.clock.advance(10);
    await nextState(gw, "ready");
    expect(world.scheduler.jobs.size).toBe(1);
    await gw.stop();
    expect(world.scheduler.jobs.size).toBe(0);
  });

  it("stop() while unhealthy ends in stopped, not in the policy's hands", async () => {
    const gw = await gateway({ liveness: { failures: 1 } });
    await gw.start();
    world.conns.at(-1)!.pong = false;
    let stopping: Promise<void> | undefined;
    gw.once("unhealthy", () => {
      stopping = gw.stop();
    });
    world.scheduler.fire();
    await nextState(gw, "stopped");
    await stopping;
    expect(gw.state).toBe("stopped");
    expect(world.clock.pending).toBe(0);
  });

  it("a dropped connection is reopened by the next probe", async () => {
    const gw = await gateway();
    await gw.start();
    world.conns.at(-1)!.close();
    world.scheduler.fire();
    await settle();
    expect(world.conns.at(-1)!.closed).toBe(false);
    expect(await gw.call("health")).toEqual({ ok: true, method: "health" });
    await gw.stop();
  });
});

describe("in-place restart", () => {
  it("restart({ inPlace }) asks over gateway.restart.request (no deferral) and resolves at the new bootId, same pid, no signal", async () => {
    const gw = await gateway();
    await gw.start();
    const before = gw.bootId;
    const states: string[] = [];
    gw.on("state", ({ to }) => states.push(to));
    const ready = new Promise((r) => gw.once("ready", r));
    await gw.restart({ inPlace: true });
    expect(await ready).toMatchObject({ via: "in-place-restart", pid: world.last.pid });
    expect(gw.bootId).not.toBe(before);
    expect(states).toEqual(["restarting", "ready"]);
    expect(world.procs).toHaveLength(1);
    expect(world.conns.flatMap((c) => c.requests)).toEqual([{ method: "gateway.restart.request", params: { reason: expect.any(String), skipDeferral: true } }]);
    expect(world.last.signals).toEqual([]);
    await gw.stop();
  });

  it("a gateway whose hello-ok lists no gateway.restart.request but handles SIGUSR2 gets SIGUSR2", async () => {
    world.methods = ["health"];
    const gw = await gateway();
    await gw.start();
    const before = gw.bootId;
    await gw.restart({ inPlace: true });
    expect(gw.state).toBe("ready");
    expect(gw.bootId).not.toBe(before);
    expect(world.last.signals).toEqual(["SIGUSR2"]);
    expect(world.conns.flatMap((c) => c.requests)).toEqual([]);
    await gw.stop();
  });

  it("neither the method nor a SIGUSR2 handler: CLAWHOST_RESTART_UNSUPPORTED, nothing sent, still ready on the same boot", async () => {
    world.methods = ["health"];
    const gw = await gateway();
    await gw.start();
    world.last.caught.delete("SIGUSR2");
    const before = gw.bootId;
    const err = await gw.restart({ inPlace: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClawhostError);
    expect(err).toMatchObject({ code: "CLAWHOST_RESTART_UNSUPPORTED", gateway: gw.name, value: "0.0.0-unit" });
    expect((err as ClawhostError).message).toContain("SIGUSR2");
    expect(world.last.signals).toEqual([]);
    expect(world.last.exitInfo).toBeUndefined();
    expect(gw.state).toBe("ready");
    expect(gw.bootId).toBe(before);
    // A plain restart still works: a new process.
    await gw.restart();
    expect(world.procs).toHaveLength(2);
    await gw.stop();
  });

  it("a refused gateway.restart.request rejects with the gateway's error and leaves it ready", async () => {
    const gw = await gateway();
    await gw.start();
    const conn = world.conns.at(-1)!;
    conn.request = async (method: string) => {
      throw new ClawhostError("CLAWHOST_RPC_ERROR", `${method} failed: INVALID_REQUEST: no`, { gateway: gw.name, value: method });
    };
    await expect(gw.restart({ inPlace: true })).rejects.toMatchObject({ code: "CLAWHOST_RPC_ERROR", value: "gateway.restart.request" });
    expect(gw.state).toBe("ready");
    expect(world.clock.pending).toBe(0);
    await gw.stop();
  });

  it("a socket that closes under the request is the restart beginning: followed to the new boot", async () => {
    const gw = await gateway();
    await gw.start();
    const conn = world.conns.at(-1)!;
    const proc = world.last;
    conn.request = async (method: string) => {
      proc.onRestart?.();
      throw new ClawhostError("CLAWHOST_CONNECTION_CLOSED", `${method}: closed`);
    };
    const before = gw.bootId;
    await gw.restart({ inPlace: true });
    expect(gw.state).toBe("ready");
    expect(gw.bootId).not.toBe(before);
    expect(gw.pid).toBe(proc.pid);
    await gw.stop();
  });

  it("a process that dies during its in-place restart goes to the policy", async () => {
    world.defaultBoot = { kind: "ready" };
    const gw = await gateway({ restart: { mode: "never" } });
    await gw.start();
    world.stallInPlaceRestart();
    const restarting = gw.restart({ inPlace: true });
    await nextState(gw, "restarting");
    world.last.exit(null, "SIGKILL");
    await expect(restarting).rejects.toMatchObject({ code: "CLAWHOST_GATEWAY_EXITED" });
    expect(gw.state).toBe("failed");
  });

  it("under on-failure, a death during the in-place restart backs off; a clean exit ends in stopped", async () => {
    const crashing = await gateway({ restart: { initialDelayMs: 1_000 } });
    await crashing.start();
    const dying = world.stallInPlaceRestart();
    dying.signal("SIGUSR2");
    await nextState(crashing, "restarting");
    dying.exit(1);
    await nextState(crashing, "backoff");
    await crashing.stop();
    const clean = await gateway();
    await clean.start();
    const leaving = world.stallInPlaceRestart();
    leaving.signal("SIGUSR2");
    await nextState(clean, "restarting");
    leaving.exit(0);
    await nextState(clean, "stopped");
    expect(clean.lastExit?.reason).toBe("clean-exit");
  });

  it("a new boot that never answers makes it unhealthy", async () => {
    const gw = await gateway({ restart: { mode: "never" } });
    await gw.start();
    world.stallInPlaceRestart().signal("SIGUSR2");
    await nextState(gw, "restarting");
    world.timeOut(await world.waiting());
    await nextState(gw, "unhealthy");
    await nextState(gw, "failed");
  });

  it("stop() during an in-place restart ends in stopped", async () => {
    const gw = await gateway();
    await gw.start();
    world.stallInPlaceRestart().signal("SIGUSR2");
    await nextState(gw, "restarting");
    await gw.stop();
    expect(gw.state).toBe("stopped");
  });
});

describe("illegal calls get typed errors", () => {
  it("restart in place when not ready: ILLEGAL_STATE", async () => {
    const gw = await gateway();
    await expect(gw.restart({ inPlace: true })).rejects.toMatchObject({ code: "CLAWHOST_ILLEGAL_STATE", value: "stopped" });
    world.boots = [{ kind: "exit", code: 1 }];
    await gw.start().catch(() => undefined);
    await expect(gw.restart({ inPlace: true })).rejects.toMatchObject({ code: "CLAWHOST_ILLEGAL_STATE", value: "failed" });
  });

  it("call() when not ready: NOT_READY naming the method", async () => {
    const gw = await gateway();
    await expect(gw.call("health")).rejects.toMatchObject({ code: "CLAWHOST_NOT_READY", value: "health", gateway: gw.name });
  });

  it("a removed gateway refuses start, restart and updateConfig: HOST_DISPOSED", async () => {
    const gw = await gateway();
    await host.remove(gw.name);
    await expect(gw.start()).rejects.toMatchObject({ code: "CLAWHOST_HOST_DISPOSED" });
    await expect(gw.restart()).rejects.toMatchObject({ code: "CLAWHOST_HOST_DISPOSED" });
    await expect(gw.updateConfig({})).rejects.toMatchObject({ code: "CLAWHOST_HOST_DISPOSED" });
  });

  it("onReady() rejects with the failure that ended the start", async () => {
    world.boots = [{ kind: "exit", code: 1 }];
    const gw = await gateway();
    const waiting = gw.onReady();
    await gw.start().catch(() => undefined);
    await expect(waiting).rejects.toMatchObject({ code: "CLAWHOST_GATEWAY_EXITED" });
  });

  it("onReady() honours timeoutMs on the injected clock", async () => {
    world.defaultBoot = { kind: "manual" };
    const gw = await gateway();
    const starting = gw.start();
    const waiting = gw.onReady({ timeoutMs: 5_000 });
    await nextState(gw, "starting");
    world.clock.advance(5_000);
    await expect(waiting).rejects.toMatchObject({ code: "CLAWHOST_READINESS_TIMEOUT" });
    (await world.waiting()).becomeReady();
    await starting;
    await gw.stop();
  });
});
