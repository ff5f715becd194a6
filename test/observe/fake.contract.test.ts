import { afterAll } from "vitest";
import { FAKE_OPENCLAW, makeTmp } from "../helpers.js";
import { describeObservabilityContract } from "./contract.js";

// The fault-injection gateway passes the same observability contract as the real one.
const leases = makeTmp("observe-fake-contract-leases");
afterAll(() => leases.cleanup());

describeObservabilityContract({ label: "fake", portBase: 31440, leaseDir: leases.dir, hostOptions: { openclaw: { bin: FAKE_OPENCLAW } }, printsToken: true });
