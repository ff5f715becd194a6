/**
 * `clawhost/testing`: gateways for test suites, runner-agnostic (docs/testing.md). Built on
 * clawhost's public API only.
 *
 * @example
 * ```ts
 * import { createGatewayPool } from "clawhost/testing";
 * const pool = createGatewayPool({ spares: 2 });
 * const gw = await pool.acquire();
 * ```
 *
 * @packageDocumentation
 * @module clawhost/testing
 */
export { createGatewayPool, GatewayPool } from "./pool.js";
export type { AcquireOptions, PoolStats } from "./pool.js";
export type { PoolOptions } from "./options.js";
export { formatDiagnostics } from "./diagnostics.js";
export { openTestRun, sweepStaleRuns, RUN_DIR_ENV, RUN_PREFIX } from "./run.js";
export type { TestRun } from "./run.js";
export { defaultSpares, workerId, workerPorts } from "./worker.js";
