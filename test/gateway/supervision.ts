import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost, PORT_BLOCK_SPAN } from "clawhost";
import { createTest } from "clawhost/testing/vitest";
import type { Gateway, GatewayExitInfo, HostOptions, RestartPolicy } from "clawhost";
import { catchesSignal, isAlive } from "../../src/fs/proc.js";
import type { ProcIdentity } from "../../src/fs/proc.js";
import {
  expectNothingLeft,
  FAKE_OPENCLAW,
  GatewayWatch,
  makeTmp,
  nextEvent,
  processesUnder,
  restartDelayElapsed,
  stillAlive,
  treeOf,
  waitUntil,
} from "../helpers.js";
import type { ContractTarget } from "./contract.js";

/** A host in a child process that starts one gateway; resolves with what it printed. */
function startHostWorker(
  root: string,
  ports: { from: number; to: number },
  mode: "outlive" | "watchdog",
  leaseDir: string,
  bin: string | undefined,
): Promise<{ child: ReturnType<typeof spawn>; info: { pid: number; bootId: string; port: number } }> {
  const args = [new URL("../fixtures/host-worker.mjs", import.meta.url).pathname, root, String(ports.from), String(ports.to), mode, leaseDir];
  if (bin) args.push(bin);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (line) => {
      const info = JSON.parse(line) as { pid: number; bootId: string; port: number; error?: string };
      if (info.error) reject(new Error(info.error));
      else resolve({ child, info });
    });
    child.once("exit", (code) => reject(new Error(`host worker exited ${code}`)));
  });
}

/** What a supervision run needs beyond the contract target. */
export interface SupervisionTarget extends ContractTarget {
  /** Make the config file one the gateway refuses with exit 78 and doctor cannot repair. */
  breakConfig: (configPath: string) => void;
  /** The `openclaw.bin` the worker host should use (undefined: discovered). */
  bin?: string;
  /** Ports of the test kit's pool (its shared gateway, and blocks to retry on). */
  poolPorts: { from: number; to: number };
}

/**
 * Supervision behaviour every gateway clawhost runs must show: crash restart, in-place
 * restart, hang detection, config errors, no orphans after host death, adoption.
 */
export function describeSupervisionContract(target: SupervisionTarget): void {
  const { leaseDir } = target;
  const hostOptions = (root: string, ports: { from: number; to: number }): HostOptions => ({ ...target.hostOptions(root, ports), leaseDir });

  // The test kit (clawhost/testing/vitest; its fixtures are defined at the file's top level).
  // A ready gateway is where these tests start, not what they test: they share the worker's
  // gateway, and each leaves it ready. No spares: on 2 cores a spare's boot competes with
  // the restarts these tests wait for (measured in docs/testing.md). Restart after 200 ms,
  // liveness every second.
  const kit = createTest({
    ...(target.bin ? { openclaw: { bin: target.bin } } : {}),
    ports: target.poolPorts,
    spares: 0,
    spec: { restart: { initialDelayMs: 200, jitter: 0 }, liveness: { intervalMs: 1_000, timeoutMs: 1_000, failures: 2 } },
  });

  describe(`${target.label}: supervision of a running gateway (gateways from clawhost/testing)`, () => {
    const tmp = makeTmp(`sup-${target.label}`);
    const fleet = new GatewayWatch();

    afterAll(async () => {
      try {
        await fleet.disposeHosts();
        await expectNothingLeft({ leaseDir, gateways: fleet });
      } finally {
        tmp.cleanup();
      }
    });

    /** Exits and states of the shared gateway during one test. */
    function record(gw: Gateway): { exits: GatewayExitInfo[]; states: string[]; off: () => void } {
      const exits: GatewayExitInfo[] = [];
      const states: string[] = [];
      const onExit = (e: GatewayExitInfo): void => void exits.push(e);
      const onState = (c: { to: string }): void => void states.push(c.to);
      gw.on("exit", onExit);
      gw.on("state", onState);
      return {
        exits,
        states,
        off: () => {
          gw.off("exit", onExit);
          gw.off("state", onState);
        },
      };
    }

    kit("a second gateway on a state dir held by a live gateway: CLAWHOST_STATE_DIR_IN_USE naming its pid, nothing spawned", async ({ sharedGateway: gw, clawhostPool }) => {
      const range = { from: target.portBase + 240, to: target.portBase + 359 };
      // A host sharing the lease registry sees the other gateway's directories and refuses at add().
      const neighbour = fleet.host(new GatewayHost({ ...target.hostOptions(`${tmp.dir}/neighbour`, range), leaseDir: clawhostPool.leaseDir }));
      await expect(neighbour.add({ name: "intruder", paths: { stateDir: gw.context.stateDir } })).rejects.toMatchObject({ code: "CLAWHOST_PATH_CONFLICT", value: gw.context.stateDir });
      await neighbour[Symbol.asyncDispose]();
      // One with a registry of its own cannot know: the state dir's lock refuses the start.
      const host2 = fleet.host(new GatewayHost(hostOptions(`${tmp.dir}/other`, range)));
      try {
        const intruder = await host2.add({ name: "intruder", paths: { stateDir: gw.context.stateDir } });
        const lines: string[] = [];
        intruder.on("log", (l) => lines.push(l.line));
        const err = await intruder.start().catch((e: unknown) => e);
        expect((err as ClawhostError).code).toBe("CLAWHOST_STATE_DIR_IN_USE");
        expect((err as ClawhostError).value).toBe(gw.pid);
        expect((err as ClawhostError).message).toContain(`pid ${gw.pid}`);
        expect(intruder.pid).toBeUndefined();
        expect(lines).toEqual([]);
        expect(intruder.state).toBe("failed");
        expect(gw.state).toBe("ready");
      } finally {
        await host2[Symbol.asyncDispose]();
      }
    });

    kit("an in-place restart clawhost did not ask for (SIGUSR2 where the gateway handles it, else gateway.restart.request): same pid, new bootId, no exit event, no respawn", async ({ sharedGateway: gw }) => {
      const pid = gw.pid!;
      const oldBoot = gw.bootId;
      const seen = record(gw);
      const ready = nextEvent(gw, "ready");
      // By capability: OpenClaw 2026.9.x restarts on SIGUSR2; 2026.8.2 has no SIGUSR2 handler
      // (the signal would kill it) and restarts on SIGUSR1, which on 2026.9.x opens the
      // inspector instead. Both answer the RPC.
      if (await catchesSignal(pid, "SIGUSR2")) process.kill(pid, "SIGUSR2");
      else {
        expect(gw.hello?.features?.methods).toContain("gateway.restart.request");
        await gw.call("gateway.restart.request", { reason: "test", skipDeferral: true });
      }
      const [info] = await ready;
      seen.off();
      expect(info).toMatchObject({ pid, via: "in-place-restart" });
      expect(info.bootId).not.toBe(oldBoot);
      expect(gw.pid).toBe(pid);
      expect(seen.exits).toEqual([]);
      expect(seen.states).toEqual(["restarting", "ready"]);
      expect(((await gw.call("health", {})) as { ok?: boolean }).ok).toBe(true);
    });

    kit("restart({ inPlace: true }) resolves at the new bootId, same pid", async ({ sharedGateway: gw }) => {
      const pid = gw.pid!;
      const oldBoot = gw.bootId;
      const seen = record(gw);
      await gw.restart({ inPlace: true });
      seen.off();
      expect(gw.state).toBe("ready");
      expect(gw.pid).toBe(pid);
      expect(gw.bootId).not.toBe(oldBoot);
      expect(seen.exits).toEqual([]);
    });

    kit("kill -9 of a ready gateway: exit (signal), backoff, then ready again with a new pid", async ({ sharedGateway: gw }) => {
      const oldPid = gw.pid!;
      const oldTree = treeOf(oldPid);
      const restartsBefore = gw.snapshot().restarts;
      const seen = record(gw);
      const exited = nextEvent(gw, "exit");
      const readyAgain = nextEvent(gw, "ready");
      process.kill(oldPid, "SIGKILL");
      const [exit] = await exited;
      expect(exit).toMatchObject({ pid: oldPid, signal: "SIGKILL", reason: "signal", phase: "running" });
      const [ready] = await readyAgain;
      seen.off();
      expect(ready.pid).not.toBe(oldPid);
      expect(ready.via).toBe("spawn");
      expect(gw.state).toBe("ready");
      expect(seen.states).toEqual(["backoff", "starting", "ready"]);
      expect(gw.snapshot().restarts).toBe(restartsBefore + 1);
      expect(stillAlive(oldTree)).toEqual([]);
      expect(((await gw.call("health", {})) as { ok?: boolean }).ok).toBe(true);
    });

    kit("SIGSTOP: reported unhealthy, its tree ended, restarted per policy", async ({ sharedGateway: gw }) => {
      const oldPid = gw.pid!;
      const oldTree = treeOf(oldPid);
      const seen = record(gw);
      const unhealthy = nextEvent(gw, "unhealthy");
      const exited = nextEvent(gw, "exit");
      const readyAgain = nextEvent(gw, "ready");
      process.kill(oldPid, "SIGSTOP");
      expect((await unhealthy)[0]).toMatchObject({ pid: oldPid, missed: 2 });
      expect((await exited)[0]).toMatchObject({ pid: oldPid, reason: "unhealthy" });
      const [ready] = await readyAgain;
      seen.off();
      expect(ready.pid).not.toBe(oldPid);
      expect(stillAlive(oldTree)).toEqual([]);
    });

    it("restart({ inPlace: true }) on a gateway that is not ready throws CLAWHOST_ILLEGAL_STATE", async () => {
      const host = fleet.host(new GatewayHost(hostOptions(`${tmp.dir}/idle`, { from: target.portBase, to: target.portBase + 239 })));
      const other = await host.add({ name: "idle" });
      const err = await other.restart({ inPlace: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClawhostError);
      expect((err as ClawhostError).code).toBe("CLAWHOST_ILLEGAL_STATE");
      expect(other.state).toBe("stopped");
      await host.remove("idle");
    });
  });

  describe(`${target.label}: config errors, host death, adoption`, () => {
    const tmp = makeTmp(`sup3-${target.label}`);
    const base = target.portBase + 480;
    const fleet = new GatewayWatch();
    fleet.root(tmp.dir);

    afterAll(async () => {
      try {
        await fleet.disposeHosts();
        await expectNothingLeft({ leaseDir, gateways: fleet });
      } finally {
        tmp.cleanup();
      }
    });

    /** A host worker's gateway: its tree, root and block are this file's to check afterwards. */
    const watchWorker = (root: string, info: { pid: number; port: number }): ProcIdentity[] => {
      const tree = treeOf(info.pid);
      fleet.procs(tree);
      fleet.root(root);
      fleet.block({ start: info.port, end: info.port + PORT_BLOCK_SPAN - 1 });
      return tree;
    };

    it("a config the gateway refuses (exit 78): doctor runs once, one retry, then failed with CLAWHOST_CONFIG_INVALID; no loop, no process", async () => {
      // jitter 0: the witness below restarts after exactly the delay a loop would wait.
      const restart: Partial<RestartPolicy> = { initialDelayMs: 100, jitter: 0 };
      const host = fleet.host(new GatewayHost({ ...hostOptions(`${tmp.dir}/cfg`, { from: base, to: base + 119 }), restart }));
      const gw = await host.add({ name: "broken" });
      try {
        const warnings: string[] = [];
        const exitsSeen: GatewayExitInfo[] = [];
        const states: string[] = [];
        gw.on("warning", (w) => warnings.push(w.code));
        gw.on("exit", (e) => exitsSeen.push(e));
        gw.on("state", (c) => states.push(c.to));
        mkdirSync(gw.context.configDir, { recursive: true });
        target.breakConfig(gw.context.configPath);
        const before = readFileSync(gw.context.configPath);
        const err = await gw.start().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ClawhostError);
        expect((err as ClawhostError).code).toBe("CLAWHOST_CONFIG_INVALID");
        expect((err as ClawhostError).message).toMatch(/^broken: /);
        expect(((err as ClawhostError).details as { doctor?: unknown }).doctor).toBeDefined();
        expect(gw.state).toBe("failed");
        expect(gw.pid).toBeUndefined();
        expect(warnings).toEqual(["DOCTOR_RAN"]);
        expect(exitsSeen.map((e) => [e.code, e.reason])).toEqual([
          [78, "config-invalid"],
          [78, "config-invalid"],
        ]);
        // No loop: a gateway that does restart under the same policy, killed only now, has
        // been restarted by it (a restart "broken" had scheduled would have come first), and
        // "broken" did nothing meanwhile.
        states.length = 0;
        const witnessHost = fleet.host(
          new GatewayHost({
            root: `${tmp.dir}/witness`,
            ports: { from: target.portBase + 360, to: target.portBase + 479 },
            openclaw: { bin: FAKE_OPENCLAW },
            leaseDir,
            restart,
          }),
        );
        await restartDelayElapsed(witnessHost);
        expect(exitsSeen.length).toBe(2);
        expect(states).toEqual([]);
        expect(gw.state).toBe("failed");
        expect(processesUnder([gw.context.dir])).toEqual([]);
        expect(before.length).toBeGreaterThan(0);
      } finally {
        await host[Symbol.asyncDispose]();
      }
    });

    it("the host process SIGKILLed: its watchdog ends its gateway's whole tree", async () => {
      const root = `${tmp.dir}/wd`;
      const { child, info } = await startHostWorker(root, { from: base + 120, to: base + 239 }, "watchdog", leaseDir, target.bin);
      const tree = watchWorker(root, info);
      // 2026.9.x idles with a spawn broker and a sqlite worker (as the fake with its broker),
      // 2026.8.2 as one process: the watchdog must end whatever tree there is.
      expect(tree.length).toBeGreaterThanOrEqual(1);
      // The worker's own helpers (its watchdog) besides the gateway's tree.
      const helpers = treeOf(child.pid!).filter((m) => m.pid !== child.pid && !tree.some((t) => t.pid === m.pid));
      child.kill("SIGKILL");
      await waitUntil(() => stillAlive(tree).length === 0, "the watchdog to end the SIGKILLed host's gateway tree");
      expect(stillAlive(tree)).toEqual([]);
      await waitUntil(() => stillAlive(helpers).length === 0, "the watchdog to exit once the tree is gone");
      expect(processesUnder([root])).toEqual([]);
    });

    it("with outlive, the gateway survives its host's SIGKILL and a new host adopts it: same pid, health answers", async () => {
      const root = `${tmp.dir}/out`;
      const range = { from: base + 240, to: base + 359 };
      const { child, info } = await startHostWorker(root, range, "outlive", leaseDir, target.bin);
      const tree = watchWorker(root, info);
      // Everything of the worker but its gateway: whatever could act on the host's death.
      const others = treeOf(child.pid!).filter((m) => !tree.some((t) => t.pid === m.pid));
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
      await waitUntil(() => stillAlive(others).length === 0, "the SIGKILLed host worker's own processes to end");
      expect(isAlive(tree[0]!)).toBe(true);
      const host = fleet.host(new GatewayHost({ ...hostOptions(root, range), outlive: true }));
      const gw = await host.add({ name: "w" });
      try {
        expect(gw.context.ports.gateway).toBe(info.port);
        const ready = nextEvent(gw, "ready");
        await gw.start();
        expect((await ready)[0]).toMatchObject({ pid: info.pid, via: "adopted", bootId: info.bootId });
        expect(gw.pid).toBe(info.pid);
        expect(gw.snapshot().adopted).toBe(true);
        expect(((await gw.call("health", {})) as { ok?: boolean }).ok).toBe(true);
      } finally {
        const adopted = treeOf(info.pid);
        await gw.stop();
        await host[Symbol.asyncDispose]();
        expect(stillAlive(adopted)).toEqual([]);
      }
    });

    it("a gateway left by a dead host without outlive is ended on the next start, not adopted", async () => {
      const root = `${tmp.dir}/orphan`;
      const range = { from: base + 360, to: base + 479 };
      const { child, info } = await startHostWorker(root, range, "outlive", leaseDir, target.bin);
      const oldTree = watchWorker(root, info);
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
      const host = fleet.host(new GatewayHost(hostOptions(root, range)));
      const gw = await host.add({ name: "w" });
      const warnings: string[] = [];
      gw.on("warning", (w) => warnings.push(w.code));
      try {
        await gw.start();
        expect(warnings).toContain("ORPHAN_ENDED");
        expect(gw.pid).not.toBe(info.pid);
        expect(stillAlive(oldTree)).toEqual([]);
      } finally {
        await host[Symbol.asyncDispose]();
      }
    });
  });
}
