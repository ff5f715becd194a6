import { describeGatewayContract } from "./contract.js";

// The real OpenClaw gateway, the pinned devDependency, found with zero configuration.
describeGatewayContract({
  label: "openclaw",
  portBase: 21000,
  hostOptions: (root, ports) => ({ root, ports }),
});
