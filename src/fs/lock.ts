import { randomBytes } from "node:crypto";
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ClawhostError } from "../errors.js";
import { WakeableSleep } from "../wake.js";
import { fsError } from "./errors.js";
import { isAlive, readProc } from "./proc.js";

/** An owner file without a live owner older than this is taken over. */
const ORPHAN_LOCK_MS = 10_000;
/** The breaker is held for microseconds: one older than this was left by a taker that died. */
const ORPHAN_BREAKER_MS = 1_000;
/** Between attempts: short first (holders keep it for milliseconds), longer while it stays held. */
const MIN_WAIT_MS = 2;
const MAX_WAIT_MS = 50;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function ownerIsDead(lockDir: string): Promise<boolean> {
  try {
    const owner = JSON.parse(await readFile(`${lockDir}/owner.json`, "utf8")) as { pid: number; startTime: number };
    return !isAlive(owner);
  } catch {
    // Created but not yet stamped, or stamped by a writer that died in between.
    try {
      return Date.now() - (await stat(lockDir)).mtimeMs > ORPHAN_LOCK_MS;
    } catch {
      return false;
    }
  }
}

/**
 * One attempt to take the lock. A dead holder's lock is removed only under a second,
 * short-lived "breaker" lock, with its deadness checked again there: without it, two
 * takers that both saw the same dead holder could race, and the slower one would remove
 * the fresh lock the faster one's successor had just made.
 */
async function tryTake(lockDir: string): Promise<boolean> {
  // The lock appears already stamped: a stamped temp dir renamed into place (atomic, and
  // refused while a stamped lock exists), so a holder killed in between never leaves an
  // anonymous lock that others must wait out by age.
  const tmp = `${lockDir}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await mkdir(tmp, { mode: 0o700 });
  try {
    await writeFile(`${tmp}/owner.json`, JSON.stringify({ pid: process.pid, startTime: readProc(process.pid)?.startTime ?? -1 }));
    await rename(tmp, lockDir);
    return true;
  } catch (err) {
    // Renamed into place, the temp dir is gone; otherwise it is removed here.
    await removeDir(tmp);
    if (errno(err) !== "ENOTEMPTY" && errno(err) !== "EEXIST") throw err;
  }
  if (!(await ownerIsDead(lockDir))) return false;
  const breaker = `${lockDir}.break`;
  try {
    await mkdir(breaker, { mode: 0o700 });
  } catch (err) {
    if (errno(err) !== "EEXIST") throw err;
    // Held for microseconds; one left by a taker that died in between is cleared by age.
    try {
      if (Date.now() - (await stat(breaker)).mtimeMs > ORPHAN_BREAKER_MS) await removeDir(breaker);
    } catch {
      // Gone already.
    }
    return false;
  }
  try {
    if (await ownerIsDead(lockDir)) await removeLock(lockDir);
  } finally {
    await removeDir(breaker);
  }
  return false;
}

/** Options of {@link withLock}. */
export interface LockOptions {
  /** Give up with `CLAWHOST_LOCK_TIMEOUT` after this long (default 30000). */
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** Named in errors. */
  gateway?: string | undefined;
}

/**
 * Run `fn` holding a cross-process lock: a directory created with `mkdir` (atomic on
 * every local filesystem), stamped with the holder's pid and process start time. A lock
 * whose holder died is taken over, so a SIGKILLed holder never blocks the others. The
 * wait is asynchronous: a waiter tries again when the lock dir is released (inotify on
 * its parent) and at timers backing off to 50 ms, so a lock held for seconds by another
 * process never blocks this one's event loop, and a released one is taken at once.
 *
 * @example
 * ```ts
 * await withLock("/run/user/1000/clawhost/leases.lock", async () => { ... }, { timeoutMs: 10_000 });
 * ```
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const take = (): Promise<boolean> => tryTake(lockDir).catch((err: unknown) => Promise.reject(fsError(err, lockDir, "taking the lock", opts.gateway)));
  if (!(await take())) await waitAndTake(lockDir, take, deadline, timeoutMs, opts);
  try {
    await removeLeftovers(lockDir);
    return await fn();
  } finally {
    await removeLock(lockDir);
  }
}

/**
 * Try again until the lock is ours: at the lock dir's release (inotify on its parent),
 * else after a timer backing off to 50 ms (with jitter), within the deadline.
 */
async function waitAndTake(lockDir: string, take: () => Promise<boolean>, deadline: number, timeoutMs: number, opts: LockOptions): Promise<void> {
  let wait = MIN_WAIT_MS;
  // A release seen while a take was under way ends the next wait at once.
  const gap = new WakeableSleep();
  const watcher = watchRelease(lockDir, () => gap.wake());
  try {
    do {
      if (opts.signal?.aborted) {
        throw new ClawhostError("CLAWHOST_ABORTED", `gave up waiting for the lock ${lockDir}.`, {
          gateway: opts.gateway,
          value: lockDir,
          fix: "nothing to fix when the abort was meant; otherwise find the live process holding the lock (owner.json inside).",
          cause: opts.signal.reason,
        });
      }
      if (Date.now() > deadline) {
        throw new ClawhostError("CLAWHOST_LOCK_TIMEOUT", `could not take the lock ${lockDir} within ${timeoutMs} ms.`, {
          gateway: opts.gateway,
          value: lockDir,
          fix: "a live process holds it (its pid is in owner.json inside); if none should, remove the directory.",
        });
      }
      await gap.sleep(wait + Math.floor(Math.random() * wait), opts.signal);
      wait = Math.min(MAX_WAIT_MS, wait * 2);
    } while (!(await take()));
  } finally {
    watcher?.close();
  }
}

/** Calls `onRelease` when `lockDir` is renamed away or removed; undefined where the dir cannot be watched (the timers still run). */
function watchRelease(lockDir: string, onRelease: () => void): FSWatcher | undefined {
  const name = basename(lockDir);
  try {
    const w = watch(dirname(lockDir), { persistent: false }, (_event, file) => {
      if (file === null || file === name) onRelease();
    });
    w.on("error", () => w.close());
    return w;
  } catch {
    return undefined;
  }
}

/** Temp and removed-lock dirs of takers killed mid-take or mid-release (their pid is dead). */
async function removeLeftovers(lockDir: string): Promise<void> {
  const prefix = `${basename(lockDir)}.`;
  const names = await readdir(dirname(lockDir)).catch(() => [] as string[]);
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]+\.(tmp|gone)$/.exec(name.slice(prefix.length)) : null;
    if (!m || pidAlive(Number(m[1]))) continue;
    await rm(join(dirname(lockDir), name), { recursive: true, force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === "EPERM";
  }
}

/**
 * Remove a lock by renaming it aside first: while its files are being removed, the path is
 * already free, so a taker can never slip its fresh lock into a half-removed directory.
 */
async function removeLock(lockDir: string): Promise<void> {
  const aside = `${lockDir}.${process.pid}.${randomBytes(4).toString("hex")}.gone`;
  try {
    await rename(lockDir, aside);
  } catch (err) {
    if (errno(err) === "ENOENT") return;
    throw err;
  }
  await removeDir(aside);
}

/**
 * Remove a lock dir (or a temp or breaker one) made here: its one file, then itself; a recursive
 * removal only when it holds something else (a writer killed mid-way, a stranger's file).
 */
async function removeDir(dir: string): Promise<void> {
  try {
    await unlink(`${dir}/owner.json`);
  } catch (err) {
    if (errno(err) !== "ENOENT") return rm(dir, { recursive: true, force: true });
  }
  try {
    await rmdir(dir);
  } catch (err) {
    if (errno(err) !== "ENOENT") await rm(dir, { recursive: true, force: true });
  }
}
