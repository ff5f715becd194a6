import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost, LeaseRegistry } from "clawhost";
import type { GatewaySpec } from "clawhost";
import { makeTmp, myDescendants } from "../helpers.js";

const tmp = makeTmp("refusals");
afterAll(() => tmp.cleanup());

let n = 0;
function freshHost(): { host: GatewayHost; root: string } {
  const root = join(tmp.dir, `root-${n++}`);
  return { host: new GatewayHost({ root, ports: { from: 22000, to: 22999 } }), root };
}

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : ["(absent)"];
}

/** What a refusal must leave untouched: the root's files, and every lease. */
function observable(root: string): unknown {
  return { files: listing(root), leases: new LeaseRegistry().list().map((l) => `${l.root}/${l.name}@${l.base}`).sort() };
}

function refusal(host: GatewayHost, spec: GatewaySpec): ClawhostError {
  const root = host.root;
  const before = observable(root);
  try {
    host.add(spec);
  } catch (err) {
    expect(err).toBeInstanceOf(ClawhostError);
    expect(observable(root)).toEqual(before);
    return err as ClawhostError;
  }
  throw new Error(`add(${JSON.stringify(spec)}) was accepted`);
}

afterEach(() => {
  // add() spawns nothing: no child of this process exists after any refusal.
  expect(myDescendants()).toEqual([]);
});

describe("host.add refuses before anything is spawned or written", () => {
  it("a duplicate name", () => {
    const { host, root } = freshHost();
    host.add({ name: "main" });
    const err = refusal(host, { name: "main" });
    expect(err.code).toBe("CLAWHOST_DUPLICATE_NAME");
    expect(err.message).toMatch(/^main: /);
    expect(host.list().map((g) => g.name)).toEqual(["main"]);
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a port block overlapping another gateway's block, naming both", () => {
    const { host, root } = freshHost();
    host.add({ name: "main", port: 23000 });
    for (const port of [23000, 23110, 22890, 23050]) {
      const err = refusal(host, { name: "rescue", port });
      expect(err.code).toBe("CLAWHOST_PORT_OVERLAP");
      expect(err.message).toContain("rescue");
      expect(err.message).toContain('"main"');
    }
    expect(host.add({ name: "rescue", port: 23120 }).context.ports.block).toEqual({ start: 23120, end: 23230 });
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a shared config path", () => {
    const { host, root } = freshHost();
    const configPath = join(tmp.dir, "shared", "openclaw.json");
    host.add({ name: "a", paths: { configPath } });
    const err = refusal(host, { name: "b", paths: { configPath } });
    expect(err.code).toBe("CLAWHOST_PATH_CONFLICT");
    expect(err.value).toBe(configPath);
    expect(err.message).toContain("config path");
    expect(listing(root)).toEqual([]);
    expect(existsSync(join(tmp.dir, "shared"))).toBe(false);
  });

  it("a shared state dir", () => {
    const { host, root } = freshHost();
    const stateDir = join(tmp.dir, "state-shared");
    host.add({ name: "a", paths: { stateDir } });
    const err = refusal(host, { name: "b", paths: { stateDir } });
    expect(err.code).toBe("CLAWHOST_PATH_CONFLICT");
    expect(err.message).toContain("state dir");
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a state dir inside another gateway's directory", () => {
    const { host, root } = freshHost();
    host.add({ name: "a" });
    const err = refusal(host, { name: "b", paths: { stateDir: join(root, "a", "state") } });
    expect(err.code).toBe("CLAWHOST_PATH_CONFLICT");
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a shared workspace (by path override or by config)", () => {
    const { host, root } = freshHost();
    const workspace = join(tmp.dir, "ws-shared");
    host.add({ name: "a", paths: { workspace } });
    expect(refusal(host, { name: "b", paths: { workspace } }).code).toBe("CLAWHOST_PATH_CONFLICT");
    const err = refusal(host, { name: "c", config: { agents: { defaults: { workspace } } } });
    expect(err.code).toBe("CLAWHOST_PATH_CONFLICT");
    expect(err.message).toContain("workspace");
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a block that does not fit below 65536", () => {
    const { host, root } = freshHost();
    const err = refusal(host, { name: "high", port: 65500 });
    expect(err.code).toBe("CLAWHOST_PORT_RANGE");
    expect(err.value).toBe(65500);
    expect(err.message).toContain("65425");
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it.each([
    ["a path separator", "a/b"],
    ["..", ".."],
    ["empty", ""],
    ["too long", "n".repeat(65)],
  ])("an invalid name: %s", (_why, name) => {
    const { host, root } = freshHost();
    const err = refusal(host, { name });
    expect(err.code).toBe("CLAWHOST_INVALID_NAME");
    expect(err.value).toBe(name);
    expect(host.list()).toEqual([]);
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("invalid options, listing each bad field", () => {
    const { host, root } = freshHost();
    const err = refusal(host, { name: "ok", port: 3.5, env: { HOME: "/elsewhere" } } as GatewaySpec);
    expect(err.code).toBe("CLAWHOST_INVALID_OPTIONS");
    expect((err.details?.issues as Array<{ path: string }>).map((i) => i.path).sort()).toEqual(["env.HOME", "port"]);
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });
});

describe("automatic port blocks", () => {
  it("are 120 apart, fixed at add(), and never overlap an explicit one", () => {
    const host = new GatewayHost({ root: join(tmp.dir, "aligned"), ports: { from: 24400, to: 24999 } });
    const a = host.add({ name: "a" });
    const b = host.add({ name: "b", port: 24520 });
    const c = host.add({ name: "c" });
    expect(a.context.ports.gateway).toBe(24400);
    expect(b.context.ports.gateway).toBe(24520);
    expect(c.context.ports.gateway).toBe(24640);
  });

  it("report exhaustion with a typed error", () => {
    const host = new GatewayHost({ root: join(tmp.dir, "tiny"), ports: { from: 24000, to: 24239 } });
    host.add({ name: "a" });
    host.add({ name: "b" });
    expect(() => host.add({ name: "c" })).toThrow(expect.objectContaining({ code: "CLAWHOST_PORTS_EXHAUSTED" }));
  });
});
