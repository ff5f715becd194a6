import { afterAll } from "vitest";
import { makeTmp, REAL_OPENCLAW, realHostOptions } from "../helpers.js";
import { describeConfigContract } from "./contract.js";

// The real OpenClaw gateway (its own schema, config.patch, rate limit and reloads): the
// pinned one, or the version `npm run test:compat` installed.
const leases = makeTmp("config-real-leases");
afterAll(() => leases.cleanup());

describeConfigContract({
  label: REAL_OPENCLAW.label,
  portBase: 11480,
  leaseDir: leases.dir,
  hostOptions: realHostOptions,
  bin: REAL_OPENCLAW.bin,
  poolPorts: { from: 9360, to: 9719 },
});
