import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// `npm test` builds first: the published entry points must load from both module systems.
// This file's own lease registry (the hosts live in child processes).
const leases = { dir: mkdtempSync(join(tmpdir(), "clawhost-test-pkg-leases-")) };
afterAll(() => rmSync(leases.dir, { recursive: true, force: true }));

describe("the built package", () => {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
    exports: Record<string, unknown>;
    engines: { node: string };
    peerDependenciesMeta: Record<string, { optional: boolean }>;
  };

  it("exposes ESM, CJS and types through its exports map", () => {
    expect(pkg.exports["."]).toEqual({
      import: { types: "./dist/index.d.ts", default: "./dist/index.js" },
      require: { types: "./dist/index.d.cts", default: "./dist/index.cjs" },
    });
    expect(pkg.engines.node).toBe(">=22");
    for (const sub of ["testing/index", "testing/vitest"]) {
      expect(pkg.exports[`./${sub.replace("/index", "")}`]).toEqual({
        import: { types: `./dist/${sub}.d.ts`, default: `./dist/${sub}.js` },
        require: { types: `./dist/${sub}.d.cts`, default: `./dist/${sub}.cjs` },
      });
    }
    expect(pkg.peerDependenciesMeta.vitest).toEqual({ optional: true });
  });

  // clawhost/testing/vitest must load where vitest cannot run a test (a globalSetup, a CJS config): it touches vitest on first use.
  it.each([
    ["require", `const t = require("clawhost/testing"); const v = require("clawhost/testing/vitest"); const c = require("clawhost");`, "--input-type=commonjs"],
    ["import", `const t = await import("clawhost/testing"); const v = await import("clawhost/testing/vitest"); const c = await import("clawhost");`, "--input-type=module"],
  ])("loads clawhost/testing and clawhost/testing/vitest with %s", (_kind, load, flag) => {
    const code = `${load} console.log(typeof t.createGatewayPool, typeof v.globalSetup, typeof v.test, typeof v.createTest, t.defaultSpares({ cores: 2, freeBytes: 8 * 1024 ** 3 }));`;
    const r = spawnSync(process.execPath, [flag, "-e", code], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("function function function function 2");
  });

  it("bundles neither vitest nor a second copy of the SDK into the testing entries", () => {
    for (const file of ["dist/testing/index.js", "dist/testing/vitest.js", "dist/testing/index.cjs", "dist/testing/vitest.cjs"]) {
      const text = readFileSync(file, "utf8");
      expect(text, file).not.toMatch(/class GatewayHost\b/);
      expect(text, file).not.toMatch(/Vitest failed to find/);
    }
  });

  it.each([
    ["require", `const h = require("clawhost/http"); const m = require("clawhost");`, "--input-type=commonjs"],
    ["import", `const h = await import("clawhost/http"); const m = await import("clawhost");`, "--input-type=module"],
  ])("loads clawhost/http with %s, sharing the SDK's modules", (_kind, load, flag) => {
    expect(pkg.exports["./http"]).toEqual({
      import: { types: "./dist/http/index.d.ts", default: "./dist/http/index.js" },
      require: { types: "./dist/http/index.d.cts", default: "./dist/http/index.cjs" },
    });
    const r = spawnSync(process.execPath, [flag, "-e", `${load} console.log(typeof h.createHttpHandler, typeof h.loadOrCreateToken, h.HTTP_API_VERSION)`], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("function function 1.0.0");
    for (const file of ["dist/http/index.js", "dist/http/index.cjs"]) expect(readFileSync(file, "utf8"), file).not.toMatch(/class GatewayHost\b/);
  });

  it.each([
    ["require", `const m = require("clawhost"); console.log(typeof m.GatewayHost, typeof m.ClawhostError, Object.keys(m).includes("default"))`, "--input-type=commonjs"],
    ["import", `const m = await import("clawhost"); console.log(typeof m.GatewayHost, typeof m.ClawhostError, Object.keys(m).includes("default"))`, "--input-type=module"],
  ])("loads with %s", (_kind, code, flag) => {
    const r = spawnSync(process.execPath, [flag, "-e", code], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("function function false");
  });

  // An app may load clawhost's ESM build while a dependency loads its CJS build.
  it("recognises a ClawhostError from the other build, both ways", () => {
    const code = `import { createRequire } from "node:module";
      const esm = await import("clawhost");
      const cjs = createRequire(process.cwd() + "/")("clawhost");
      const thrown = (make) => { try { throw make(); } catch (e) { return e; } };
      const fromCjs = thrown(() => new cjs.ClawhostError("CLAWHOST_ABORTED", "from cjs"));
      const fromEsm = thrown(() => new esm.ClawhostError("CLAWHOST_ABORTED", "from esm"));
      class Sub extends esm.ClawhostError {}
      const sub = new Sub("CLAWHOST_RPC_ERROR", "sub");
      const fake = Object.assign(new Error("fake"), { name: "ClawhostError", code: "CLAWHOST_ABORTED" });
      const brand = Symbol.for("clawhost.error");
      console.log(JSON.stringify({
        distinctClasses: esm.ClawhostError !== cjs.ClawhostError,
        esmSeesCjs: [esm.isClawhostError(fromCjs), esm.isClawhostError(fromCjs, "CLAWHOST_ABORTED"), fromCjs instanceof esm.ClawhostError],
        cjsSeesEsm: [cjs.isClawhostError(fromEsm), cjs.isClawhostError(fromEsm, "CLAWHOST_ABORTED"), fromEsm instanceof cjs.ClawhostError],
        wrongCode: [esm.isClawhostError(fromCjs, "CLAWHOST_RPC_ERROR"), cjs.isClawhostError(fromEsm, "CLAWHOST_RPC_ERROR")],
        subclass: [sub instanceof Sub, sub instanceof esm.ClawhostError, sub instanceof cjs.ClawhostError, fromEsm instanceof Sub],
        notErrors: [esm.isClawhostError(new Error("x")), cjs.isClawhostError(fake), fake instanceof esm.ClawhostError, null instanceof cjs.ClawhostError, esm.isClawhostError(undefined)],
        brandHidden: [brand in { ...fromCjs }, fromCjs.propertyIsEnumerable(brand), JSON.stringify(fromEsm).includes("clawhost.error")],
      }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      distinctClasses: true,
      esmSeesCjs: [true, true, true],
      cjsSeesEsm: [true, true, true],
      wrongCode: [false, false],
      subclass: [true, true, true, false],
      notErrors: [false, false, false, false, false],
      brandHidden: [false, false, false],
    });
  });

  // The config validator runs in a worker that resolves ajv from the bundle's own URL.
  it.each([
    ["require", `const { GatewayHost } = require("clawhost");`, "--input-type=commonjs"],
    ["import", `const { GatewayHost } = await import("clawhost");`, "--input-type=module"],
  ])("validates a config against OpenClaw's schema with %s", (kind, load, flag) => {
    const root = mkdtempSync(join(tmpdir(), `clawhost-test-pkg-${kind}-`));
    try {
      const code = `${load}
        (async () => {
          const host = new GatewayHost({ root: ${JSON.stringify(root)}, ports: { from: 15000, to: 15239 }, leaseDir: ${JSON.stringify(leases.dir)} });
          const gw = await host.add({ name: "p" });
          const ok = await gw.updateConfig({ env: { vars: { A: "1" } } });
          const bad = await gw.updateConfig({ env: { vars: { B: 2 } } }).catch((e) => e);
          console.log(ok.applied, bad.code, bad.value);
          await host.remove("p");
          await host[Symbol.asyncDispose]();
        })();`;
      const r = spawnSync(process.execPath, [flag, "-e", code], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.stdout.trim()).toBe("file CLAWHOST_CONFIG_INVALID env.vars.B");
      // The host lived in the child: no lease of its root may be left held by anyone.
      const held = existsSync(join(leases.dir, "leases.json"))
        ? (JSON.parse(readFileSync(join(leases.dir, "leases.json"), "utf8")) as Array<{ root: string; holder?: unknown }>).filter((l) => l.root === root && l.holder)
        : [];
      expect(held).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
