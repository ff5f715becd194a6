import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// `npm test` builds first: the published entry points must load from both module systems.
describe("the built package", () => {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, unknown>; engines: { node: string } };

  it("exposes ESM, CJS and types through its exports map", () => {
    expect(pkg.exports["."]).toEqual({
      import: { types: "./dist/index.d.ts", default: "./dist/index.js" },
      require: { types: "./dist/index.d.cts", default: "./dist/index.cjs" },
    });
    expect(pkg.engines.node).toBe(">=22");
  });

  it.each([
    ["require", `const m = require("clawhost"); console.log(typeof m.GatewayHost, typeof m.ClawhostError, Object.keys(m).includes("default"))`, "--input-type=commonjs"],
    ["import", `const m = await import("clawhost"); console.log(typeof m.GatewayHost, typeof m.ClawhostError, Object.keys(m).includes("default"))`, "--input-type=module"],
  ])("loads with %s", (_kind, code, flag) => {
    const r = spawnSync(process.execPath, [flag, "-e", code], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("function function false");
  });

  // The config validator runs in a worker that resolves ajv from the bundle's own URL.
  it.each([
    ["require", `const { GatewayHost } = require("clawhost");`, "--input-type=commonjs"],
    ["import", `const { GatewayHost } = await import("clawhost");`, "--input-type=module"],
  ])("validates a config against OpenClaw's schema with %s", (kind, load, flag) => {
    const root = mkdtempSync(join(tmpdir(), `clawhost-pkg-${kind}-`));
    try {
      const code = `${load}
        (async () => {
          const host = new GatewayHost({ root: ${JSON.stringify(root)}, ports: { from: 46000, to: 46239 } });
          const gw = host.add({ name: "p" });
          const ok = await gw.updateConfig({ env: { vars: { A: "1" } } });
          const bad = await gw.updateConfig({ env: { vars: { B: 2 } } }).catch((e) => e);
          console.log(ok.applied, bad.code, bad.value);
          host.remove("p");
          await host[Symbol.asyncDispose]();
        })();`;
      const r = spawnSync(process.execPath, [flag, "-e", code], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.stdout.trim()).toBe("file CLAWHOST_CONFIG_INVALID env.vars.B");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
