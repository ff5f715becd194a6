import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost } from "clawhost";
import { profileHashPort } from "../../src/context/profile.js";
import { readCmdline } from "../../src/fs/proc.js";
import { finishFile, GatewayWatch, makeTmp, stillAlive, treeOf } from "../helpers.js";

// Taking over the layout of `openclaw --profile NAME` (~/.openclaw-NAME), with a private
// profile home so no real ~ is touched.
const tmp = makeTmp("profile");
const leases = makeTmp("profile-leases");
const fleet = new GatewayWatch();
afterAll(() => finishFile(fleet, leases.dir, tmp, leases));

function writeProfile(home: string, name: string, config: Record<string, unknown>): string {
  const dir = join(home, `.openclaw-${name}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, "openclaw.json"), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return dir;
}

describe("profile adoption", () => {
  it("uses OpenClaw's hashed profile port when the config names none; main and rescue (60 apart) cannot both have theirs", async () => {
    expect(profileHashPort("rescue")).toBe(23532);
    expect(profileHashPort("main")).toBe(23592);
    const home = join(tmp.dir, "home-hash");
    writeProfile(home, "main", { gateway: { mode: "local" } });
    writeProfile(home, "rescue", { gateway: { mode: "local" } });
    const host = fleet.host(new GatewayHost({ root: join(tmp.dir, "root-hash"), profileHome: home, leaseDir: leases.dir }));
    try {
      const main = await host.add({ name: "main", profile: true });
      expect(main.context.ports.gateway).toBe(23592);
      expect(main.context.stateDir).toBe(join(home, ".openclaw-main"));
      expect(main.context.configPath).toBe(join(home, ".openclaw-main", "openclaw.json"));
      expect(main.context.workspace).toBe(join(home, ".openclaw-main", "workspace"));
      const err = await (async () => {
        try {
          await host.add({ name: "rescue", profile: true });
        } catch (e) {
          return e;
        }
      })();
      expect((err as ClawhostError).code).toBe("CLAWHOST_PORT_OVERLAP");
      expect((err as ClawhostError).message).toContain('"main"');
      // Given its own port, the rescue profile is taken over like any other gateway.
      const rescue = await host.add({ name: "rescue", profile: true, port: 23840 });
      expect(rescue.context.stateDir).toBe(join(home, ".openclaw-rescue"));
    } finally {
      await host[Symbol.asyncDispose]();
    }
  });

  it("refuses paths together with profile, and a profile config that does not parse, before writing anything", async () => {
    const home = join(tmp.dir, "home-bad");
    const dir = writeProfile(home, "bad", {});
    writeFileSync(join(dir, "openclaw.json"), "{ not json5 ");
    const host = fleet.host(new GatewayHost({ root: join(tmp.dir, "root-bad"), profileHome: home, leaseDir: leases.dir }));
    await expect(async () => await host.add({ name: "x", profile: true, paths: { stateDir: "/tmp/x" } })).rejects.toMatchObject({
      code: "CLAWHOST_INVALID_OPTIONS",
    });
    await expect(async () => await host.add({ name: "bad", profile: true })).rejects.toMatchObject({ code: "CLAWHOST_CONFIG_INVALID" });
    expect(readFileSync(join(dir, "openclaw.json"), "utf8")).toBe("{ not json5 ");
    expect(host.list()).toEqual([]);
  });

  it("on the real gateway: starts the existing profile with its port, state dir and configured token", async () => {
    const home = join(tmp.dir, "home-real");
    const token = "ab".repeat(32);
    const dir = writeProfile(home, "rescue", { gateway: { mode: "local", port: 10440, auth: { mode: "token", token } } });
    writeFileSync(join(dir, "marker.txt"), "kept");
    const host = fleet.host(new GatewayHost({ root: join(tmp.dir, "root-real"), profileHome: home, ports: { from: 10440, to: 10679 }, leaseDir: leases.dir }));
    const gw = await host.add({ name: "rescue", profile: true });
    try {
      expect(gw.context.ports.gateway).toBe(10440);
      await gw.start();
      expect(gw.hello?.snapshot.stateDir).toBe(dir);
      expect(gw.hello?.snapshot.configPath).toBe(join(dir, "openclaw.json"));
      expect(((await gw.call("health", {})) as { ok?: boolean }).ok).toBe(true);
      for (const m of treeOf(gw.pid!)) expect(readCmdline(m.pid) ?? "").not.toContain(token);
      expect(JSON.stringify(gw.snapshot())).not.toContain(token);
      expect(readFileSync(join(dir, "marker.txt"), "utf8")).toBe("kept");
      const cfg = JSON.parse(readFileSync(join(dir, "openclaw.json"), "utf8")) as { gateway: { auth: { token: string }; port: number } };
      expect(cfg.gateway.auth.token).toBe(token);
      expect(cfg.gateway.port).toBe(10440);
    } finally {
      const tree = gw.pid ? treeOf(gw.pid) : [];
      await host[Symbol.asyncDispose]();
      expect(stillAlive(tree)).toEqual([]);
    }
  });
});
