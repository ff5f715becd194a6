// new GatewayHost(options): every bad option refused at the boundary, nothing created.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { GatewayHost } from "clawhost";
import type { HostOptions } from "clawhost";
import { FAKE_BIN, IS_ROOT, rows } from "./harness.js";
import type { Env, Row } from "./harness.js";

const make = (opts: unknown) => () => new GatewayHost(opts as HostOptions);
const withOpts = (extra: Record<string, unknown>) => (env: Env) => new GatewayHost({ ...env.options(), ...extra } as HostOptions);

function suggests(key: string, suggestion: string) {
  return (err: { details?: Record<string, unknown>; fix?: string }) => {
    const issues = err.details?.issues as Array<{ key?: string; suggestion?: string }>;
    expect(issues.find((i) => i.key === key)?.suggestion).toBe(suggestion);
    expect(err.fix).toContain(suggestion);
  };
}

describe("host options", () => {
  rows([
    { name: "no options at all", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: make(undefined) },
    { name: "null options", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: make(null) },
    { name: "a string instead of options", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: make("/var/lib/gw") },
    { name: "an empty root", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ root: "" }) },
    { name: "a root that is a number", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ root: 42 }) },
    { name: "a root with a NUL byte", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: (env) => new GatewayHost({ ...env.options(), root: `${env.root}\0x` }) },
    {
      name: "a misspelt key (readyTimeout)",
      code: "CLAWHOST_INVALID_OPTIONS",
      sync: true,
      act: withOpts({ readyTimeout: 5_000 }),
      check: (err) => {
        suggests("readyTimeout", "readyTimeoutMs")(err);
        expect(err.value).toEqual({ readyTimeout: 5_000 });
      },
    },
    { name: "a misspelt nested key (openclaw.binary)", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ openclaw: { binary: FAKE_BIN } }), check: suggests("binary", "bin") },
    { name: "a misspelt restart key (maxFailure)", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ restart: { maxFailure: 3 } }), check: suggests("maxFailure", "maxFailures") },
    {
      name: "readyTimeoutMs NaN",
      code: "CLAWHOST_INVALID_OPTIONS",
      sync: true,
      act: withOpts({ readyTimeoutMs: Number.NaN }),
      check: (err) => {
        expect(err.value).toEqual({ readyTimeoutMs: "NaN" });
        expect(err.message).toContain("got NaN");
      },
    },
    { name: "readyTimeoutMs negative", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ readyTimeoutMs: -1 }), check: (err) => expect(err.value).toEqual({ readyTimeoutMs: -1 }) },
    { name: "readyTimeoutMs infinite", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ readyTimeoutMs: Number.POSITIVE_INFINITY }) },
    { name: "stopTimeoutMs as a string", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ stopTimeoutMs: "10s" }), check: (err) => expect(err.value).toEqual({ stopTimeoutMs: "10s" }) },
    { name: "startConcurrency 0", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ startConcurrency: 0 }) },
    { name: "a port range below 1024", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ ports: { from: 80, to: 1000 } }) },
    { name: "a port range too small for one block", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ ports: { from: 30000, to: 30050 } }) },
    { name: "a port range with start/end keys", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ ports: { start: 30000, end: 31000 } }) },
    { name: "an unknown restart mode", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ restart: { mode: "sometimes" } }), check: (err) => expect(err.value).toEqual({ "restart.mode": "sometimes" }) },
    { name: "a liveness interval below 100 ms", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ liveness: { intervalMs: 10 } }) },
    { name: "liveness: true", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ liveness: true }) },
    { name: 'outlive: "yes"', code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ outlive: "yes" }) },
    { name: "a relative leaseDir", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ leaseDir: "leases" }) },
    { name: "a relative profileHome", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ profileHome: "~/profiles" }) },
  ]);
});

describe("host paths", () => {
  rows([
    { name: 'root "/"', code: "CLAWHOST_PATH_UNSAFE", sync: true, act: withOpts({ root: "/" }), check: (err) => expect(err.value).toBe("/") },
    { name: "a root under /proc (mkdir -p would spin)", code: "CLAWHOST_PATH_UNSAFE", sync: true, act: withOpts({ root: "/proc/clawhost-test/root" }) },
    { name: "a root under /etc", code: "CLAWHOST_PATH_UNSAFE", sync: true, act: withOpts({ root: "/etc/clawhost" }) },
    { name: "the home directory itself as root", code: "CLAWHOST_PATH_UNSAFE", sync: true, act: withOpts({ root: homedir() }) },
    {
      name: "a root that is a symlink into /sys",
      code: "CLAWHOST_PATH_UNSAFE",
      sync: true,
      setup: (env) => symlinkSync("/sys/kernel", join(env.dir, "sys-link")),
      act: (env) => new GatewayHost({ ...env.options(), root: join(env.dir, "sys-link", "root") }),
    },
    {
      name: "a root that is a file",
      code: "CLAWHOST_PATH_INVALID",
      sync: true,
      setup: (env) => writeFileSync(join(env.dir, "afile"), "x"),
      act: (env) => new GatewayHost({ ...env.options(), root: join(env.dir, "afile") }),
    },
    {
      name: "a root below a file",
      code: "CLAWHOST_PATH_INVALID",
      sync: true,
      setup: (env) => writeFileSync(join(env.dir, "afile"), "x"),
      act: (env) => new GatewayHost({ ...env.options(), root: join(env.dir, "afile", "root") }),
    },
    { name: "a world-writable shared directory as root (mode 1777)", code: "CLAWHOST_PATH_UNSAFE", sync: true, act: (env) => new GatewayHost({ ...env.options(), root: env.shared }) },
    {
      name: "an unwritable root",
      code: "CLAWHOST_PATH_INVALID",
      sync: true,
      skip: IS_ROOT && "root bypasses permissions",
      setup: (env) => {
        mkdirSync(env.root);
        chmodSync(env.root, 0o500);
      },
      act: withOpts({}),
    },
    { name: "a leaseDir under /proc", code: "CLAWHOST_PATH_UNSAFE", sync: true, act: withOpts({ leaseDir: "/proc/self/clawhost-leases" }) },
    {
      name: "a leaseDir that is a file",
      code: "CLAWHOST_PATH_INVALID",
      sync: true,
      setup: (env) => writeFileSync(join(env.dir, "leases-file"), "x"),
      act: (env) => new GatewayHost({ ...env.options(), leaseDir: join(env.dir, "leases-file") }),
    },
    { name: "a world-writable leaseDir", code: "CLAWHOST_PATH_UNSAFE", sync: true, act: (env) => new GatewayHost({ ...env.options(), leaseDir: env.shared }) },
  ]);
});

describe("runtime resolution", () => {
  rows([
    { name: "openclaw.bin that does not exist", code: "CLAWHOST_OPENCLAW_NOT_FOUND", sync: true, act: (env) => new GatewayHost({ ...env.options(), openclaw: { bin: join(env.dir, "nope", "openclaw") } }) },
    {
      name: "openclaw.bin that is a directory inside an openclaw package",
      code: "CLAWHOST_OPENCLAW_NOT_FOUND",
      sync: true,
      setup: (env) => {
        mkdirSync(join(env.dir, "pkg", "dist"), { recursive: true });
        writeFileSync(join(env.dir, "pkg", "package.json"), JSON.stringify({ name: "openclaw", version: "1.0.0" }));
      },
      act: (env) => new GatewayHost({ ...env.options(), openclaw: { bin: join(env.dir, "pkg", "dist"), node: process.execPath } }),
    },
    {
      name: "openclaw.bin outside any openclaw package",
      code: "CLAWHOST_OPENCLAW_NOT_FOUND",
      sync: true,
      setup: (env) => writeFileSync(join(env.dir, "openclaw.mjs"), ""),
      act: (env) => new GatewayHost({ ...env.options(), openclaw: { bin: join(env.dir, "openclaw.mjs") } }),
    },
    { name: "a relative openclaw.bin", code: "CLAWHOST_INVALID_OPTIONS", sync: true, act: withOpts({ openclaw: { bin: "node_modules/.bin/openclaw" } }) },
    {
      name: "no openclaw anywhere (searchFrom an empty dir, PATH without it)",
      code: "CLAWHOST_OPENCLAW_NOT_FOUND",
      sync: true,
      setup: (env) => {
        const path = process.env.PATH;
        process.env.PATH = "/usr/bin:/bin";
        env.onCleanup(() => void (process.env.PATH = path));
      },
      act: (env) => new GatewayHost({ ...env.options(), openclaw: { searchFrom: env.dir } }),
    },
    { name: "openclaw.node that does not exist", code: "CLAWHOST_NODE_UNSUPPORTED", sync: true, act: (env) => new GatewayHost({ ...env.options(), openclaw: { bin: FAKE_BIN, node: join(env.dir, "node") } }) },
    { name: "openclaw.node that is a directory", code: "CLAWHOST_NODE_UNSUPPORTED", sync: true, act: (env) => new GatewayHost({ ...env.options(), openclaw: { bin: FAKE_BIN, node: env.dir } }) },
    {
      name: "an openclaw whose engines no Node satisfies",
      code: "CLAWHOST_NODE_UNSUPPORTED",
      sync: true,
      setup: (env) => {
        mkdirSync(join(env.dir, "pkg"));
        writeFileSync(join(env.dir, "pkg", "package.json"), JSON.stringify({ name: "openclaw", version: "2026.9.6", engines: { node: ">=99" } }));
        writeFileSync(join(env.dir, "pkg", "openclaw.mjs"), "");
      },
      act: (env) => new GatewayHost({ ...env.options(), openclaw: { bin: join(env.dir, "pkg", "openclaw.mjs"), node: process.execPath } }),
      check: (err) => expect(String(err.value)).toContain(process.execPath),
    },
    {
      name: "an openclaw outside the supported range (2026.7.35), checked before any Node is looked for",
      code: "CLAWHOST_OPENCLAW_UNSUPPORTED",
      sync: true,
      setup: (env) => {
        mkdirSync(join(env.dir, "old"));
        writeFileSync(join(env.dir, "old", "package.json"), JSON.stringify({ name: "openclaw", version: "2026.7.35", engines: { node: ">=99" } }));
        writeFileSync(join(env.dir, "old", "openclaw.mjs"), "");
      },
      act: (env) => new GatewayHost({ ...env.options(), openclaw: { bin: join(env.dir, "old", "openclaw.mjs"), node: process.execPath } }),
      check: (err) => {
        expect(err.value).toBe("2026.7.35");
        expect(err.message).toContain(">=2026.8.2 <2026.10.0");
      },
    },
  ]);
});

// Declared to keep the import used by type-only rows.
export type _Row = Row;
