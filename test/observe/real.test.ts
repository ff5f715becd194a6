import { afterAll } from "vitest";
import { makeTmp } from "../helpers.js";
import { describeObservabilityContract } from "./contract.js";

// The real OpenClaw gateway (the pinned devDependency, discovered).
const leases = makeTmp("observe-real-leases");
afterAll(() => leases.cleanup());

describeObservabilityContract({ label: "openclaw", portBase: 31680, leaseDir: leases.dir });
