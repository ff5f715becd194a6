import { execFile } from "node:child_process";
import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayHost } from "clawhost";
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
  describe(`${target.label}: config writes on a running gateway`, () => {
    const tmp = makeTmp(`config-${target.label}`);
    let host: GatewayHost;
    let gw: Gateway;
    const changes: ConfigChange[] = [];
    const seen: ProcIdentity[] = [];
    const patchLines: string[] = [];
    const hostChanges: string[] = [];
    const fleet = new GatewayWatch();

    beforeAll(async () => {
      host = fleet.host(new GatewayHost({ ...target.hostOptions(tmp.dir, { from: target.portBase, to: target.portBase + 239 }), leaseDir: target.leaseDir }));
      host.on("gateway:config", (g, c) => hostChanges.push(`${g.name}:${c.source}`));
      gw = await host.add({ name: "live" });
      gw.on("config", (c) => changes.push(c));
      gw.on("ready", (r) => seen.push(...treeOf(r.pid)));
      gw.on("log", (l) => {
        if (/config\.patch write/.test(l.line)) patchLines.push(l.line);
      });
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
      for (let i = 0; i < 20; i++) expect((await gw.updateConfig(setVar(`PRE_${i}`, String(i)))).applied).toBe("file");
      await gw.start();
      expect(readdirSync(gw.context.configDir).filter((f) => f.includes("clobbered"))).toEqual([]);
      const got = (await gw.call("config.get", {})) as { config: OpenClawConfig };
      for (let i = 0; i < 20; i++) expect(vars(got.config)[`PRE_${i}`]).toBe(String(i));
    });

    it("200 concurrent updates: all on disk and in config.get, in a few patches, the gateway ready", async () => {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => gw.updateConfig(setVar(`LIVE_${i}`, String(i)))));
      expect(results.every((r) => (r.applied === "restart" || r.applied === "live") && r.changedPaths.length === 1)).toBe(true);
      await gw.onReady({ timeoutMs: 120_000 });
      const disk = vars(await gw.readConfig());
      const got = (await gw.call("config.get", {})) as { config: OpenClawConfig };
      for (let i = 0; i < 200; i++) {
        expect(disk[`LIVE_${i}`]).toBe(String(i));
        expect(vars(got.config)[`LIVE_${i}`]).toBe(String(i));
      }
      // Coalesced: far fewer writes than updates, under the gateway's 30-a-minute budget.
      expect(patchLines.length).toBeGreaterThan(0);
      expect(patchLines.length).toBeLessThan(30);
      expect(readdirSync(gw.context.configDir).filter((f) => f.includes("clobbered"))).toEqual([]);
      expect(gw.state).toBe("ready");
      // Its own writes, and the gateway's writes of them, are never reported as someone else's.
      expect(changes.filter((c) => c.source === "external")).toEqual([]);
    });

    it("an invalid update while running is rejected with the path, and the file stays byte-identical", async () => {
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
    });

    it("an edit by someone else is reported as external, and the next update builds on it", async () => {
      await gw.onReady({ timeoutMs: 120_000 });
      const external = nextConfigEvent(gw, "external");
      const path = gw.context.configPath;
      const cfg = JSON.parse(readFileSync(path, "utf8")) as OpenClawConfig;
      setVar("BY_HAND", "1")(cfg);
      writeFileSync(`${path}.hand`, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
      renameSync(`${path}.hand`, path);
      expect((await external).changedPaths).toContain("env.vars.BY_HAND");
      await gw.onReady({ timeoutMs: 120_000 });
      await gw.updateConfig(setVar("AFTER_HAND", "2"));
      const v = vars(await gw.readConfig());
      expect(v.BY_HAND).toBe("1");
      expect(v.AFTER_HAND).toBe("2");
      expect(changes.some((c) => c.source === "clawhost")).toBe(true);
      expect(hostChanges).toContain("live:external");
      expect(hostChanges).toContain("live:clawhost");
    });

    it("a ConfigStore in another process writes through the running gateway (config.patch), never the file under it", async () => {
      await gw.onReady({ timeoutMs: 120_000 });
      const patchesBefore = patchLines.length;
      const result = await updateFromAnotherProcess(gw.context.configPath, "FROM_OTHER", "1");
      expect(["live", "restart"]).toContain(result.applied);
      expect(result.counts.file).toBe(0);
      // The gateway logged the write as its own config.patch.
      await gw.onReady({ timeoutMs: 120_000 });
      expect(patchLines.length).toBeGreaterThan(patchesBefore);
      const got = (await gw.call("config.get", {})) as { config: OpenClawConfig };
      expect(vars(got.config).FROM_OTHER).toBe("1");
      expect(vars(await gw.readConfig()).AFTER_HAND).toBe("2");
    });

    it("stopped again: updates go to the file (also from another process), and the next start serves them", async () => {
      await gw.stop();
      expect((await gw.updateConfig(setVar("WHILE_STOPPED", "1"))).applied).toBe("file");
      expect(await updateFromAnotherProcess(gw.context.configPath, "OTHER_STOPPED", "1")).toMatchObject({ applied: "file", counts: { file: 1, live: 0 } });
      await gw.start();
      const got = (await gw.call("config.get", {})) as { config: OpenClawConfig };
      expect(vars(got.config).WHILE_STOPPED).toBe("1");
      expect(vars(got.config).OTHER_STOPPED).toBe("1");
      expect(vars(got.config).AFTER_HAND).toBe("2");
    });
  });
}
