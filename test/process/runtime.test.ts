import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost, resolveRuntime, satisfiesEngines } from "clawhost";
import { makeTmp } from "../helpers.js";

describe("zero-config runtime resolution", () => {
  it("finds the app's openclaw and a Node that satisfies its engines", () => {
    const rt = resolveRuntime({ searchFrom: process.cwd() });
    expect(rt.openclawVersion).toBe("2026.9.6");
    expect(rt.entry.endsWith("openclaw.mjs")).toBe(true);
    expect(satisfiesEngines(rt.nodeVersion, rt.engines)).toBe(true);
    expect(existsSync(rt.node)).toBe(true);
  });

  it("names what is missing and how to install it", () => {
    const tmp = makeTmp("rt");
    try {
      let err: unknown;
      try {
        resolveRuntime({ searchFrom: tmp.dir, env: { PATH: tmp.dir } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ClawhostError);
      expect((err as ClawhostError).code).toBe("CLAWHOST_OPENCLAW_NOT_FOUND");
      expect((err as ClawhostError).message).toContain("npm install");
      expect(() => new GatewayHost({ root: tmp.dir, openclaw: { bin: join(tmp.dir, "nope") } })).toThrow(
        expect.objectContaining({ code: "CLAWHOST_OPENCLAW_NOT_FOUND" }),
      );
    } finally {
      tmp.cleanup();
    }
  });

  it("refuses a Node older than openclaw's engines", () => {
    const old = ["/usr/bin/node", "/usr/local/bin/node"].find(existsSync);
    if (!old) return; // The machine's own Node 20 is the old one to test with.
    expect(() => resolveRuntime({ node: old })).toThrow(expect.objectContaining({ code: "CLAWHOST_NODE_UNSUPPORTED" }));
  });

  it.each([
    ["24.21.0", ">=24.16.0 <25 || >=26.1.0", true],
    ["24.15.9", ">=24.16.0 <25 || >=26.1.0", false],
    ["25.0.0", ">=24.16.0 <25 || >=26.1.0", false],
    ["26.1.0", ">=24.16.0 <25 || >=26.1.0", true],
    ["20.20.2", ">=22", false],
    ["22.1.0", "^22.0.0", true],
    ["23.0.0", "^22.0.0", false],
    ["1.0.0", "nonsense", false],
  ])("satisfiesEngines(%s, %s) = %s", (v, range, ok) => {
    expect(satisfiesEngines(v, range)).toBe(ok);
  });
});
