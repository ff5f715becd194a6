import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import type { Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost } from "clawhost";
import type { Gateway, HostOptions } from "clawhost";
import { rangesOverlap } from "../../src/ports/block.js";
import { readCmdline } from "../../src/fs/proc.js";
import type { ProcIdentity } from "../../src/fs/proc.js";
import { expectNothingLeft, GatewayWatch, makeTmp, nextEvent, stillAlive, treeOf, unbindablePorts } from "../helpers.js";

/** How a contract run makes its hosts (real OpenClaw, or the fault-injection gateway). */
export interface ContractTarget {
  label: string;
  hostOptions: (root: string, ports: { from: number; to: number }) => HostOptions;
  /** First port of a 1000-port range this suite may use. */
  portBase: number;
  /** Env of the gateway that must miss its start deadline (a target that is not slow by itself makes it slow). */
  slowEnv?: Record<string, string>;
  /** The calling test file's own lease registry directory (`leaseDir` of every host). */
  leaseDir: string;
}

/** Union of a gateway's process tree, sampled on its events and every 50 ms while it runs. */
function watchTree(gw: Gateway): { members: () => ProcIdentity[]; stop: () => void } {
  const seen = new Map<string, ProcIdentity>();
  const sample = (): void => {
    if (gw.pid) for (const m of treeOf(gw.pid)) seen.set(`${m.pid}:${m.startTime}`, m);
  };
  const timer = setInterval(sample, 50);
  gw.on("state", sample);
  gw.on("ready", sample);
  gw.on("log", sample);
  sample();
  return {
    members: () => (sample(), [...seen.values()]),
    stop: () => {
      clearInterval(timer);
      gw.off("state", sample);
      gw.off("ready", sample);
      gw.off("log", sample);
    },
  };
}

function sharedLogListing(): Record<string, number> {
  const dir = "/tmp/openclaw";
  if (!existsSync(dir)) return {};
  const out: Record<string, number> = {};
  for (const f of readdirSync(dir)) {
    const st = statSync(join(dir, f));
    if (st.isFile()) out[f] = st.size;
  }
  return out;
}

async function listen(port: number, host: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, exclusive: true }, resolve);
  });
  return server;
}

/**
 * The behaviour every gateway clawhost runs must show. Run against the real OpenClaw
 * gateway (test/gateway/real.test.ts) and the fault-injection fake (test/gateway/fake.test.ts).
 */
export function describeGatewayContract(target: ContractTarget): void {
  describe(`${target.label}: main and rescue on one host`, () => {
    const tmp = makeTmp(`contract-${target.label}`);
    const ports = { from: target.portBase, to: target.portBase + 479 };
    let host: GatewayHost;
    let main: Gateway;
    let rescue: Gateway;
    const logs: string[] = [];
    const events: string[] = [];
    let sharedLogBefore: Record<string, number>;
    const watchers: Array<ReturnType<typeof watchTree>> = [];
    const fleet = new GatewayWatch();

    beforeAll(async () => {
      host = fleet.host(new GatewayHost({ ...target.hostOptions(tmp.dir, ports), leaseDir: target.leaseDir }));
      host.on("gateway:log", (_gw, l) => logs.push(l.line));
      host.on("gateway:state", (gw, c) => events.push(JSON.stringify({ gw: gw.name, ...c })));
      host.on("gateway:exit", (gw, e) => events.push(JSON.stringify({ gw: gw.name, ...e })));
      host.on("gateway:ready", (gw, r) => events.push(JSON.stringify({ gw: gw.name, ...r })));
      main = await host.add({ name: "main" });
      rescue = await host.add({ name: "rescue" });
      sharedLogBefore = sharedLogListing();
      watchers.push(watchTree(main), watchTree(rescue));
      await host.startAll();
    });

    afterAll(async () => {
      try {
        const blocks = [main.context.ports.block, rescue.context.ports.block];
        await host[Symbol.asyncDispose]();
        for (const w of watchers) w.stop();
        await expectNothingLeft({ leaseDir: target.leaseDir, gateways: fleet });
        const members = watchers.flatMap((w) => w.members());
        expect(members.length).toBeGreaterThanOrEqual(2);
        expect(stillAlive(members)).toEqual([]);
        for (const b of blocks) expect(await unbindablePorts(b.start, b.end)).toEqual([]);
        expect(main.state).toBe("stopped");
        expect(rescue.state).toBe("stopped");
      } finally {
        tmp.cleanup();
      }
    });

    it("both reach ready, with distinct processes and non-overlapping port blocks", () => {
      expect(main.state).toBe("ready");
      expect(rescue.state).toBe("ready");
      expect(main.pid).toBeGreaterThan(0);
      expect(rescue.pid).not.toBe(main.pid);
      expect(rangesOverlap(main.context.ports.block, rescue.context.ports.block)).toBe(false);
      expect(main.bootId).toMatch(/\S/);
      expect(events.filter((e) => e.includes('"readyMs"')).length).toBe(2);
    });

    it("each answers health over RPC, and its hello-ok names its own state dir and config path", async () => {
      for (const gw of [main, rescue]) {
        const health = (await gw.call("health", {})) as { ok?: boolean };
        expect(health.ok).toBe(true);
        expect(gw.hello?.snapshot.stateDir).toBe(gw.context.stateDir);
        expect(gw.hello?.snapshot.configPath).toBe(gw.context.configPath);
      }
    });

    it("keeps the token out of argv, snapshots, log events, errors and the log file", async () => {
      const token = readFileSync(main.context.tokenFile, "utf8").trim();
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(main.context.tokenFile).mode & 0o777).toBe(0o600);
      expect(statSync(main.context.secretsDir).mode & 0o777).toBe(0o700);
      for (const gw of [main, rescue]) {
        const t = readFileSync(gw.context.tokenFile, "utf8").trim();
        for (const m of treeOf(gw.pid!)) expect(readCmdline(m.pid) ?? "").not.toContain(t);
        expect(JSON.stringify(gw.snapshot())).not.toContain(t);
        if (existsSync(gw.context.logFile)) expect(readFileSync(gw.context.logFile, "utf8")).not.toContain(t);
      }
      expect(JSON.stringify(host.snapshot())).not.toContain(token);
      expect(logs.length).toBeGreaterThan(0);
      expect(logs.join("\n")).not.toContain(token);
      expect(events.join("\n")).not.toContain(token);
      const err = await main.call("no.such.method", {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClawhostError);
      expect((err as ClawhostError).code).toBe("CLAWHOST_RPC_ERROR");
      expect(JSON.stringify(err) + String((err as Error).message)).not.toContain(token);
    });

    it("each default browser profile reports a CDP port inside its own leased block (browser.request GET /profiles)", async () => {
      for (const gw of [main, rescue]) {
        const res = (await gw.call("browser.request", { method: "GET", path: "/profiles" }, { timeoutMs: 30_000 })) as {
          profiles: Array<{ name: string; cdpPort: number | null; isDefault?: boolean }>;
        };
        const def = res.profiles.find((p) => p.isDefault);
        expect(def?.cdpPort).toBe(gw.context.ports.cdp.start);
        const { cdp, block } = gw.context.ports;
        for (const p of res.profiles) {
          if (p.cdpPort === null) continue;
          expect(p.cdpPort).toBeGreaterThanOrEqual(block.start);
          expect(p.cdpPort).toBeLessThanOrEqual(block.end);
        }
        expect(def!.cdpPort).toBeGreaterThanOrEqual(cdp.start);
        expect(def!.cdpPort).toBeLessThanOrEqual(cdp.end);
      }
    });

    it("keeps each gateway's log in its own file, none in the shared /tmp/openclaw", () => {
      expect(sharedLogListing()).toEqual(sharedLogBefore);
      for (const gw of [main, rescue]) expect(existsSync(gw.context.logFile)).toBe(true);
    });

    it("20 concurrent start() calls on a stopped gateway spawn exactly one process", async () => {
      const oldBoot = main.bootId;
      await main.stop();
      const spawned = new Set<number>();
      const onState = () => {
        if (main.pid) spawned.add(main.pid);
      };
      main.on("state", onState);
      main.on("log", onState);
      watchers.push(watchTree(main));
      const starts = Array.from({ length: 20 }, () => main.start());
      await Promise.all(starts);
      main.off("state", onState);
      main.off("log", onState);
      expect(main.state).toBe("ready");
      expect([...spawned]).toEqual([main.pid]);
      expect(main.bootId).not.toBe(oldBoot);
      expect(((await main.call("health", {})) as { ok?: boolean }).ok).toBe(true);
    });

    it("with main stopped, rescue still answers health; main's processes and ports are free", async () => {
      const members = treeOf(main.pid!);
      expect(members.length).toBeGreaterThanOrEqual(1);
      await main.stop();
      expect(main.state).toBe("stopped");
      expect(main.pid).toBeUndefined();
      expect(stillAlive(members)).toEqual([]);
      const b = main.context.ports.block;
      expect(await unbindablePorts(b.start, b.end)).toEqual([]);
      expect(((await rescue.call("health", {})) as { ok?: boolean }).ok).toBe(true);
      expect(events.some((e) => e.includes('"reason":"crash"'))).toBe(false);
      const exits = events.filter((e) => e.includes('"reason"')).map((e) => JSON.parse(e) as { gw: string; reason: string });
      expect(exits.filter((e) => e.gw === "main").map((e) => e.reason)).toEqual(["stopped", "stopped"]);
    });
  });

  describe(`${target.label}: failed and interrupted starts`, () => {
    const tmp = makeTmp(`contract-fail-${target.label}`);
    const ports = { from: target.portBase + 480, to: target.portBase + 959 };
    let host: GatewayHost;
    const fleet = new GatewayWatch();

    beforeAll(() => {
      host = fleet.host(new GatewayHost({ ...target.hostOptions(tmp.dir, ports), leaseDir: target.leaseDir }));
    });
    afterAll(async () => {
      try {
        await host[Symbol.asyncDispose]();
        await expectNothingLeft({ leaseDir: target.leaseDir, gateways: fleet });
      } finally {
        tmp.cleanup();
      }
    });

    it("a start that misses its deadline ends its whole tree and throws CLAWHOST_READINESS_TIMEOUT", async () => {
      const gw = await host.add({ name: "slow", ...(target.slowEnv ? { env: target.slowEnv } : {}) });
      const watch = watchTree(gw);
      const err = await gw.start({ timeoutMs: 2_500 }).catch((e: unknown) => e);
      watch.stop();
      expect(err).toBeInstanceOf(ClawhostError);
      expect((err as ClawhostError).code).toBe("CLAWHOST_READINESS_TIMEOUT");
      expect((err as ClawhostError).message).toMatch(/^slow: /);
      expect(Array.isArray((err as ClawhostError).details?.outputTail)).toBe(true);
      expect(gw.state).toBe("failed");
      expect(gw.pid).toBeUndefined();
      const members = watch.members();
      expect(members.length).toBeGreaterThanOrEqual(1);
      expect(stillAlive(members)).toEqual([]);
      expect(await unbindablePorts(gw.context.ports.gateway, gw.context.ports.browserControl)).toEqual([]);
      await host.remove("slow");
    });

    it("stop() during start interrupts it: start rejects CLAWHOST_ABORTED, state ends stopped, no process left", async () => {
      const gw = await host.add({ name: "interrupted" });
      const watch = watchTree(gw);
      const states: string[] = [];
      gw.on("state", (c) => states.push(c.to));
      const spawned = nextEvent(gw, "log");
      const starting = gw.start();
      await spawned;
      await gw.stop();
      const err = await starting.catch((e: unknown) => e);
      watch.stop();
      expect((err as ClawhostError).code).toBe("CLAWHOST_ABORTED");
      expect(gw.state).toBe("stopped");
      expect(states).toEqual(["starting", "stopping", "stopped"]);
      expect(stillAlive(watch.members())).toEqual([]);
      await host.remove("interrupted");
    });

    it("a busy base port or browser-control port is refused with CLAWHOST_PORT_IN_USE, naming the holder, before any spawn", async () => {
      const gw = await host.add({ name: "busy" });
      for (const port of [gw.context.ports.gateway, gw.context.ports.browserControl]) {
        const server = await listen(port, "127.0.0.1");
        try {
          const spawnedLines: string[] = [];
          gw.on("log", (l) => spawnedLines.push(l.line));
          const err = await gw.start().catch((e: unknown) => e);
          expect((err as ClawhostError).code).toBe("CLAWHOST_PORT_IN_USE");
          expect((err as ClawhostError).value).toEqual([port]);
          // The holder is named: this test process listens there.
          expect((err as ClawhostError).details?.holders).toEqual([{ port, pid: process.pid, command: expect.any(String) }]);
          expect((err as ClawhostError).message).toContain(`pid ${process.pid}`);
          expect(gw.pid).toBeUndefined();
          expect(spawnedLines).toEqual([]);
          expect(gw.state).toBe("failed");
        } finally {
          await new Promise((r) => server.close(r));
        }
      }
      await host.remove("busy");
    });
  });
}
