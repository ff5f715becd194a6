import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { ClawhostError } from "../errors.js";
import { isAlive, readProc } from "./proc.js";

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** An owner file without a live owner older than this is taken over. */
const ORPHAN_LOCK_MS = 10_000;

function ownerIsDead(lockDir: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(`${lockDir}/owner.json`, "utf8")) as { pid: number; startTime: number };
    return !isAlive(owner);
  } catch {
    // Created but not yet stamped, or stamped by a writer that died in between.
    try {
      return Date.now() - statSync(lockDir).mtimeMs > ORPHAN_LOCK_MS;
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
function tryTake(lockDir: string): boolean {
  try {
    mkdirSync(lockDir, { mode: 0o700 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  if (!ownerIsDead(lockDir)) return false;
  const breaker = `${lockDir}.break`;
  try {
    mkdirSync(breaker, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    // Held for microseconds; one left by a taker that died in between is cleared by age.
    try {
      if (Date.now() - statSync(breaker).mtimeMs > ORPHAN_LOCK_MS) rmSync(breaker, { recursive: true, force: true });
    } catch {
      // Gone already.
    }
    return false;
  }
  try {
    if (ownerIsDead(lockDir)) rmSync(lockDir, { recursive: true, force: true });
  } finally {
    rmSync(breaker, { recursive: true, force: true });
  }
  return false;
}

function stamp(lockDir: string): void {
  writeFileSync(`${lockDir}/owner.json`, JSON.stringify({ pid: process.pid, startTime: readProc(process.pid)?.startTime ?? -1 }));
}

function lockTimeout(lockDir: string, timeoutMs: number): ClawhostError {
  return new ClawhostError("CLAWHOST_LOCK_TIMEOUT", `could not take the lock ${lockDir} within ${timeoutMs} ms.`, {
    value: lockDir,
    fix: "a live process holds it; if none should, remove the directory.",
  });
}

/**
 * Run `fn` holding a cross-process lock: a directory created with `mkdir` (atomic on
 * every local filesystem), stamped with the holder's pid and process start time. A lock
 * whose holder died is taken over, so a SIGKILLed holder never blocks the others.
 * Synchronous, because `host.add()` is: holders keep it for milliseconds.
 */
export function withLockSync<T>(lockDir: string, fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  while (!tryTake(lockDir)) {
    if (Date.now() > deadline) throw lockTimeout(lockDir, timeoutMs);
    sleepSync(2 + Math.floor(Math.random() * 8));
  }
  try {
    stamp(lockDir);
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** {@link withLockSync} for async critical sections (the config read-modify-write). */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (!tryTake(lockDir)) {
    if (Date.now() > deadline) throw lockTimeout(lockDir, timeoutMs);
    await new Promise((r) => setTimeout(r, 2 + Math.floor(Math.random() * 8)));
  }
  try {
    stamp(lockDir);
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
