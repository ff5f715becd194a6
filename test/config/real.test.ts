import { describeConfigContract } from "./contract.js";

// The real OpenClaw gateway (its own schema, config.patch, rate limit and reloads).
describeConfigContract({ label: "openclaw", portBase: 39480, hostOptions: (root, ports) => ({ root, ports }) });
