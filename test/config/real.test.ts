import { afterAll } from "vitest";
import { makeTmp } from "../helpers.js";
import { describeConfigContract } from "./contract.js";

// The real OpenClaw gateway (its own schema, config.patch, rate limit and reloads).
const leases = makeTmp("config-real-leases");
afterAll(() => leases.cleanup());

describeConfigContract({ label: "openclaw", portBase: 39480, leaseDir: leases.dir, hostOptions: (root, ports) => ({ root, ports }) });
