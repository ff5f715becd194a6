import { afterAll } from "vitest";
import { makeTmp, REAL_OPENCLAW, realHostOptions } from "../helpers.js";
import { describeGatewayContract } from "./contract.js";

// The real OpenClaw gateway: the pinned devDependency, found with zero configuration, or
// the version `npm run test:compat` installed.
const leases = makeTmp("gw-real-leases");
afterAll(() => leases.cleanup());

describeGatewayContract({
  label: REAL_OPENCLAW.label,
  portBase: 21000,
  leaseDir: leases.dir,
  hostOptions: realHostOptions,
});
