import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { ClawhostError } from "../errors.js";
import { isAlive, readProc } from "../process/proc.js";

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
 * Run `fn` holding a cross-process lock: a directory created with `mkdir` (atomic on
 * every local filesystem), stamped with the holder's pid and process start time. A lock
 * whose holder died is taken over, so a SIGKILLed holder never blocks the others.
 * Synchronous, because `host.add()` is: holders keep it for milliseconds.
 */
export function withLockSync<T>(lockDir: string, fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  const me = readProc(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(lockDir, { mode: 0o700 });
      break;
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
      continue;
    }
    if (Date.now() > deadline) {
      throw new ClawhostError("CLAWHOST_LOCK_TIMEOUT", `could not take the lock ${lockDir} within ${timeoutMs} ms.`, {
        value: lockDir,
        fix: "a live process holds it; if none should, remove the directory.",
      });
    }
    sleepSync(2 + Math.floor(Math.random() * 8));
  }
  try {
    writeFileSync(`${lockDir}/owner.json`, JSON.stringify({ pid: process.pid, startTime: me?.startTime ?? -1 }));
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
