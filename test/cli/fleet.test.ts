// The fleet file: JSON5, its shape, paths relative to it, errors naming the file, the path and the fix.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ClawhostError } from "clawhost";
import { loadFleet } from "../../src/cli/fleet.js";
import { makeTmp } from "../helpers.js";

const tmp = makeTmp("cli-fleet");
afterAll(() => tmp.cleanup());

function file(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

function refusal(fn: () => unknown): ClawhostError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ClawhostError) return err;
    throw err;
  }
  throw new Error("not refused");
}

describe("loadFleet", () => {
  it("reads JSON5, resolves paths against the file, keeps the file's order and names each spec", () => {
    const f = file("ok.json5", `// comment\n{ root: "./g", leaseDir: "l", openclaw: { bin: "bin/openclaw" }, ports: { from: 30000, to: 30999, }, gateways: { b: { port: 30120 }, a: null } }`);
    const fleet = loadFleet(f);
    expect(fleet.file).toBe(f);
    expect(fleet.host).toMatchObject({ root: join(tmp.dir, "g"), leaseDir: join(tmp.dir, "l"), openclaw: { bin: join(tmp.dir, "bin/openclaw") }, ports: { from: 30000, to: 30999 } });
    expect([...fleet.gateways.entries()]).toEqual([["b", { name: "b", port: 30120 }], ["a", { name: "a" }]]);
  });

  it("defaults: clawhost.json5 in the cwd, root .clawhost beside it, openclaw looked for from its directory", () => {
    file("clawhost.json5", "{ gateways: {} }");
    const fleet = loadFleet(undefined, tmp.dir);
    expect(fleet.host).toEqual({ root: join(tmp.dir, ".clawhost"), openclaw: { searchFrom: tmp.dir } });
  });

  it("a missing file: CLAWHOST_FLEET_FILE_NOT_FOUND with the path", () => {
    const err = refusal(() => loadFleet(join(tmp.dir, "nope.json5")));
    expect(err.code).toBe("CLAWHOST_FLEET_FILE_NOT_FOUND");
    expect(err.value).toBe(join(tmp.dir, "nope.json5"));
    expect(err.fix).toBeTruthy();
  });

  it("not JSON5: the line and column", () => {
    const f = file("syntax.json5", "{\n  gateways: { main: {} \n");
    const err = refusal(() => loadFleet(f));
    expect(err.code).toBe("CLAWHOST_FLEET_FILE_INVALID");
    expect(err.message).toContain(f);
    expect(err.message).toMatch(/line 3, column \d+/);
  });

  it("a wrong shape, a bad name, a spec whose name differs from its key: each with its path", () => {
    const noGateways = refusal(() => loadFleet(file("shape.json5", "{ root: 3 }")));
    expect(noGateways.code).toBe("CLAWHOST_FLEET_FILE_INVALID");
    expect((noGateways.details?.issues as Array<{ path: string }>).map((i) => i.path).sort()).toEqual(["gateways", "root"]);
    const badName = refusal(() => loadFleet(file("name.json5", '{ gateways: { "has space": {} } }')));
    expect(badName.message).toContain("gateways.has space");
    const renamed = refusal(() => loadFleet(file("renamed.json5", '{ gateways: { main: { name: "other" } } }')));
    expect(renamed.message).toContain("gateways.main.name");
    expect(renamed.fix).toMatch(/omit `name`/);
  });
});
