// clawhost/testing with node:test: a pool per test file, a fresh gateway per test, its
// diagnostics in the failing test's output (`t.diagnostic`).
// Run: node --test --test-global-setup=examples/testing/node-test/setup.ts examples/testing/node-test/
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { TestContext } from "node:test";
import { createGatewayPool } from "clawhost/testing";
import type { Gateway } from "clawhost";

// How clawhost's own tests run this file on the fault-injection gateway; unset: the installed openclaw.
const bin = process.env.CLAWHOST_EXAMPLE_OPENCLAW;
const ports = process.env.CLAWHOST_EXAMPLE_PORTS?.split("-").map(Number);

const pool = createGatewayPool({
  spares: 1,
  ...(bin ? { openclaw: { bin } } : {}),
  ...(ports ? { ports: { from: ports[0]!, to: ports[1]! } } : {}),
});
after(() => pool.close());

/** Runs `fn` with a fresh gateway; on failure its diagnostics join the test's output. */
async function withGateway(t: TestContext, fn: (gw: Gateway) => Promise<void>): Promise<void> {
  const gw = await pool.acquire();
  try {
    await fn(gw);
  } catch (err) {
    t.diagnostic(await pool.describe(gw));
    throw err;
  } finally {
    // The stop runs while the next test starts; pool.close() waits for it.
    void pool.release(gw);
  }
}

const names: string[] = [];

test("a fresh gateway answers health", (t) =>
  withGateway(t, async (gw) => {
    assert.equal(gw.state, "ready");
    await gw.call("health", {});
    names.push(gw.name);
  }));

test("the next test gets another gateway", (t) =>
  withGateway(t, async (gw) => {
    assert.ok(names.length > 0);
    assert.ok(!names.includes(gw.name));
  }));

test("a gateway's config is its own", (t) =>
  withGateway(t, async (gw) => {
    await gw.updateConfig({ env: { vars: { CLAWHOST_EXAMPLE: "node-test" } } });
    const config = await gw.readConfig();
    assert.equal((config.env as { vars: Record<string, string> }).vars.CLAWHOST_EXAMPLE, "node-test");
  }));
