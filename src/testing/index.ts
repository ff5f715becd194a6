// clawhost/testing: gateways for test suites, on top of clawhost's public API only.
export { createGatewayPool, GatewayPool } from "./pool.js";
export type { AcquireOptions, PoolStats } from "./pool.js";
export type { PoolOptions } from "./options.js";
export { formatDiagnostics } from "./diagnostics.js";
export { openTestRun, sweepStaleRuns, RUN_DIR_ENV, RUN_PREFIX } from "./run.js";
export type { TestRun } from "./run.js";
export { defaultSpares, workerId, workerPorts } from "./worker.js";
