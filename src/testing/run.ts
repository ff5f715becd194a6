import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startJanitor } from "./janitor.js";

/** The env variable through which a run's dir reaches its workers. */
export const RUN_DIR_ENV = "CLAWHOST_TESTING_RUN_DIR";
/** Prefix of every run dir under the OS temp dir. */
export const RUN_PREFIX = "clawhost-testing-";

/** A process by pid and start time (a pid alone is reused). */
interface Owner {
  pid: number;
  startTime: number;
}

function startTimeOf(pid: number): number | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return Number(fields[19]);
  } catch {
    return undefined; // Gone.
  }
}

function ownerAlive(dir: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(dir, "owner.json"), "utf8")) as Partial<Owner>;
    return Number.isInteger(owner.pid) && startTimeOf(owner.pid!) === owner.startTime;
  } catch {
    return false; // No owner recorded: half-made or half-removed.
  }
}

function hasOwnerFile(dir: string): boolean {
  try {
    return statSync(join(dir, "owner.json")).isFile();
  } catch {
    return false;
  }
}

// A run dir is made first and stamped with its owner right after: give that a minute.
function young(dir: string): boolean {
  try {
    return Date.now() - statSync(dir).mtimeMs < 60_000;
  } catch {
    return true; // Gone meanwhile.
  }
}

/**
 * Remove run dirs whose owner is gone (a janitor that could not finish, a machine that
 * rebooted): the second line of defence after the janitor.
 */
export function sweepStaleRuns(base: string = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(RUN_PREFIX)) continue;
    const dir = join(base, name);
    if (ownerAlive(dir) || (!hasOwnerFile(dir) && young(dir))) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * One test run's temp dir: `owner.json`, the run's lease dir `leases/`, and a root per
 * worker. The process that creates it owns it and removes it on {@link TestRun.close};
 * when that process dies first, its janitor removes it.
 *
 * @example
 * ```ts
 * const run = openTestRun();           // joins $CLAWHOST_TESTING_RUN_DIR when set
 * process.env[RUN_DIR_ENV] = run.dir;  // workers started after this join it
 * await run.close();
 * ```
 */
export interface TestRun {
  readonly dir: string;
  readonly leaseDir: string;
  /** True when this process created the run (and so removes it). */
  readonly owned: boolean;
  /** Remove the run dir when owned (idempotent); a joined run is left to its owner. */
  close(): Promise<void>;
  /**
   * {@link close} once no worker's root is left in the run dir (each pool removes its own
   * when it closes); returns at once. For a runner that tears its global setup down before
   * it stops its workers (vitest does): their gateways still run in the run dir then. If
   * this process ends first, the janitor removes the dir.
   */
  closeAfterWorkers(): void;
}

/** The name of a worker's root in a run dir (`GatewayPool.root`): `w<worker id>-<pid>`. */
export function workerRootName(id: string, pid: number = process.pid): string {
  return `w${id}-${pid}`;
}
const WORKER_ROOT = /^w\d+-\d+$/;

function workerRootsIn(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => WORKER_ROOT.test(name));
  } catch {
    return false; // Gone already.
  }
}

// Watches the run dir (no timer): every entry added or removed there is a moment to check.
// A removal that fails is left to the janitor, which removes the dir when this process ends.
function closeAfterWorkers(dir: string, close: () => Promise<void>): void {
  const done = (): void => void close().catch(() => {});
  if (!workerRootsIn(dir)) return done();
  let watcher: ReturnType<typeof watch>;
  const check = (): void => {
    if (workerRootsIn(dir)) return;
    watcher.close();
    done();
  };
  try {
    watcher = watch(dir, check);
  } catch {
    return; // Cannot watch: the janitor's.
  }
  watcher.on("error", () => watcher.close());
  // Never what keeps this process alive: at its end the janitor takes over.
  watcher.unref();
  check(); // The last root may have gone before the watch began.
}

/**
 * Join the run named by `dir` (or `$CLAWHOST_TESTING_RUN_DIR`), or create a new one owned
 * by this process, with a janitor.
 *
 * @example
 * ```ts
 * const run = openTestRun();
 * ```
 */
export function openTestRun(dir: string | undefined = process.env[RUN_DIR_ENV]): TestRun {
  if (dir !== undefined && dir !== "" && ownerAlive(dir)) {
    return { dir, leaseDir: join(dir, "leases"), owned: false, close: async () => {}, closeAfterWorkers: () => {} };
  }
  sweepStaleRuns();
  const made = mkdtempSync(join(tmpdir(), RUN_PREFIX));
  const owner: Owner = { pid: process.pid, startTime: startTimeOf(process.pid) ?? 0 };
  writeFileSync(join(made, "owner.json"), JSON.stringify(owner));
  mkdirSync(join(made, "leases"), { mode: 0o700 });
  startJanitor(made);
  let closing: Promise<void> | undefined;
  // Retried: a worker may still be writing a lease while the owner removes the run.
  const close = (): Promise<void> => (closing ??= rm(made, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }));
  return { dir: made, leaseDir: join(made, "leases"), owned: true, close, closeAfterWorkers: () => closeAfterWorkers(made, close) };
}
