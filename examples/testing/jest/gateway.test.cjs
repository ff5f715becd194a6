// A pool per test file (per jest worker: JEST_WORKER_ID picks its port slice), a fresh
// gateway per test; a failing test's error carries the gateway's diagnostics.
const { createGatewayPool } = require("clawhost/testing");

// How clawhost's own tests run this file on the fault-injection gateway; unset: the installed openclaw.
const bin = process.env.CLAWHOST_EXAMPLE_OPENCLAW;
const ports = process.env.CLAWHOST_EXAMPLE_PORTS?.split("-").map(Number);

const pool = createGatewayPool({
  spares: 1,
  ...(bin ? { openclaw: { bin } } : {}),
  ...(ports ? { ports: { from: ports[0], to: ports[1] } } : {}),
});
afterAll(() => pool.close());

/** Runs `fn` with a fresh gateway; on failure its diagnostics join the error. */
async function withGateway(fn) {
  const gw = await pool.acquire();
  try {
    await fn(gw);
  } catch (err) {
    err.message += `\n${await pool.describe(gw)}`;
    throw err;
  } finally {
    void pool.release(gw);
  }
}

const names = [];

test("a fresh gateway answers health", () =>
  withGateway(async (gw) => {
    expect(gw.state).toBe("ready");
    await gw.call("health", {});
    names.push(gw.name);
  }));

test("the next test gets another gateway", () =>
  withGateway(async (gw) => {
    expect(names.length).toBeGreaterThan(0);
    expect(names).not.toContain(gw.name);
  }));

test("a gateway's config is its own", () =>
  withGateway(async (gw) => {
    await gw.updateConfig({ env: { vars: { CLAWHOST_EXAMPLE: "jest" } } });
    const config = await gw.readConfig();
    expect(config.env.vars.CLAWHOST_EXAMPLE).toBe("jest");
  }));
