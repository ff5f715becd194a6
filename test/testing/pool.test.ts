import { existsSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { isClawhostError } from "clawhost";
import { createGatewayPool, defaultSpares, GatewayPool, openTestRun, workerId, workerPorts } from "../../src/testing/index.js";
import { expectNothingLeft, FAKE_OPENCLAW as bin, GatewayWatch, nextEvent, waitUntil } from "../helpers.js";

// The runner-agnostic pool on the fault-injection gateway; ports 16000-16359 (three blocks),
// each test's pool closed before the next one starts.
const watch = new GatewayWatch();
const pools: GatewayPool[] = [];
function pool(extra: Parameters<typeof createGatewayPool>[0] = {}): GatewayPool {
  const p = createGatewayPool({ openclaw: { bin }, ports: { from: 16000, to: 16359 }, ...extra });
  watch.host(p.host);
  pools.push(p);
  return p;
}

afterAll(async () => {
  await Promise.allSettled(pools.map((p) => p.close()));
  await expectNothingLeft({ leaseDir: "/nonexistent", gateways: watch });
});

describe("createGatewayPool (fake gateway)", () => {
  it("hands out a ready spare at once, boots the next meanwhile, never hands a gateway out twice", async () => {
    const p = pool({ spares: 1 });
    await nextEvent(p.host, "gateway:ready");
    const a = await p.acquire();
    expect(a.state).toBe("ready");
    expect(p.stats).toMatchObject({ hits: 1, misses: 0, inUse: 1, spares: 1 });
    const b = await p.acquire();
    expect(b.state).toBe("ready");
    expect(b.name).not.toBe(a.name);
    expect(p.stats.misses).toBe(1);
    await p.release(a);
    expect(p.host.get(a.name)).toBeUndefined();
    await expect(p.release(a)).rejects.toMatchObject({ code: "CLAWHOST_INVALID_ARGUMENT" });
    const c = await p.acquire();
    expect([a.name, b.name]).not.toContain(c.name);
    await Promise.all([p.release(b), p.release(c)]);
    const { root } = p;
    const leaseDir = `${root.slice(0, root.lastIndexOf("/"))}/leases`;
    await p.close();
    expect(existsSync(root)).toBe(false);
    await expectNothingLeft({ leaseDir, gateways: watch });
  });

  it("spares: 0 boots one per acquire(); the shared gateway is one per pool", async () => {
    const p = pool({ spares: 0 });
    expect(p.stats.spares).toBe(0);
    const [s1, s2] = await Promise.all([p.shared(), p.shared()]);
    expect(s1).toBe(s2);
    const gw = await p.acquire();
    expect(gw).not.toBe(s1);
    expect(p.stats).toMatchObject({ misses: 1, hits: 0, booted: 2 });
    await p.release(gw);
    await p.close();
    expect(s1.state).toBe("stopped");
  });

  it("a gateway that cannot boot fails acquire() with its diagnostics", async () => {
    const p = pool({ spares: 0, spec: { env: { FAKE_GATEWAY_EXIT_CODE: "3" }, restart: { mode: "never" } } });
    const err = await p.acquire().catch((e: unknown) => e);
    expect(isClawhostError(err)).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain("g1: the pool's gateway did not become ready");
    expect(message).toContain("── clawhost diagnostics: gateway g1");
    expect(message).toMatch(/last exit: \S+ \(3\)/);
    expect(message).toContain("config (redacted):");
    await p.close();
  });

  it("describe() gives log tail, events and the redacted config of a live gateway", async () => {
    const p = pool({ spares: 0 });
    const gw = await p.acquire();
    const text = await p.describe(gw);
    expect(text).toContain(`gateway ${gw.name}`);
    expect(text).toContain("state ready");
    expect(text).toMatch(/recent events \(\d+ of \d+\):\n(.|\n)*ready/);
    expect(text).toContain("config (redacted):");
    expect(text).not.toContain(readFileSync(gw.context.tokenFile, "utf8").trim());
    await p.release(gw);
    await p.close();
  });

  it("acquire() with an aborted signal rejects CLAWHOST_ABORTED and stops what it booted", async () => {
    const p = pool({ spares: 0 });
    const ac = new AbortController();
    const got = p.acquire({ signal: ac.signal });
    ac.abort();
    await expect(got).rejects.toMatchObject({ code: "CLAWHOST_ABORTED" });
    await p.close();
    expect(p.host.list()).toEqual([]);
  });

  it("refuses bad options and use after close", async () => {
    expect(() => createGatewayPool({ spares: -1 })).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
    expect(() => createGatewayPool({ spec: { name: "x" } as never })).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
    expect(() => createGatewayPool({ bogus: 1 } as never)).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
    const p = pool({ spares: 0 });
    await p.close();
    await expect(p.acquire()).rejects.toMatchObject({ code: "CLAWHOST_HOST_DISPOSED" });
  });
});

describe("isolation helpers", () => {
  it("worker ids and port slices follow VITEST_POOL_ID / JEST_WORKER_ID", () => {
    expect(workerId({ VITEST_POOL_ID: "3" })).toBe("3");
    expect(workerId({ JEST_WORKER_ID: "2" })).toBe("2");
    expect(workerId({ VITEST_POOL_ID: "../x" })).toBe("0");
    expect(workerPorts("1")).toEqual({ from: 20000, to: 21199 });
    expect(workerPorts("2")).toEqual({ from: 21200, to: 22399 });
    expect(workerPorts("11")).toEqual(workerPorts("1"));
  });

  it("default spares: cores, bounded by free GiB beyond the first, shared by workers", () => {
    const GiB = 1024 ** 3;
    expect(defaultSpares({ cores: 2, freeBytes: 24 * GiB })).toBe(2);
    expect(defaultSpares({ cores: 8, freeBytes: 3 * GiB })).toBe(2);
    expect(defaultSpares({ cores: 8, freeBytes: 0.5 * GiB })).toBe(1);
    expect(defaultSpares({ cores: 8, freeBytes: 64 * GiB, workers: 4 })).toBe(2);
  });

  it("a run is joined by its dir, and only its owner removes it", async () => {
    const owner = openTestRun("");
    expect(owner.owned).toBe(true);
    const joined = openTestRun(owner.dir);
    expect(joined).toMatchObject({ owned: false, dir: owner.dir, leaseDir: `${owner.dir}/leases` });
    await joined.close();
    expect(existsSync(owner.dir)).toBe(true);
    await owner.close();
    expect(existsSync(owner.dir)).toBe(false);
  });

  it("closeAfterWorkers(): the run stays while a worker's pool runs in it, and goes once that pool has closed", async () => {
    // vitest's order: the global setup's teardown first, its workers' pools after.
    const owner = openTestRun("");
    const p = new GatewayPool({ openclaw: { bin }, ports: { from: 16000, to: 16359 }, spares: 0 }, openTestRun(owner.dir));
    watch.host(p.host);
    pools.push(p);
    const gw = await p.shared();
    owner.closeAfterWorkers();
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(gw.context.stateDir)).toBe(true);
    expect(gw.state).toBe("ready");
    await p.close();
    await waitUntil(() => !existsSync(owner.dir), "the run dir to go once the pool has closed");
  });
});
