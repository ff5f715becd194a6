// host.add(spec): every bad spec refused before anything is written or leased.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import type { GatewaySpec } from "clawhost";
import { rows } from "./harness.js";
import type { Env } from "./harness.js";

const add = (spec: unknown, opts?: unknown) => (env: Env) => env.host().add(spec as GatewaySpec, opts as never);

function profile(env: Env, name: string, config: unknown): string {
  const home = join(env.dir, "profiles");
  const dir = join(home, `.openclaw-${name}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, "openclaw.json"), typeof config === "string" ? config : JSON.stringify(config), { mode: 0o600 });
  return home;
}

describe("the spec's shape", () => {
  rows([
    { name: "add() without a spec", code: "CLAWHOST_INVALID_OPTIONS", act: add(undefined) },
    { name: "add(null)", code: "CLAWHOST_INVALID_OPTIONS", act: add(null) },
    { name: 'add("main") (a name, not a spec)', code: "CLAWHOST_INVALID_OPTIONS", act: add("main") },
    { name: "a spec without a name", code: "CLAWHOST_INVALID_NAME", act: add({ port: 30000 }) },
    { name: "a name with a path separator", code: "CLAWHOST_INVALID_NAME", act: add({ name: "../etc" }), check: (err) => expect(err.value).toBe("../etc") },
    { name: "a name with a space", code: "CLAWHOST_INVALID_NAME", act: add({ name: "my gateway" }) },
    { name: "a name of 65 characters", code: "CLAWHOST_INVALID_NAME", act: add({ name: "n".repeat(65) }) },
    {
      name: "a misspelt key (prot)",
      code: "CLAWHOST_INVALID_OPTIONS",
      gateway: "main",
      act: add({ name: "main", prot: 30000 }),
      check: (err) => {
        expect(err.fix).toContain("port");
        expect(err.value).toEqual({ prot: 30000 });
      },
    },
    { name: "a misspelt key (confg)", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", confg: {} }), check: (err) => expect(err.fix).toContain("config") },
    { name: "port 80", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", port: 80 }), check: (err) => expect(err.value).toEqual({ port: 80 }) },
    { name: "port 3.5", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", port: 3.5 }) },
    { name: 'port "30000" (a string)', code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", port: "30000" }) },
    { name: "a block above 65535", code: "CLAWHOST_PORT_RANGE", gateway: "main", act: add({ name: "main", port: 65500 }), check: (err) => expect(err.value).toBe(65500) },
    {
      name: "an env key clawhost owns (HOME)",
      code: "CLAWHOST_INVALID_OPTIONS",
      gateway: "main",
      act: add({ name: "main", env: { HOME: "/elsewhere" } }),
      check: (err) => expect(err.value).toEqual({ "env.HOME": "[redacted]" }),
    },
    {
      name: "the gateway token in env (value never echoed)",
      code: "CLAWHOST_INVALID_OPTIONS",
      gateway: "main",
      act: add({ name: "main", env: { OPENCLAW_GATEWAY_TOKEN: "s3cr3t-token" } }),
      check: (err) => expect(JSON.stringify(err.toJSON())).not.toContain("s3cr3t-token"),
    },
    { name: "an env value that is a number", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", env: { REGION: 1 } }) },
    { name: 'config gateway.mode "remote" (would be replaced by local)', code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", config: { gateway: { mode: "remote" } } }), check: (err) => expect(err.value).toEqual({ "config.gateway.mode": "remote" }) },
    { name: "config gateway.port (the lease decides)", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", config: { gateway: { port: 18789 } } }) },
    { name: "config gateway.bind", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", config: { gateway: { bind: "lan" } } }) },
    {
      name: "config gateway.auth (token redacted)",
      code: "CLAWHOST_INVALID_OPTIONS",
      gateway: "main",
      act: add({ name: "main", config: { gateway: { auth: { token: "s3cr3t-token" } } } }),
      check: (err) => expect(JSON.stringify(err.toJSON())).not.toContain("s3cr3t-token"),
    },
    { name: "config logging.file", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", config: { logging: { file: "/tmp/x.log" } } }) },
    { name: "a relative workspace in the config", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", config: { agents: { defaults: { workspace: "ws" } } } }) },
    {
      name: "a config workspace that paths.workspace would override",
      code: "CLAWHOST_INVALID_OPTIONS",
      gateway: "main",
      act: (env) => env.host().add({ name: "main", paths: { workspace: join(env.dir, "ws-a") }, config: { agents: { defaults: { workspace: join(env.dir, "ws-b") } } } }),
      check: (err) => expect(err.message).toContain("paths.workspace"),
    },
    { name: "relative paths", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", paths: { stateDir: "state" } }) },
    { name: "a misspelt paths key (statedir)", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", paths: { statedir: "/srv/x" } }), check: (err) => expect(err.fix).toContain("stateDir") },
    { name: "a restart factor of 0", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", restart: { factor: 0 } }) },
    { name: "liveness failures 0", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", liveness: { failures: 0 } }) },
    { name: "add options: timeoutMs NaN", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main" }, { timeoutMs: Number.NaN }) },
    { name: "add options: a signal that is no AbortSignal", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main" }, { signal: { aborted: false } }) },
    { name: "add options: an aborted signal (nothing begun, no lease)", code: "CLAWHOST_ABORTED", gateway: "main", act: add({ name: "main" }, { signal: AbortSignal.abort() }) },
  ]);
});

describe("conflicts with what exists", () => {
  rows<any>([
    {
      name: "a duplicate name",
      code: "CLAWHOST_DUPLICATE_NAME",
      gateway: "main",
      setup: (env) => env.gateway(),
      act: (env) => env.hosts[0]!.add({ name: "main" }),
    },
    {
      name: "a port block overlapping another gateway's",
      code: "CLAWHOST_PORT_OVERLAP",
      gateway: "other",
      setup: (env) => env.gateway({ port: 30000 }),
      act: (env) => env.hosts[0]!.add({ name: "other", port: 30060 }),
      check: (err) => expect(err.value).toBe(30060),
    },
    {
      name: "a port block leased by another host",
      code: "CLAWHOST_PORT_OVERLAP",
      gateway: "other",
      setup: async (env) => {
        await env.host().add({ name: "main", port: 30000 });
        mkdirSync(join(env.dir, "root2"));
      },
      act: (env) => env.host({ root: join(env.dir, "root2") }).add({ name: "other", port: 30000 }),
    },
    {
      name: "a root and name managed by another live host",
      code: "CLAWHOST_LEASE_HELD",
      gateway: "main",
      setup: (env) => env.gateway(),
      act: (env) => env.host().add({ name: "main" }),
      check: (err) => expect(err.value).toBe(process.pid),
    },
    {
      name: "no free block left",
      code: "CLAWHOST_PORTS_EXHAUSTED",
      gateway: "b",
      setup: (env) => env.host({ ports: { from: 42000, to: 42119 } }).add({ name: "a" }),
      act: (env) => env.hosts[0]!.add({ name: "b" }),
    },
  ]);
});

describe("profile adoption", () => {
  rows([
    { name: "profile: true with paths", code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", act: add({ name: "main", profile: true, paths: { stateDir: "/srv/x" } }) },
    {
      name: "a profile config that does not parse (left as it is)",
      code: "CLAWHOST_CONFIG_INVALID",
      gateway: "bad",
      setup: (env) => profile(env, "bad", "{ not json5 "),
      act: (env, home) => env.host({ profileHome: home as string }).add({ name: "bad", profile: true }),
      check: (err, env) => expect(readFileSync(join(env.dir, "profiles", ".openclaw-bad", "openclaw.json"), "utf8")).toBe("{ not json5 "),
    },
    {
      name: "a port other than the profile config's gateway.port (would be overridden)",
      code: "CLAWHOST_INVALID_OPTIONS",
      gateway: "rescue",
      setup: (env) => profile(env, "rescue", { gateway: { mode: "local", port: 37000 } }),
      act: (env, home) => env.host({ profileHome: home as string }).add({ name: "rescue", profile: true, port: 38000 }),
      check: (err) => expect(err.value).toEqual({ port: 38000, "gateway.port": 37000 }),
    },
  ]);
});
