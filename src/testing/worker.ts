import { availableParallelism, freemem } from "node:os";

const GIB = 1024 ** 3;
const SLICE_PORTS = 1200;
const SLICES = 10;
const FIRST_PORT = 20000;

/**
 * The id of this test worker: `VITEST_POOL_ID`, else `JEST_WORKER_ID`, else `"0"`.
 *
 * @example
 * ```ts
 * workerId(); // "3" in vitest's third worker
 * ```
 */
export function workerId(env: NodeJS.ProcessEnv = process.env): string {
  const id = env.VITEST_POOL_ID ?? env.JEST_WORKER_ID ?? "0";
  return /^\d{1,6}$/.test(id) ? id : "0";
}

/**
 * The port range of a worker's gateways: one of ten slices of 20000-31999 (ten blocks
 * each), so parallel workers never lease the same block even with separate lease dirs.
 *
 * @example
 * ```ts
 * workerPorts("2"); // { from: 21200, to: 22399 }
 * ```
 */
export function workerPorts(id: string = workerId()): { from: number; to: number } {
  const slice = (Math.max(1, Number(id)) - 1) % SLICES;
  const from = FIRST_PORT + slice * SLICE_PORTS;
  return { from, to: from + SLICE_PORTS - 1 };
}

/**
 * How many spare gateways a worker keeps ahead by default: one per core, at most one per
 * free GiB beyond the first (a real gateway needs ~1 GB), shared by `workers`; at least 1.
 *
 * @example
 * ```ts
 * defaultSpares({ cores: 2, freeBytes: 24 * 1024 ** 3 }); // 2
 * defaultSpares({ cores: 8, freeBytes: 3 * 1024 ** 3 });  // 2
 * ```
 */
export function defaultSpares(input: { cores?: number; freeBytes?: number; workers?: number } = {}): number {
  const cores = input.cores ?? availableParallelism();
  const freeGiB = Math.floor((input.freeBytes ?? freemem()) / GIB);
  const workers = Math.max(1, input.workers ?? 1);
  return Math.max(1, Math.floor(Math.min(cores, freeGiB - 1) / workers));
}
