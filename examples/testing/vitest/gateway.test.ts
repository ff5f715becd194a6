import { readFileSync } from "node:fs";
import { describe, expect, inject } from "vitest";
import { test } from "clawhost/testing/vitest";

const seen: Array<{ name: string; dir: string; port: number }> = [];
const sharedPids: Array<number | undefined> = [];

describe("gateway: a fresh gateway per test", () => {
  test("is ready and answers health", async ({ gateway }) => {
    expect(gateway.state).toBe("ready");
    const health = await gateway.call("health", {});
    expect(health).toBeTruthy();
    seen.push({ name: gateway.name, dir: gateway.context.dir, port: gateway.context.ports.gateway });
  });

  test("is never the gateway of another test", async ({ gateway }) => {
    expect(seen.length).toBeGreaterThan(0);
    for (const other of seen) {
      expect(gateway.name).not.toBe(other.name);
      expect(gateway.context.dir).not.toBe(other.dir);
    }
    seen.push({ name: gateway.name, dir: gateway.context.dir, port: gateway.context.ports.gateway });
  });

  test("takes config changes of its own", async ({ gateway }) => {
    await gateway.updateConfig({ env: { vars: { CLAWHOST_EXAMPLE: "1" } } });
    const config = await gateway.readConfig();
    expect((config.env as { vars: Record<string, string> }).vars.CLAWHOST_EXAMPLE).toBe("1");
  });
});

describe("sharedGateway: one per worker", () => {
  test("answers health", async ({ sharedGateway }) => {
    await sharedGateway.call("health", {});
    sharedPids.push(sharedGateway.pid);
  });

  test("is the same process in the next test", async ({ sharedGateway, gateway }) => {
    sharedPids.push(sharedGateway.pid);
    expect(new Set(sharedPids).size).toBe(1);
    expect(gateway.pid).not.toBe(sharedGateway.pid);
  });
});

describe("globalSetup: gateways of the whole run", () => {
  test("main is reachable through inject()", async () => {
    const main = inject("clawhost").gateways.main!;
    const res = await fetch(`http://127.0.0.1:${main.port}/readyz`);
    expect(res.status).toBe(200);
    // The token is in a file of its own, never in the provided data.
    expect(readFileSync(main.tokenFile, "utf8").trim()).not.toBe("");
    expect(JSON.stringify(inject("clawhost"))).not.toContain(readFileSync(main.tokenFile, "utf8").trim());
  });
});
