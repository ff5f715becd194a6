// Config updates and ConfigStore: bad updates and options are refused; a rejected update
// leaves no file (and no directory) that was not there before, and an existing file
// byte-identical.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { ConfigStore } from "clawhost";
import type { ConfigStoreOptions, Gateway } from "clawhost";
import { rows } from "./harness.js";
import type { Env } from "./harness.js";

const store = (opts: unknown) => () => new ConfigStore(opts as ConfigStoreOptions);
const fresh = (env: Env): ConfigStore => new ConfigStore({ name: "main", configPath: join(env.dir, "cfg", "openclaw.json") });
const noConfigFile = (_err: unknown, env: Env): void => {
  expect(existsSync(join(env.dir, "cfg")), "the config dir was created").toBe(false);
};

describe("new ConfigStore(options)", () => {
  rows([
    { name: "new ConfigStore() without options", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: store(undefined) },
    { name: "new ConfigStore(null)", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: store(null) },
    { name: "new ConfigStore({}) (no name, no path)", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: store({}), check: (err) => expect(Object.keys(err.value as object).sort()).toEqual(["configPath", "name"]) },
    { name: "a relative configPath", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: store({ name: "main", configPath: "openclaw.json" }) },
    { name: "a misspelt key (configpath)", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: store({ name: "main", configpath: "/srv/x.json" }), check: (err) => expect(err.fix).toContain("configPath") },
    { name: "a target without its functions", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: (env) => new ConfigStore({ name: "main", configPath: join(env.dir, "c.json"), target: {} as never }) },
    { name: "configPath /etc/passwd", code: "CLAWHOST_PATH_UNSAFE", sync: true, act: store({ name: "main", configPath: "/etc/passwd" }) },
    {
      name: "a configPath that is a directory",
      code: "CLAWHOST_PATH_INVALID",
      sync: true,
      setup: (env) => mkdirSync(join(env.dir, "cfg.json")),
      act: (env) => new ConfigStore({ name: "main", configPath: join(env.dir, "cfg.json") }),
    },
  ]);
});

describe("ConfigStore.update", () => {
  rows<ConfigStore>([
    { name: "update(42)", code: "CLAWHOST_INVALID_ARGUMENT", gateway: "main", setup: fresh, act: (_env, s) => s.update(42 as never), check: noConfigFile },
    { name: 'update("env.vars.A=1")', code: "CLAWHOST_INVALID_ARGUMENT", gateway: "main", setup: fresh, act: (_env, s) => s.update("env.vars.A=1" as never), check: noConfigFile },
    { name: "update(null)", code: "CLAWHOST_INVALID_ARGUMENT", gateway: "main", setup: fresh, act: (_env, s) => s.update(null as never), check: noConfigFile },
    { name: "update([]) (an array is no merge patch)", code: "CLAWHOST_INVALID_ARGUMENT", gateway: "main", setup: fresh, act: (_env, s) => s.update([] as never), check: noConfigFile },
    {
      name: "update(<circular patch>)",
      code: "CLAWHOST_INVALID_ARGUMENT",
      gateway: "main",
      setup: fresh,
      act: (_env, s) => {
        const patch: Record<string, unknown> = {};
        patch.self = patch;
        return s.update(patch);
      },
      check: noConfigFile,
    },
    { name: "update({}, { timeoutMs: -1 })", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", setup: fresh, act: (_env, s) => s.update({}, { timeoutMs: -1 }), check: noConfigFile },
    { name: "update({}, { signal: {} })", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", setup: fresh, act: (_env, s) => s.update({}, { signal: {} as AbortSignal }), check: noConfigFile },
    { name: "update({}, { timeout: 5 }) (misspelt)", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", setup: fresh, act: (_env, s) => s.update({}, { timeout: 5 } as never), check: (err) => expect(err.fix).toContain("timeoutMs") },
    { name: "an update that throws (no file created)", code: "CLAWHOST_CONFIG_INVALID", gateway: "main", setup: fresh, act: (_env, s) => s.update(() => { throw new Error("boom"); }), check: noConfigFile },
    {
      name: "an update that leaves no object (no file created)",
      code: "CLAWHOST_CONFIG_INVALID",
      gateway: "main",
      setup: fresh,
      act: (_env, s) => s.update(() => 42 as never),
      check: noConfigFile,
    },
    {
      name: "an update on a config that does not parse (file byte-identical)",
      code: "CLAWHOST_CONFIG_INVALID",
      gateway: "main",
      setup: (env) => {
        mkdirSync(join(env.dir, "cfg"));
        writeFileSync(join(env.dir, "cfg", "openclaw.json"), "{ broken");
        return fresh(env);
      },
      act: (_env, s) => s.update({ env: { vars: { A: "1" } } }),
      check: (err, env) => {
        expect(err.value).toBe(join(env.dir, "cfg", "openclaw.json"));
        expect(readFileSync(join(env.dir, "cfg", "openclaw.json"), "utf8")).toBe("{ broken");
      },
    },
    {
      name: "read() of a config path that became a directory",
      code: "CLAWHOST_FS_ERROR",
      gateway: "main",
      setup: (env) => {
        const s = fresh(env);
        mkdirSync(join(env.dir, "cfg", "openclaw.json"), { recursive: true });
        return s;
      },
      act: (_env, s) => s.read(),
      check: (err) => expect(err.details?.errno).toBe("EISDIR"),
    },
  ]);
});

describe("gateway.updateConfig", () => {
  rows<Gateway>([
    {
      name: "an update breaking an owned key before the first start (no file created)",
      code: "CLAWHOST_CONFIG_INVALID",
      gateway: "main",
      setup: (env) => env.gateway(),
      act: (_env, gw) => gw.updateConfig({ gateway: { port: 1 } }),
      check: (err, _env, gw) => {
        expect(err.value).toBe("gateway.port");
        expect(err.message).toContain("is unchanged");
        expect(existsSync(gw.context.configPath)).toBe(false);
        expect(existsSync(gw.context.dir)).toBe(false);
      },
    },
    {
      name: 'an update setting gateway.mode "remote" on a started config (file byte-identical)',
      code: "CLAWHOST_CONFIG_INVALID",
      gateway: "main",
      setup: async (env) => {
        const gw = await env.gateway();
        await gw.start();
        await gw.stop();
        return gw;
      },
      act: (_env, gw) => gw.updateConfig({ gateway: { mode: "remote" } }),
      check: (err) => expect(err.value).toBe("gateway.mode"),
    },
    {
      name: "an update while a start never gets ready gives up at its timeoutMs",
      code: "CLAWHOST_ABORTED",
      gateway: "main",
      setup: async (env) => {
        env.world.defaultBoot = { kind: "manual" };
        const gw = await env.gateway();
        void gw.start().catch(() => undefined);
        await env.world.waiting();
        return gw;
      },
      act: (_env, gw) => gw.updateConfig({ env: { vars: { LATE: "1" } } }, { timeoutMs: 20 }),
      check: (err) => expect(err.value).toBe("timeout"),
      touchesRoot: true,
    },
  ]);
});
