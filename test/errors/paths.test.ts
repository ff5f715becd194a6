// `paths` overrides: refused at add() when they point at a system location, the wrong kind
// of file, a directory clawhost would have to chmod, or another gateway's directories; and
// a start never changes the mode of anything it did not create.
import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { GatewaySpec } from "clawhost";
import { Env, IS_ROOT, rows } from "./harness.js";

const add = (spec: Partial<GatewaySpec> | ((env: Env) => Partial<GatewaySpec>)) => (env: Env) =>
  env.host().add({ name: "main", ...(typeof spec === "function" ? spec(env) : spec) });

describe("system locations", () => {
  rows([
    { name: 'paths.workspace "/"', code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add({ paths: { workspace: "/" } }), check: (err) => expect(err.value).toBe("/") },
    { name: 'paths.configPath "/etc/passwd"', code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add({ paths: { configPath: "/etc/passwd" } }), check: (err) => expect(err.value).toBe("/etc/passwd") },
    { name: "paths.stateDir under /proc (mkdir -p would spin)", code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add({ paths: { stateDir: "/proc/self/state" } }) },
    { name: "paths.stateDir under /usr", code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add({ paths: { stateDir: "/usr/local/clawhost/state" } }) },
    { name: "paths.workspace the home directory itself", code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add({ paths: { workspace: homedir() } }) },
    { name: "paths.workspace the temp directory itself", code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add({ paths: { workspace: tmpdir() } }) },
    { name: 'config agents.defaults.workspace "/"', code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add({ config: { agents: { defaults: { workspace: "/" } } } }) },
    {
      name: "paths.stateDir through a symlink into /dev",
      code: "CLAWHOST_PATH_UNSAFE",
      gateway: "main",
      setup: (env) => symlinkSync("/dev", join(env.dir, "dev-link")),
      act: add((env) => ({ paths: { stateDir: join(env.dir, "dev-link", "state") } })),
    },
  ]);
});

describe("the wrong kind of file", () => {
  rows([
    {
      name: "paths.configPath that is a directory",
      code: "CLAWHOST_PATH_INVALID",
      gateway: "main",
      setup: (env) => mkdirSync(join(env.dir, "cfg-dir")),
      act: add((env) => ({ paths: { configPath: join(env.dir, "cfg-dir") } })),
      check: (err, env) => expect(err.value).toBe(join(env.dir, "cfg-dir")),
    },
    {
      name: "paths.stateDir that is a file",
      code: "CLAWHOST_PATH_INVALID",
      gateway: "main",
      setup: (env) => writeFileSync(join(env.dir, "state-file"), "x"),
      act: add((env) => ({ paths: { stateDir: join(env.dir, "state-file") } })),
    },
    {
      name: "paths.workspace below a file",
      code: "CLAWHOST_PATH_INVALID",
      gateway: "main",
      setup: (env) => writeFileSync(join(env.dir, "afile"), "x"),
      act: add((env) => ({ paths: { workspace: join(env.dir, "afile", "ws") } })),
    },
    {
      name: "the gateway's own directory is a file",
      code: "CLAWHOST_PATH_INVALID",
      gateway: "main",
      setup: (env) => {
        mkdirSync(env.root);
        writeFileSync(join(env.root, "main"), "x");
      },
      act: add({}),
    },
  ]);
});

describe("directories clawhost would have to chmod (a shared dir of mode 1777)", () => {
  rows<any>([
    { name: "paths.workspace a shared 1777 directory", code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add((env) => ({ paths: { workspace: env.shared } })), check: (err, env) => expect(err.value).toBe(env.shared) },
    { name: "paths.stateDir a shared 1777 directory", code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add((env) => ({ paths: { stateDir: env.shared } })) },
    { name: "paths.configPath inside a shared 1777 directory", code: "CLAWHOST_PATH_UNSAFE", gateway: "main", act: add((env) => ({ paths: { configPath: join(env.shared, "openclaw.json") } })) },
    {
      name: "paths.stateDir that belongs to another user (it would have to be chowned)",
      code: "CLAWHOST_PATH_UNSAFE",
      gateway: "main",
      skip: !IS_ROOT && "only root can give a directory to another user",
      setup: (env) => {
        mkdirSync(join(env.dir, "theirs"), { mode: 0o700 });
        chownSync(join(env.dir, "theirs"), 65534, 65534);
      },
      act: add((env) => ({ paths: { stateDir: join(env.dir, "theirs") } })),
      check: (err) => expect(err.message).toContain("uid 65534"),
    },
    {
      name: "a workspace made world-writable after add(): the start is refused, its mode untouched",
      code: "CLAWHOST_PATH_UNSAFE",
      gateway: "main",
      touchesRoot: true,
      setup: async (env) => {
        const ws = join(env.dir, "ws");
        const gw = await env.host().add({ name: "main", paths: { workspace: ws } });
        mkdirSync(ws);
        chmodSync(ws, 0o1777);
        return gw;
      },
      act: (_env, gw) => gw.start(),
      check: (_err, env, gw) => {
        expect(statSync(join(env.dir, "ws")).mode & 0o7777).toBe(0o1777);
        expect(gw.state).toBe("failed");
        expect(env.world.procs).toEqual([]);
      },
    },
  ]);

  it("an existing private workspace is used as it is: start() never chmods it", async () => {
    const env = new Env();
    try {
      const ws = join(env.dir, "ws");
      mkdirSync(ws, { mode: 0o755 });
      chmodSync(ws, 0o755);
      const gw = await env.host().add({ name: "main", paths: { workspace: ws } });
      await gw.start();
      expect(statSync(ws).mode & 0o7777).toBe(0o755);
      // What clawhost created itself is private.
      expect(statSync(gw.context.stateDir).mode & 0o777).toBe(0o700);
      await gw.stop();
    } finally {
      await env.dispose();
    }
  });
});

describe("another gateway's directories", () => {
  rows<any>([
    {
      name: "a state dir inside another gateway's directory (same host)",
      code: "CLAWHOST_PATH_CONFLICT",
      gateway: "b",
      setup: (env) => env.gateway({ name: "a" }),
      act: (env) => env.hosts[0]!.add({ name: "b", paths: { stateDir: join(env.root, "a", "state") } }),
    },
    {
      name: "a state dir inside a gateway of another host sharing the lease registry",
      code: "CLAWHOST_PATH_CONFLICT",
      gateway: "intruder",
      setup: async (env) => {
        const gw = await env.host().add({ name: "main" });
        mkdirSync(join(env.dir, "root2"));
        return gw;
      },
      act: (env, gw) => env.host({ root: join(env.dir, "root2") }).add({ name: "intruder", paths: { stateDir: gw.context.stateDir } }),
      check: (err, _env, gw) => expect(err.value).toBe(gw.context.stateDir),
    },
    {
      name: "a workspace containing another host's workspace override",
      code: "CLAWHOST_PATH_CONFLICT",
      gateway: "b",
      setup: async (env) => {
        await env.host().add({ name: "a", paths: { workspace: join(env.dir, "projects", "a") } });
        mkdirSync(join(env.dir, "root2"));
      },
      act: (env) => env.host({ root: join(env.dir, "root2") }).add({ name: "b", paths: { workspace: join(env.dir, "projects") } }),
    },
    {
      name: "a root nested in another host's gateway directory",
      code: "CLAWHOST_PATH_CONFLICT",
      gateway: "b",
      setup: (env) => env.host().add({ name: "a" }),
      act: (env) => env.host({ root: join(env.root, "a", "nested") }).add({ name: "b" }),
    },
  ]);
});
