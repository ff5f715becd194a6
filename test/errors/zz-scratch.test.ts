import { it } from "vitest";
import { normalizeHostOptions, normalizeGatewaySpec } from "../../src/context/schema.js";
it("scratch", () => {
for (const f of [
  () => normalizeHostOptions({ root: "/x", readyTimeout: 5000 } as any),
  () => normalizeHostOptions({ root: "/x", readyTimeoutMs: NaN, stopTimeoutMs: -1, liveness: { intervalMS: 5 } } as any),
  () => normalizeHostOptions(undefined as any),
  () => normalizeGatewaySpec({ name: "main", env: { OPENCLAW_GATEWAY_TOKEN: "sekrit" }, port: 3.5, confg: {} } as any),
]) { try { f(); } catch (e: any) { console.log(e.message, JSON.stringify(e.value), e.fix); } }
});
