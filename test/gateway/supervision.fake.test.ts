import { writeFileSync } from "node:fs";
import { afterAll } from "vitest";
import { FAKE_OPENCLAW as bin, makeTmp } from "../helpers.js";
import { describeSupervisionContract } from "./supervision.js";

// The fault-injection fake through the same supervision contract as the real gateway.
const leases = makeTmp("sup-fake-leases");
afterAll(() => leases.cleanup());

describeSupervisionContract({
  label: "fake",
  portBase: 7200,
  poolPorts: { from: 8760, to: 9359 },
  leaseDir: leases.dir,
  bin,
  hostOptions: (root, ports) => ({ root, ports, openclaw: { bin } }),
  breakConfig: (path) => writeFileSync(path, `${JSON.stringify({ gateway: { mode: "local", port: "not-a-port" } }, null, 2)}\n`, { mode: 0o600 }),
});
