// Token, config, run-record and lease files that are corrupt, directories or unreadable:
// typed errors naming the path (a start refused before anything is spawned, or with its
// process ended), and a corrupt lease registry kept aside and rebuilt with a warning.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Gateway, HostWarning } from "clawhost";
import { readProc } from "../../src/fs/proc.js";
import { Env, IS_ROOT, rows } from "./harness.js";

/** A gateway added (not started), with `prepare` run on its paths. */
async function added(env: Env, prepare: (gw: Gateway) => void): Promise<Gateway> {
  const gw = await env.gateway();
  prepare(gw);
  return gw;
}

function put(path: string, text: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode });
}

const nothingSpawned = (_err: unknown, env: Env, gw: Gateway): void => {
  expect(env.world.procs).toEqual([]);
  expect(gw.state).toBe("failed");
};

describe("files a start reads", () => {
  rows<Gateway>([
    {
      name: "a token file that holds no token",
      code: "CLAWHOST_SECRET_INVALID",
      gateway: "main",
      touchesRoot: true,
      setup: (env) => added(env, (gw) => put(gw.context.tokenFile, "not-a-token\n")),
      act: (_env, gw) => gw.start(),
      check: (err, env, gw) => {
        expect(err.value).toBe(gw.context.tokenFile);
        nothingSpawned(err, env, gw);
      },
    },
    {
      name: "a token file that is a directory",
      code: "CLAWHOST_FS_ERROR",
      gateway: "main",
      touchesRoot: true,
      setup: (env) => added(env, (gw) => mkdirSync(gw.context.tokenFile, { recursive: true, mode: 0o700 })),
      act: (_env, gw) => gw.start(),
      check: (err, env, gw) => {
        expect(err.value).toBe(gw.context.tokenFile);
        expect(err.details?.errno).toBe("EISDIR");
        nothingSpawned(err, env, gw);
      },
    },
    {
      name: "an unreadable token file",
      code: "CLAWHOST_FS_ERROR",
      gateway: "main",
      touchesRoot: true,
      skip: IS_ROOT && "root reads any file",
      setup: (env) => added(env, (gw) => put(gw.context.tokenFile, `${"a".repeat(64)}\n`, 0o000)),
      act: (_env, gw) => gw.start(),
      check: nothingSpawned,
    },
    {
      name: "a secrets dir that is a file",
      code: "CLAWHOST_FS_ERROR",
      gateway: "main",
      touchesRoot: true,
      setup: (env) => added(env, (gw) => put(gw.context.secretsDir, "x")),
      act: (_env, gw) => gw.start(),
      check: nothingSpawned,
    },
    {
      name: "a config file that does not parse (left byte-identical)",
      code: "CLAWHOST_CONFIG_INVALID",
      gateway: "main",
      touchesRoot: true,
      setup: (env) => added(env, (gw) => put(gw.context.configPath, "{ gateway: ")),
      act: (_env, gw) => gw.start(),
      check: (err, env, gw) => {
        expect(err.value).toBe(gw.context.configPath);
        expect(readFileSync(gw.context.configPath, "utf8")).toBe("{ gateway: ");
        nothingSpawned(err, env, gw);
      },
    },
    {
      name: "a config file that is an array",
      code: "CLAWHOST_CONFIG_INVALID",
      gateway: "main",
      touchesRoot: true,
      setup: (env) => added(env, (gw) => put(gw.context.configPath, "[1, 2]")),
      act: (_env, gw) => gw.start(),
      check: nothingSpawned,
    },
    {
      name: "a config path that became a directory after add()",
      code: "CLAWHOST_PATH_INVALID",
      gateway: "main",
      touchesRoot: true,
      setup: (env) => added(env, (gw) => mkdirSync(gw.context.configPath, { recursive: true, mode: 0o700 })),
      act: (_env, gw) => gw.start(),
      check: nothingSpawned,
    },
    {
      name: "an unreadable config file",
      code: "CLAWHOST_FS_ERROR",
      gateway: "main",
      touchesRoot: true,
      skip: IS_ROOT && "root reads any file",
      setup: (env) => added(env, (gw) => put(gw.context.configPath, "{}", 0o000)),
      act: (_env, gw) => gw.start(),
      check: nothingSpawned,
    },
    {
      name: "readConfig() of a config that does not parse",
      code: "CLAWHOST_CONFIG_INVALID",
      gateway: "main",
      setup: (env) => added(env, (gw) => put(gw.context.configPath, "nope")),
      act: (_env, gw) => gw.readConfig(),
    },
    {
      name: "the spec-config record is a directory",
      code: "CLAWHOST_FS_ERROR",
      gateway: "main",
      touchesRoot: true,
      setup: (env) => added(env, (gw) => mkdirSync(join(gw.context.dir, "spec-config.sha256"), { recursive: true, mode: 0o700 })),
      act: (_env, gw) => gw.start(),
      check: nothingSpawned,
    },
    {
      name: "the run record is a directory (the ready process is ended again)",
      code: "CLAWHOST_FS_ERROR",
      gateway: "main",
      touchesRoot: true,
      setup: (env) => added(env, (gw) => mkdirSync(join(gw.context.runFile, "x"), { recursive: true, mode: 0o700 })),
      act: (_env, gw) => gw.start(),
      check: (err, env, gw) => {
        expect(err.value).toBe(gw.context.runFile);
        expect(env.world.procs.every((p) => p.exitInfo)).toBe(true);
        expect(gw.state).toBe("failed");
      },
    },
    {
      name: "a root replaced by a file after add()",
      code: "CLAWHOST_PATH_INVALID",
      gateway: "main",
      setup: (env) =>
        added(env, () => {
          rmSync(env.root, { recursive: true });
          writeFileSync(env.root, "x");
        }),
      act: (_env, gw) => gw.start(),
      check: nothingSpawned,
    },
  ]);
});

describe("the lease registry", () => {
  rows([
    {
      name: "a lease dir replaced by a file after the host was made",
      code: "CLAWHOST_FS_ERROR",
      gateway: "main",
      setup: (env) => {
        const host = env.host();
        rmSync(env.leaseDir, { recursive: true });
        writeFileSync(env.leaseDir, "x");
        env.onCleanup(() => {
          rmSync(env.leaseDir);
          mkdirSync(env.leaseDir, { mode: 0o700 });
        });
        return host;
      },
      act: (env) => env.hosts[0]!.add({ name: "main" }),
      check: (err, env) => expect(err.value).toBe(env.leaseDir),
    },
    {
      name: "a lease registry lock held by a live process",
      code: "CLAWHOST_LOCK_TIMEOUT",
      gateway: "main",
      setup: (env) => {
        const host = env.host();
        const lock = join(env.leaseDir, "leases.lock");
        mkdirSync(lock);
        // Held by this very process, as far as the lock can tell: alive, so it is waited for.
        writeFileSync(join(lock, "owner.json"), JSON.stringify({ pid: process.pid, startTime: readProc(process.pid)!.startTime }));
        env.onCleanup(() => rmSync(lock, { recursive: true }));
        return host;
      },
      act: (env) => env.hosts[0]!.add({ name: "main" }, { timeoutMs: 50 }),
      check: (err, env) => expect(err.value).toBe(join(env.leaseDir, "leases.lock")),
    },
    {
      name: "an unreadable lease registry",
      code: "CLAWHOST_FS_ERROR",
      skip: IS_ROOT && "root reads any file",
      setup: (env) => {
        writeFileSync(join(env.leaseDir, "leases.json"), "[]", { mode: 0o000 });
        return env.host();
      },
      act: (env) => env.hosts[0]!.add({ name: "main" }),
    },
  ]);

  const corrupt: Array<[string, (file: string) => void, number]> = [
    ["garbage", (f) => writeFileSync(f, "\u0000\u0001 not json"), 0],
    ["a directory", (f) => mkdirSync(f), 0],
    ["an object, not a list", (f) => writeFileSync(f, JSON.stringify({ leases: [] })), 0],
    [
      "a list with entries that are not leases",
      (f) => writeFileSync(f, JSON.stringify([{ root: "/nonexistent-root-x", name: "kept", base: 30000, updatedAt: "x" }, { junk: true }, 42])),
      1,
    ],
  ];
  for (const [what, make, valid] of corrupt) {
    it(`a lease registry that is ${what} is kept aside, reported, and rebuilt from what is live`, async () => {
      const env = new Env();
      try {
        const file = join(env.leaseDir, "leases.json");
        make(file);
        const host = env.host();
        const warnings: HostWarning[] = [];
        host.on("warning", (w) => warnings.push(w));
        const a = await host.add({ name: "a" });
        expect(warnings.map((w) => w.code)).toEqual(["LEASES_CORRUPT"]);
        const aside = warnings[0]!.details!.movedTo as string;
        expect(existsSync(aside)).toBe(true);
        expect(warnings[0]!.details!.kept).toBe(valid);
        expect(warnings[0]!.message).toContain(aside);
        // The rebuilt registry holds the live lease; a second add finds it and does not warn again.
        const b = await host.add({ name: "b" });
        expect(b.context.ports.block.start).not.toBe(a.context.ports.block.start);
        const leases = JSON.parse(readFileSync(file, "utf8")) as Array<{ name: string }>;
        expect(leases.map((l) => l.name).sort()).toEqual(["a", "b"]);
        expect(warnings).toHaveLength(1);
        // A registry lost again is rebuilt from the leases this process holds.
        writeFileSync(file, "{ broken");
        await host.add({ name: "c" });
        expect((JSON.parse(readFileSync(file, "utf8")) as Array<{ name: string }>).map((l) => l.name).sort()).toEqual(["a", "b", "c"]);
        expect(readdirSync(env.leaseDir).filter((f) => f.startsWith("leases.json.corrupt-"))).toHaveLength(2);
        chmodSync(env.leaseDir, 0o700);
      } finally {
        await env.dispose();
      }
    });
  }
});
