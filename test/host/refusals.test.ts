import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost } from "clawhost";
import { LeaseRegistry } from "../../src/ports/leases.js";
import type { GatewaySpec } from "clawhost";
import { expectNothingLeft, GatewayWatch, makeTmp, myDescendants } from "../helpers.js";

const tmp = makeTmp("refusals");
const leases = makeTmp("refusals-leases");
afterAll(() => {
  tmp.cleanup();
  leases.cleanup();
});

// The hosts of one test, disposed and checked after it.
let fleet = new GatewayWatch();
function newHost(root: string, ports: { from: number; to: number }): GatewayHost {
  return fleet.host(new GatewayHost({ root, ports, leaseDir: leases.dir }));
}

let n = 0;
function freshHost(): { host: GatewayHost; root: string } {
  const root = join(tmp.dir, `root-${n++}`);
  return { host: newHost(root, { from: 22000, to: 22999 }), root };
}

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : ["(absent)"];
}

/** What a refusal must leave untouched: the root's files, and every lease. */
async function observable(root: string): Promise<unknown> {
  return { files: listing(root), leases: (await new LeaseRegistry(leases.dir).list()).map((l) => `${l.root}/${l.name}@${l.base}`).sort() };
}

async function refusal(host: GatewayHost, spec: GatewaySpec): Promise<ClawhostError> {
  const root = host.root;
  const before = await observable(root);
  try {
    await host.add(spec);
  } catch (err) {
    expect(err).toBeInstanceOf(ClawhostError);
    expect(await observable(root)).toEqual(before);
    return err as ClawhostError;
  }
  throw new Error(`add(${JSON.stringify(spec)}) was accepted`);
}

afterEach(async () => {
  // add() spawns nothing: no child of this process exists after any refusal.
  expect(myDescendants()).toEqual([]);
  await fleet.disposeHosts();
  await expectNothingLeft({ leaseDir: leases.dir, gateways: fleet });
  fleet = new GatewayWatch();
});

describe("host.add refuses before anything is spawned or written", () => {
  it("a duplicate name", async () => {
    const { host, root } = freshHost();
    await host.add({ name: "main" });
    const err = await refusal(host, { name: "main" });
    expect(err.code).toBe("CLAWHOST_DUPLICATE_NAME");
    expect(err.message).toMatch(/^main: /);
    expect(host.list().map((g) => g.name)).toEqual(["main"]);
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a port block overlapping another gateway's block, naming both", async () => {
    const { host, root } = freshHost();
    await host.add({ name: "main", port: 23000 });
    for (const port of [23000, 23110, 22890, 23050]) {
      const err = await refusal(host, { name: "rescue", port });
      expect(err.code).toBe("CLAWHOST_PORT_OVERLAP");
      expect(err.message).toContain("rescue");
      expect(err.message).toContain('"main"');
    }
    expect((await host.add({ name: "rescue", port: 23120 })).context.ports.block).toEqual({ start: 23120, end: 23230 });
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a shared config path", async () => {
    const { host, root } = freshHost();
    const configPath = join(tmp.dir, "shared", "openclaw.json");
    await host.add({ name: "a", paths: { configPath } });
    const err = await refusal(host, { name: "b", paths: { configPath } });
    expect(err.code).toBe("CLAWHOST_PATH_CONFLICT");
    expect(err.value).toBe(configPath);
    expect(err.message).toContain("config path");
    expect(listing(root)).toEqual([]);
    expect(existsSync(join(tmp.dir, "shared"))).toBe(false);
  });

  it("a shared state dir", async () => {
    const { host, root } = freshHost();
    const stateDir = join(tmp.dir, "state-shared");
    await host.add({ name: "a", paths: { stateDir } });
    const err = await refusal(host, { name: "b", paths: { stateDir } });
    expect(err.code).toBe("CLAWHOST_PATH_CONFLICT");
    expect(err.message).toContain("state dir");
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a state dir inside another gateway's directory", async () => {
    const { host, root } = freshHost();
    await host.add({ name: "a" });
    const err = await refusal(host, { name: "b", paths: { stateDir: join(root, "a", "state") } });
    expect(err.code).toBe("CLAWHOST_PATH_CONFLICT");
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a shared workspace (by path override or by config)", async () => {
    const { host, root } = freshHost();
    const workspace = join(tmp.dir, "ws-shared");
    await host.add({ name: "a", paths: { workspace } });
    expect((await refusal(host, { name: "b", paths: { workspace } })).code).toBe("CLAWHOST_PATH_CONFLICT");
    const err = await refusal(host, { name: "c", config: { agents: { defaults: { workspace } } } });
    expect(err.code).toBe("CLAWHOST_PATH_CONFLICT");
    expect(err.message).toContain("workspace");
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("a block that does not fit below 65536", async () => {
    const { host, root } = freshHost();
    const err = await refusal(host, { name: "high", port: 65500 });
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
  ])("an invalid name: %s", async (_why, name) => {
    const { host, root } = freshHost();
    const err = await refusal(host, { name });
    expect(err.code).toBe("CLAWHOST_INVALID_NAME");
    expect(err.value).toBe(name);
    expect(host.list()).toEqual([]);
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });

  it("invalid options, listing each bad field", async () => {
    const { host, root } = freshHost();
    const err = await refusal(host, { name: "ok", port: 3.5, env: { HOME: "/elsewhere" } } as GatewaySpec);
    expect(err.code).toBe("CLAWHOST_INVALID_OPTIONS");
    expect((err.details?.issues as Array<{ path: string }>).map((i) => i.path).sort()).toEqual(["env.HOME", "port"]);
    expect(listing(root)).toEqual(host.list().length > 0 ? [] : ["(absent)"]);
  });
});

describe("automatic port blocks", () => {
  it("are 120 apart, fixed at add(), and never overlap an explicit one", async () => {
    const host = newHost(join(tmp.dir, "aligned"), { from: 24400, to: 24999 });
    const a = await host.add({ name: "a" });
    const b = await host.add({ name: "b", port: 24520 });
    const c = await host.add({ name: "c" });
    expect(a.context.ports.gateway).toBe(24400);
    expect(b.context.ports.gateway).toBe(24520);
    expect(c.context.ports.gateway).toBe(24640);
  });

  it("report exhaustion with a typed error", async () => {
    const host = newHost(join(tmp.dir, "tiny"), { from: 24000, to: 24239 });
    await host.add({ name: "a" });
    await host.add({ name: "b" });
    await expect(async () => await host.add({ name: "c" })).rejects.toMatchObject({ code: "CLAWHOST_PORTS_EXHAUSTED" });
  });
});
