import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost } from "clawhost";
import { SUPPORTED_OPENCLAW } from "clawhost";
import { isSupportedOpenclaw, resolveRuntime, satisfiesEngines } from "../../src/process/runtime.js";
import { expectNothingLeft, FAKE_OPENCLAW, makeTmp } from "../helpers.js";

/** An openclaw package of `version` (no version field when undefined), as its bin path. */
function fakePackage(dir: string, version: string | undefined): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "openclaw", ...(version === undefined ? {} : { version }), engines: { node: ">=22" }, bin: { openclaw: "openclaw.mjs" } }));
  writeFileSync(join(dir, "openclaw.mjs"), "#!/usr/bin/env node\n", { mode: 0o755 });
  return join(dir, "openclaw.mjs");
}

describe("zero-config runtime resolution", () => {
  it("finds the app's openclaw and a Node that satisfies its engines", () => {
    const rt = resolveRuntime({ searchFrom: process.cwd() });
    expect(rt.openclawVersion).toBe("2026.9.6");
    expect(rt.entry.endsWith("openclaw.mjs")).toBe(true);
    expect(satisfiesEngines(rt.nodeVersion, rt.engines)).toBe(true);
    expect(existsSync(rt.node)).toBe(true);
  });

  it("names what is missing and how to install it", async () => {
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
      const leaseDir = join(tmp.dir, "leases");
      expect(() => new GatewayHost({ root: tmp.dir, leaseDir, openclaw: { bin: join(tmp.dir, "nope") } })).toThrow(
        expect.objectContaining({ code: "CLAWHOST_OPENCLAW_NOT_FOUND" }),
      );
      await expectNothingLeft({ leaseDir, gateways: [] });
    } finally {
      tmp.cleanup();
    }
  });

  it("reads an npm `node` package's version from its manifest, and runs any other Node to ask it", () => {
    const tmp = makeTmp("rt-node");
    try {
      const bin = fakePackage(join(tmp.dir, "openclaw"), "2026.9.6");
      // Each "node" here is a script that prints a version when run: what the result says is how it was read.
      const npmNode = join(tmp.dir, "node_modules", "node");
      mkdirSync(join(npmNode, "bin"), { recursive: true });
      writeFileSync(join(npmNode, "package.json"), JSON.stringify({ name: "node", version: "24.99.1" }));
      writeFileSync(join(npmNode, "bin", "node"), "#!/bin/sh\necho 24.50.0\n", { mode: 0o755 });
      expect(resolveRuntime({ bin, node: join(npmNode, "bin", "node") }).nodeVersion).toBe("24.99.1");

      const other = join(tmp.dir, "other", "bin", "node");
      mkdirSync(dirname(other), { recursive: true });
      writeFileSync(other, "#!/bin/sh\necho 24.50.0\n", { mode: 0o755 });
      expect(resolveRuntime({ bin, node: other }).nodeVersion).toBe("24.50.0");

      // A manifest of another package beside a bin/node is not taken for Node's.
      const impostor = join(tmp.dir, "impostor");
      mkdirSync(join(impostor, "bin"), { recursive: true });
      writeFileSync(join(impostor, "package.json"), JSON.stringify({ name: "not-node", version: "24.99.2" }));
      writeFileSync(join(impostor, "bin", "node"), "#!/bin/sh\necho 24.50.1\n", { mode: 0o755 });
      expect(resolveRuntime({ bin, node: join(impostor, "bin", "node") }).nodeVersion).toBe("24.50.1");
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
    ["24.1.0", "~24.1", true],
    ["24.1.9", "~24.1", true],
    ["24.2.0", "~24.1", false],
    ["24.0.9", "~24.1", false],
    ["24.1.0", "24.1 - 25", true],
    ["25.9.9", "24.1 - 25", true],
    ["24.0.9", "24.1 - 25", false],
    ["26.0.0", "24.1 - 25", false],
    ["24.16.0", ">=24.16 <25 || >=26.1", true],
    ["24.15.9", ">=24.16 <25 || >=26.1", false],
    ["25.0.0", ">=24.16 <25 || >=26.1", false],
    ["26.0.9", ">=24.16 <25 || >=26.1", false],
    ["26.1.0", ">=24.16 <25 || >=26.1", true],
    ["24.0.0", "^24", true],
    ["24.99.1", "^24", true],
    ["23.9.9", "^24", false],
    ["25.0.0", "^24", false],
    ["24.21.0", "24.x", true],
    ["24.21.0", "", true],
    // Node prereleases (nightly, rc) count; `<25` still shuts out 25's own prereleases.
    ["24.2.0-nightly20250101", ">=24", true],
    ["25.0.0-rc.1", ">=24.16 <25", false],
    // Invalid ranges and versions never satisfy.
    ["24.1.0", ">=24 <", false],
    ["24.1.0", "~~24", false],
    ["24.1.0", ">= twenty-four", false],
    ["not-a-version", ">=0", false],
    ["", ">=0", false],
  ])("satisfiesEngines(%s, %s) = %s", (v, range, ok) => {
    expect(satisfiesEngines(v, range)).toBe(ok);
  });
});

describe("the supported OpenClaw range", () => {
  it("is the documented one", () => {
    expect(SUPPORTED_OPENCLAW).toBe(">=2026.8.2 <2026.10.0");
  });

  it.each([
    ["2026.8.2", true],
    ["2026.9.1", true],
    ["2026.9.6", true],
    ["2026.9.30", true],
    ["2026.8.1", false],
    ["2026.7.35", false],
    ["2026.10.0", false],
    ["2027.1.0", false],
    // Prereleases are not releases: not even of a version in the range.
    ["2026.9.7-beta.1", false],
    ["2026.10.0-beta.1", false],
    ["unknown", false],
  ])("isSupportedOpenclaw(%s) = %s", (v, ok) => {
    expect(isSupportedOpenclaw(v)).toBe(ok);
  });

  it("resolves an openclaw package inside the range, the pinned one and the fake included", () => {
    const tmp = makeTmp("rt-range");
    try {
      expect(resolveRuntime({ bin: fakePackage(join(tmp.dir, "a"), "2026.8.2") }).openclawVersion).toBe("2026.8.2");
      expect(resolveRuntime({ bin: fakePackage(join(tmp.dir, "b"), "2026.9.30") }).openclawVersion).toBe("2026.9.30");
      expect(resolveRuntime({ bin: FAKE_OPENCLAW }).openclawVersion).toBe("2026.9.6");
    } finally {
      tmp.cleanup();
    }
  });

  it.each([["2026.7.35"], ["2026.10.0"], ["2026.9.7-beta.1"], [undefined]])(
    "refuses openclaw %s with CLAWHOST_OPENCLAW_UNSUPPORTED naming the range and the version found, at new GatewayHost()",
    async (version) => {
      const tmp = makeTmp("rt-range");
      try {
        const bin = fakePackage(join(tmp.dir, "pkg"), version);
        const found = version ?? "unknown";
        let err: unknown;
        try {
          resolveRuntime({ bin });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ClawhostError);
        expect(err).toMatchObject({ code: "CLAWHOST_OPENCLAW_UNSUPPORTED", value: found, details: { version: found, range: SUPPORTED_OPENCLAW, packageDir: join(tmp.dir, "pkg") } });
        expect((err as ClawhostError).message).toContain(`openclaw ${found} `);
        expect((err as ClawhostError).message).toContain(SUPPORTED_OPENCLAW);
        const leaseDir = join(tmp.dir, "leases");
        expect(() => new GatewayHost({ root: join(tmp.dir, "root"), leaseDir, openclaw: { bin } })).toThrow(
          expect.objectContaining({ code: "CLAWHOST_OPENCLAW_UNSUPPORTED", value: found }),
        );
        await expectNothingLeft({ leaseDir, gateways: [] });
      } finally {
        tmp.cleanup();
      }
    },
  );
});
