import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
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

/** One attempt to take the lock; a dead holder's lock is moved aside and removed. */
function tryTake(lockDir: string, attempt: number): boolean {
  try {
    mkdirSync(lockDir, { mode: 0o700 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  if (ownerIsDead(lockDir)) {
    // Move it aside atomically, so two takers cannot both delete a fresh lock.
    const aside = `${lockDir}.stale.${process.pid}.${attempt}`;
    try {
      renameSync(lockDir, aside);
      rmSync(aside, { recursive: true, force: true });
    } catch {
      // Someone else took it over first.
    }
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
  for (let attempt = 0; !tryTake(lockDir, attempt); attempt++) {
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
  for (let attempt = 0; !tryTake(lockDir, attempt); attempt++) {
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
