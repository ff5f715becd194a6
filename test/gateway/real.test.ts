import { afterAll } from "vitest";
import { makeTmp } from "../helpers.js";
import { describeGatewayContract } from "./contract.js";

// The real OpenClaw gateway, the pinned devDependency, found with zero configuration.
const leases = makeTmp("gw-real-leases");
afterAll(() => leases.cleanup());

describeGatewayContract({
  label: "openclaw",
  portBase: 21000,
  leaseDir: leases.dir,
  hostOptions: (root, ports) => ({ root, ports }),
});
