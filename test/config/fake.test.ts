import { afterAll, afterEach, describe, expect, it } from "vitest";
import { GatewayHost } from "clawhost";
import type { ClawhostError } from "clawhost";
import { expectNothingLeft, FAKE_OPENCLAW as bin, GatewayWatch, makeTmp } from "../helpers.js";
import { describeConfigContract, setVar, vars } from "./contract.js";

const leases = makeTmp("config-fake-leases");
afterAll(() => leases.cleanup());

// The fault-injection fake passes the same contract as the real gateway.
describeConfigContract({ label: "fake", portBase: 11720, leaseDir: leases.dir, hostOptions: (root, ports) => ({ root, ports, openclaw: { bin } }), bin, poolPorts: { from: 9720, to: 10079 } });

// Hosts of the tests below, one per test, checked after each (registered in their describes:
// the contract's host above lives across its tests).
let fleet = new GatewayWatch();
function newHost(root: string, ports: { from: number; to: number }): GatewayHost {
  return fleet.host(new GatewayHost({ root, ports, leaseDir: leases.dir, openclaw: { bin } }));
}
async function nothingLeft(): Promise<void> {
  await fleet.disposeHosts();
  await expectNothingLeft({ leaseDir: leases.dir, gateways: fleet });
  fleet = new GatewayWatch();
}

describe("fake: the gateway's write budget spent", () => {
  const tmp = makeTmp("config-limit");
  afterEach(nothingLeft);
  afterAll(() => tmp.cleanup());

  it("updates wait out the rate limit, ride along in one patch, and none is lost", async () => {
    const host = newHost(tmp.dir, { from: 11960, to: 12199 });
    const gw = await host.add({ name: "limited", env: { FAKE_GATEWAY_WRITE_LIMIT: "2", FAKE_GATEWAY_WRITE_WINDOW_MS: "1500" } });
    const patches: string[] = [];
    gw.on("log", (l) => {
      if (/config\.patch write/.test(l.line)) patches.push(l.line);
    });
    try {
      await gw.start();
      await gw.updateConfig(setVar("A", "1"));
      await gw.updateConfig(setVar("B", "1"));
      // The budget (2 per 1.5 s) is spent: the next write waits, and 100 more join it.
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => gw.updateConfig(setVar(`W_${i}`, String(i)))));
      expect(results.every((r) => r.applied === "live")).toBe(true);
      const v = vars(await gw.readConfig());
      for (let i = 0; i < 100; i++) expect(v[`W_${i}`]).toBe(String(i));
      expect(v.A).toBe("1");
      expect(patches.length).toBeGreaterThanOrEqual(3);
      expect(patches.length).toBeLessThanOrEqual(4);
    } finally {
      await host[Symbol.asyncDispose]();
    }
  });
});

describe("fake: patches the gateway refuses", () => {
  const tmp = makeTmp("config-refused");
  afterEach(nothingLeft);
  afterAll(() => tmp.cleanup());

  it("a stale hash (another writer got in first): re-read, re-applied on top of the other write, nothing lost", async () => {
    const host = newHost(tmp.dir, { from: 12200, to: 12439 });
    const gw = await host.add({ name: "stale", env: { FAKE_GATEWAY_STALE_PATCHES: "2" } });
    const external: string[] = [];
    gw.on("config", (c) => c.source === "external" && external.push(...c.changedPaths));
    try {
      await gw.start();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => gw.updateConfig(setVar(`S_${i}`, String(i)))));
      expect(results.every((r) => r.applied === "live")).toBe(true);
      const v = vars(await gw.readConfig());
      for (let i = 0; i < 20; i++) expect(v[`S_${i}`]).toBe(String(i));
      expect(v.OTHER_WRITER_0).toBe("1");
      expect(v.OTHER_WRITER_1).toBe("1");
      expect(external.sort()).toEqual(["env.vars.OTHER_WRITER_0", "env.vars.OTHER_WRITER_1"]);
    } finally {
      await host[Symbol.asyncDispose]();
    }
  });

  it("a rule only the gateway knows: the batch is narrowed, the one bad update fails alone with the gateway's path", async () => {
    const host = newHost(tmp.dir, { from: 12440, to: 12679 });
    const gw = await host.add({ name: "refuse", env: { FAKE_GATEWAY_REFUSE_VAR: "FORBIDDEN" } });
    try {
      await gw.start();
      const before = await gw.readConfig();
      const settled = await Promise.allSettled(
        Array.from({ length: 9 }, (_, i) => gw.updateConfig(setVar(i === 5 ? "FORBIDDEN" : `R_${i}`, String(i)))),
      );
      expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
      const err = (settled[5] as PromiseRejectedResult).reason as ClawhostError;
      expect(err.code).toBe("CLAWHOST_CONFIG_INVALID");
      expect(err.value).toBe("env.vars.FORBIDDEN");
      expect((err.details as { issues: Array<{ rule: string }> }).issues[0]!.rule).toBe("gateway: config.patch");
      const v = vars(await gw.readConfig());
      expect(v.FORBIDDEN).toBeUndefined();
      for (const i of [0, 1, 2, 3, 4, 6, 7, 8]) expect(v[`R_${i}`]).toBe(String(i));
      expect(Object.keys(vars(before))).toEqual([]);
    } finally {
      await host[Symbol.asyncDispose]();
    }
  });
});
