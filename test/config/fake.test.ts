import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { GatewayHost } from "clawhost";
import { makeTmp } from "../helpers.js";
import { describeConfigContract, setVar, vars } from "./contract.js";

const bin = fileURLToPath(new URL("../fixtures/fake-openclaw/openclaw.mjs", import.meta.url));

// The fault-injection fake passes the same contract as the real gateway.
describeConfigContract({ label: "fake", portBase: 39720, hostOptions: (root, ports) => ({ root, ports, openclaw: { bin } }) });

describe("fake: the gateway's write budget spent", () => {
  const tmp = makeTmp("config-limit");
  afterAll(() => tmp.cleanup());

  it("updates wait out the rate limit, ride along in one patch, and none is lost", async () => {
    const host = new GatewayHost({ root: tmp.dir, ports: { from: 39960, to: 40199 }, openclaw: { bin } });
    const gw = host.add({ name: "limited", env: { FAKE_GATEWAY_WRITE_LIMIT: "2", FAKE_GATEWAY_WRITE_WINDOW_MS: "1500" } });
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
