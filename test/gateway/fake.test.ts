import { fileURLToPath } from "node:url";
import { describeGatewayContract } from "./contract.js";

// The fault-injection fake gateway (test/fixtures/fake-openclaw), run through the same contract.
const bin = fileURLToPath(new URL("../fixtures/fake-openclaw/openclaw.mjs", import.meta.url));

describeGatewayContract({
  label: "fake",
  portBase: 23000,
  hostOptions: (root, ports) => ({ root, ports, openclaw: { bin } }),
  // The fake is ready in ~0.5 s: make the "slow" gateway miss its 2.5 s deadline.
  slowEnv: { FAKE_GATEWAY_BOOT_MS: "10000" },
});
