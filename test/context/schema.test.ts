import { describe, expect, it } from "vitest";
import { ClawhostError } from "clawhost";
import { InstanceContext } from "../../src/context/context.js";
import { portBlockFor } from "../../src/ports/block.js";
import { validateGatewayName } from "../../src/context/schema.js";
import { normalizeGatewaySpec, normalizeHostOptions } from "../../src/context/schema.js";
import { isScrubbedEnvKey, scrubEnv } from "../../src/context/env.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ClawhostError ? err.code : `not a ClawhostError: ${String(err)}`;
  }
  return undefined;
}

describe("gateway names follow OpenClaw's profile rule", () => {
  it.each(["main", "rescue", "a", "A1_b-2", "x".repeat(64)])("accepts %j", (name) => {
    expect(() => validateGatewayName(name)).not.toThrow();
  });
  it.each(["", "../x", "a/b", "a\\b", "..", "-lead", "_lead", "x".repeat(65), "sp ace", "dot.ted"])("refuses %j", (name) => {
    expect(codeOf(() => validateGatewayName(name))).toBe("CLAWHOST_INVALID_NAME");
  });
  it("names the value and the fix in the message", () => {
    try {
      validateGatewayName("../etc");
      expect.unreachable();
    } catch (err) {
      const e = err as ClawhostError;
      expect(e.message).toContain('"../etc"');
      expect(e.message).toContain("Fix:");
      expect(e.value).toBe("../etc");
    }
  });
});

describe("spec validation", () => {
  it("lists every bad field's path", () => {
    try {
      normalizeGatewaySpec({
        name: "main",
        port: 80,
        env: { OPENCLAW_STATE_DIR: "/x", HOME: "/y", FINE: "ok" },
        config: { gateway: { auth: { token: "x" } }, logging: { file: "/tmp/x" } },
        bogus: 1,
      } as never);
      expect.unreachable();
    } catch (err) {
      const e = err as ClawhostError;
      expect(e.code).toBe("CLAWHOST_INVALID_OPTIONS");
      const paths = (e.details?.issues as Array<{ path: string }>).map((i) => i.path).sort();
      expect(paths).toEqual(["", "config.gateway.auth", "config.logging.file", "env.HOME", "env.OPENCLAW_STATE_DIR", "port"].sort());
      expect(e.gateway).toBe("main");
    }
  });
  it("refuses a block that does not fit below 65536", () => {
    expect(codeOf(() => normalizeGatewaySpec({ name: "hi", port: 65426 }))).toBe("CLAWHOST_PORT_RANGE");
    expect(codeOf(() => normalizeGatewaySpec({ name: "hi", port: 65425 }))).toBeUndefined();
  });
  it("refuses relative path overrides", () => {
    expect(codeOf(() => normalizeGatewaySpec({ name: "hi", paths: { stateDir: "rel/dir" } }))).toBe("CLAWHOST_INVALID_OPTIONS");
  });
  it("host options: bad fields are listed, root made absolute", () => {
    expect(codeOf(() => normalizeHostOptions({ root: "", readyTimeoutMs: -1 }))).toBe("CLAWHOST_INVALID_OPTIONS");
    expect(normalizeHostOptions({ root: "rel" }).root).toBe(`${process.cwd()}/rel`);
  });
});

describe("InstanceContext", () => {
  const ctx = new InstanceContext({
    root: "/srv/gw",
    spec: normalizeGatewaySpec({ name: "main", port: 20000, env: { MY_API_KEY: "sekrit", OPENCLAW_EAGER_BROWSER_CONTROL_SERVER: "1" } }),
    basePort: 20000,
    parentEnv: {
      PATH: "/usr/bin",
      OPENCLAW_PROFILE: "leak",
      OPENCLAW_GATEWAY_TOKEN: "inherited",
      INVOCATION_ID: "abc",
      JOURNAL_STREAM: "8:1",
      SYSTEMD_EXEC_PID: "1",
      NODE_COMPILE_CACHE: "/x",
      npm_lifecycle_event: "test",
      VITEST: "true",
      NODE_ENV: "test",
    },
    compileCacheDir: "/tmp/node-compile-cache",
  });

  it("derives the port block from the base", () => {
    expect(ctx.ports).toEqual({
      gateway: 20000,
      browserControl: 20002,
      cdp: { start: 20011, end: 20110 },
      block: { start: 20000, end: 20110 },
    });
    expect(portBlockFor(19789).cdp).toEqual({ start: 19800, end: 19899 });
  });

  it("puts every path under <root>/<name>, the config in a dir of its own", () => {
    expect(ctx.configPath).toBe("/srv/gw/main/config/openclaw.json");
    expect(ctx.configDir).toBe("/srv/gw/main/config");
    for (const p of [ctx.stateDir, ctx.workspace, ctx.logFile, ctx.homeDir, ctx.tmpDir, ctx.cacheDir, ctx.cwd, ctx.tokenFile]) {
      expect(p.startsWith("/srv/gw/main/")).toBe(true);
    }
    expect(new Set([ctx.stateDir, ctx.workspace, ctx.configDir, ctx.homeDir, ctx.tmpDir, ctx.cacheDir, ctx.cwd]).size).toBe(7);
  });

  it("builds the child env: embedding preset, isolation, inherited OpenClaw/systemd vars removed", () => {
    expect(ctx.env).toMatchObject({
      PATH: "/usr/bin",
      HOME: ctx.homeDir,
      TMPDIR: ctx.tmpDir,
      XDG_CACHE_HOME: ctx.cacheDir,
      OPENCLAW_STATE_DIR: ctx.stateDir,
      OPENCLAW_CONFIG_PATH: ctx.configPath,
      OPENCLAW_DISABLE_BONJOUR: "1",
      OPENCLAW_NO_RESPAWN: "1",
      OPENCLAW_SKIP_CHANNELS: "1",
      OPENCLAW_EXEC_SHELL_SNAPSHOT: "0",
      OPENCLAW_EAGER_BROWSER_CONTROL_SERVER: "1",
    });
    for (const k of ["OPENCLAW_PROFILE", "OPENCLAW_GATEWAY_TOKEN", "INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID", "NODE_COMPILE_CACHE", "npm_lifecycle_event", "VITEST", "NODE_ENV"]) {
      expect(ctx.env).not.toHaveProperty(k);
    }
  });

  it("is immutable", () => {
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(Object.isFrozen(ctx.env)).toBe(true);
    expect(() => {
      (ctx as { stateDir: string }).stateDir = "/elsewhere";
    }).toThrow();
  });

  it("redacts secret-looking env values in toJSON", () => {
    const json = JSON.stringify(ctx);
    expect(json).not.toContain("sekrit");
    expect(json).toContain('"MY_API_KEY":"[redacted]"');
  });

  it("scrubs by rule", () => {
    expect(isScrubbedEnvKey("OPENCLAW_ANYTHING")).toBe(true);
    expect(isScrubbedEnvKey("PATH")).toBe(false);
    expect(scrubEnv({ A: "1", OPENCLAW_X: "2", B: undefined })).toEqual({ A: "1" });
  });

  it("hands out the env as it is now: values shared between calls never go stale", () => {
    expect(scrubEnv({ SHARED_A: "1", SHARED_B: "x" })).toEqual({ SHARED_A: "1", SHARED_B: "x" });
    expect(scrubEnv({ SHARED_A: "2", SHARED_B: "x" })).toEqual({ SHARED_A: "2", SHARED_B: "x" });
    expect(scrubEnv({ SHARED_A: "1" })).toEqual({ SHARED_A: "1" });
    expect(scrubEnv({ SHARED_B: "" })).toEqual({ SHARED_B: "" });
  });
});
