import { afterAll } from "vitest";
import { FAKE_OPENCLAW as bin, makeTmp } from "../helpers.js";
import { describeGatewayContract } from "./contract.js";

// The fault-injection fake gateway (test/fixtures/fake-openclaw), run through the same contract.
const leases = makeTmp("gw-fake-leases");
afterAll(() => leases.cleanup());

describeGatewayContract({
  label: "fake",
  portBase: 23000,
  leaseDir: leases.dir,
  hostOptions: (root, ports) => ({ root, ports, openclaw: { bin } }),
  // The fake is ready in ~0.5 s: make the "slow" gateway miss its 2.5 s deadline.
  slowEnv: { FAKE_GATEWAY_BOOT_MS: "10000" },
});
