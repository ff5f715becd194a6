import { execFile } from "node:child_process";
import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayHost } from "clawhost";
import { createTest } from "clawhost/testing/vitest";
import type { ClawhostError, ConfigChange, Gateway, HostOptions, OpenClawConfig } from "clawhost";
import type { ProcIdentity } from "../../src/fs/proc.js";
import { expectNothingLeft, GatewayWatch, makeTmp, nextEvent, stillAlive, treeOf } from "../helpers.js";

/** How a config contract run makes its host (real OpenClaw, or the fault-injection gateway). */
export interface ConfigContractTarget {
  label: string;
  hostOptions: (root: string, ports: { from: number; to: number }) => HostOptions;
  /** First port of a 240-port range this suite may use. */
  portBase: number;
  /** The calling test file's own lease registry directory (`leaseDir` of every host). */
  leaseDir: string;
  /** The `openclaw.bin` of the test kit's pool (undefined: discovered). */
  bin?: string;
  /** Ports of the test kit's pool (its shared gateway, and blocks to retry on). */
  poolPorts: { from: number; to: number };
}

export const vars = (cfg: OpenClawConfig): Record<string, string> => ((cfg.env as { vars?: Record<string, string> } | undefined)?.vars ?? {});

export const setVar =
  (key: string, value: string) =>
  (cfg: OpenClawConfig): void => {
    const env = (cfg.env ??= {}) as { vars?: Record<string, string> };
    (env.vars ??= {})[key] = value;
  };

/** Resolves at the next `config` event from `source`. */
export async function nextConfigEvent(gw: Gateway, source: ConfigChange["source"]): Promise<ConfigChange> {
  const [change] = await nextEvent(gw, "config", (c) => c.source === source);
  return change;
}

const WORKER = new URL("../fixtures/config-worker.mjs", import.meta.url).pathname;

/** One update from another process's standalone `ConfigStore` (no gatewayDir: found from the default layout). */
function updateFromAnotherProcess(configPath: string, key: string, value: string): Promise<{ applied: string; counts: Record<string, number> }> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [WORKER, configPath, key, value, "once"], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as { applied: string; counts: Record<string, number> }))),
  );
}

/**
 * Config writes through a running gateway: what every gateway clawhost runs must do.
 * Run against the real OpenClaw gateway and the fault-injection fake.
 */
export function describeConfigContract(target: ConfigContractTarget): void {
  // The test kit (clawhost/testing/vitest; fixtures are defined at the file's top level).
  // Writes through a running gateway start from a ready gateway, not from its first boot:
  // they share the worker's. No spares: nothing here asks for a fresh one.
  const kit = createTest({ ...(target.bin ? { openclaw: { bin: target.bin } } : {}), ports: target.poolPorts, spares: 0 });

  describe(`${target.label}: the first start after writes, and writes while stopped`, () => {
    const tmp = makeTmp(`config-${target.label}`);
    let host: GatewayHost;
    let gw: Gateway;
    const seen: ProcIdentity[] = [];
    const fleet = new GatewayWatch();

    beforeAll(() => {
      host = fleet.host(new GatewayHost({ ...target.hostOptions(tmp.dir, { from: target.portBase, to: target.portBase + 239 }), leaseDir: target.leaseDir }));
    });
    // The shared gateway boots beside this describe's first start (2 cores: side by side).
    kit.beforeAll(({ clawhostPool }) => {
      clawhostPool.shared().catch(() => {}); // A failed boot fails the tests that use it.
    });
    afterAll(async () => {
      try {
        await host[Symbol.asyncDispose]();
        await expectNothingLeft({ leaseDir: target.leaseDir, gateways: fleet });
        expect(stillAlive(seen)).toEqual([]);
      } finally {
        tmp.cleanup();
      }
    });

    it("written while stopped, then started: no .clobbered file, the values hold", async () => {
      gw = await host.add({ name: "first" });
      gw.on("ready", (r) => seen.push(...treeOf(r.pid)));
      for (let i = 0; i < 20; i++) expect((await gw.updateConfig(setVar(`PRE_${i}`, String(i)))).applied).toBe("file");
      await gw.start();
      expect(readdirSync(gw.context.configDir).filter((f) => f.includes("clobbered"))).toEqual([]);
      const got = (await gw.call("config.get", {})) as { config: OpenClawConfig };
      for (let i = 0; i < 20; i++) expect(vars(got.config)[`PRE_${i}`]).toBe(String(i));
    });

    it("stopped again: updates go to the file (also from another process), and the next start serves them", async () => {
      await gw.stop();
      expect((await gw.updateConfig(setVar("WHILE_STOPPED", "1"))).applied).toBe("file");
      expect(await updateFromAnotherProcess(gw.context.configPath, "OTHER_STOPPED", "1")).toMatchObject({ applied: "file", counts: { file: 1, live: 0 } });
      await gw.start();
      const got = (await gw.call("config.get", {})) as { config: OpenClawConfig };
      expect(vars(got.config).WHILE_STOPPED).toBe("1");
      expect(vars(got.config).OTHER_STOPPED).toBe("1");
      expect(vars(got.config).PRE_19).toBe("19");
    });
  });

  describe(`${target.label}: config writes on a running gateway (the kit's shared gateway)`, () => {
    /** What `gw` reports during one test: its config events and its `config.patch` log lines. */
    function record(gw: Gateway, host: GatewayHost): { changes: ConfigChange[]; patchLines: string[]; hostChanges: string[]; off: () => void } {
      const changes: ConfigChange[] = [];
      const patchLines: string[] = [];
      const hostChanges: string[] = [];
      const onConfig = (c: ConfigChange): void => void changes.push(c);
      const onLog = (l: { line: string }): void => {
        if (/config\.patch write/.test(l.line)) patchLines.push(l.line);
      };
      const onHostConfig = (g: Gateway, c: ConfigChange): void => {
        if (g === gw) hostChanges.push(c.source);
      };
      gw.on("config", onConfig);
      gw.on("log", onLog);
      host.on("gateway:config", onHostConfig);
      return {
        changes,
        patchLines,
        hostChanges,
        off: () => {
          gw.off("config", onConfig);
          gw.off("log", onLog);
          host.off("gateway:config", onHostConfig);
        },
      };
    }

    kit("200 concurrent updates: all on disk and in config.get, in a few patches, the gateway ready", async ({ sharedGateway: gw, clawhostPool }) => {
      const seen = record(gw, clawhostPool.host);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => gw.updateConfig(setVar(`LIVE_${i}`, String(i)))));
      expect(results.every((r) => (r.applied === "restart" || r.applied === "live") && r.changedPaths.length === 1)).toBe(true);
      await gw.onReady({ timeoutMs: 120_000 });
      const disk = vars(await gw.readConfig());
      const got = (await gw.call("config.get", {})) as { config: OpenClawConfig };
      seen.off();
      for (let i = 0; i < 200; i++) {
        expect(disk[`LIVE_${i}`]).toBe(String(i));
        expect(vars(got.config)[`LIVE_${i}`]).toBe(String(i));
      }
      // Coalesced: far fewer writes than updates, under the gateway's 30-a-minute budget.
      expect(seen.patchLines.length).toBeGreaterThan(0);
      expect(seen.patchLines.length).toBeLessThan(30);
      expect(readdirSync(gw.context.configDir).filter((f) => f.includes("clobbered"))).toEqual([]);
      expect(gw.state).toBe("ready");
      // Its own writes, and the gateway's writes of them, are never reported as someone else's.
      expect(seen.changes.filter((c) => c.source === "external")).toEqual([]);
    });

    kit("an invalid update while running is rejected with the path, and the file stays byte-identical", async ({ sharedGateway: gw }) => {
      await gw.onReady({ timeoutMs: 120_000 });
      const before = readFileSync(gw.context.configPath);
      const err = await gw.updateConfig({ env: { vars: { BAD: 7 } } } as unknown as OpenClawConfig).catch((e: unknown) => e);
      expect((err as ClawhostError).code).toBe("CLAWHOST_CONFIG_INVALID");
      expect((err as ClawhostError).value).toBe("env.vars.BAD");
      expect(readFileSync(gw.context.configPath).equals(before)).toBe(true);
      // Good updates queued with a bad one still land.
      const [good, bad] = await Promise.allSettled([gw.updateConfig(setVar("GOOD_LIVE", "1")), gw.updateConfig({ nope: true })]);
      expect(good.status).toBe("fulfilled");
      expect(bad.status).toBe("rejected");
      expect(vars(await gw.readConfig()).GOOD_LIVE).toBe("1");
      await gw.onReady({ timeoutMs: 120_000 });
    });

    kit("an edit by someone else is reported as external, and the next update builds on it", async ({ sharedGateway: gw, clawhostPool }) => {
      await gw.onReady({ timeoutMs: 120_000 });
      const seen = record(gw, clawhostPool.host);
      const external = nextConfigEvent(gw, "external");
      const path = gw.context.configPath;
      const cfg = JSON.parse(readFileSync(path, "utf8")) as OpenClawConfig;
      setVar("BY_HAND", "1")(cfg);
      writeFileSync(`${path}.hand`, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
      renameSync(`${path}.hand`, path);
      expect((await external).changedPaths).toContain("env.vars.BY_HAND");
      await gw.onReady({ timeoutMs: 120_000 });
      await gw.updateConfig(setVar("AFTER_HAND", "2"));
      await gw.onReady({ timeoutMs: 120_000 });
      seen.off();
      const v = vars(await gw.readConfig());
      expect(v.BY_HAND).toBe("1");
      expect(v.AFTER_HAND).toBe("2");
      expect(seen.changes.some((c) => c.source === "clawhost")).toBe(true);
      expect(seen.hostChanges).toContain("external");
      expect(seen.hostChanges).toContain("clawhost");
    });

    kit("a ConfigStore in another process writes through the running gateway (config.patch), never the file under it", async ({ sharedGateway: gw, clawhostPool }) => {
      await gw.onReady({ timeoutMs: 120_000 });
      const seen = record(gw, clawhostPool.host);
      const result = await updateFromAnotherProcess(gw.context.configPath, "FROM_OTHER", "1");
      expect(["live", "restart"]).toContain(result.applied);
      expect(result.counts.file).toBe(0);
      // The gateway logged the write as its own config.patch.
      await gw.onReady({ timeoutMs: 120_000 });
      seen.off();
      expect(seen.patchLines.length).toBeGreaterThan(0);
      const got = (await gw.call("config.get", {})) as { config: OpenClawConfig };
      expect(vars(got.config).FROM_OTHER).toBe("1");
    });
  });
}
