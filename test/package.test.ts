import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
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
});
