import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withLock } from "../../src/fs/lock.js";
import { readProc } from "../../src/fs/proc.js";
import { makeTmp } from "../helpers.js";

const tmp = makeTmp("lock");
afterAll(() => tmp.cleanup());

/** The identity of a process that has exited. */
function deadIdentity(): { pid: number; startTime: number } {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(require('fs').readFileSync('/proc/self/stat','utf8'))"], { encoding: "utf8" });
  const stat = r.stdout;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pid: Number(stat.split(" ")[0]), startTime: Number(fields[19]) };
}

describe("the mkdir lock", () => {
  it("a lock left by a dead holder is taken over once, and 12 contenders still exclude each other", async () => {
    const lockDir = join(tmp.dir, "counter.lock");
    const counter = join(tmp.dir, "counter");
    writeFileSync(counter, "0");
    mkdirSync(lockDir);
    const dead = deadIdentity();
    expect(readProc(dead.pid)?.startTime === dead.startTime).toBe(false);
    writeFileSync(join(lockDir, "owner.json"), JSON.stringify(dead));
    const inside: number[] = [];
    let holders = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        (async () => {
          for (let i = 0; i < 10; i++) {
            await withLock(lockDir, async () => {
              inside.push(++holders);
              const n = Number(readFileSync(counter, "utf8"));
              await new Promise((r) => setTimeout(r, 1));
              writeFileSync(counter, String(n + 1));
              holders--;
            });
          }
        })(),
      ),
    );
    expect(Number(readFileSync(counter, "utf8"))).toBe(120);
    expect(Math.max(...inside)).toBe(1);
    expect(existsSync(lockDir)).toBe(false);
    expect(existsSync(`${lockDir}.break`)).toBe(false);
    // The losers' stamped temp dirs and the released locks set aside are all gone.
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith("counter.lock"))).toEqual([]);
  });

  it("a release removes the lock even when something else was put in it", async () => {
    const lockDir = join(tmp.dir, "extra.lock");
    await withLock(lockDir, () => writeFileSync(join(lockDir, "stray"), "x"));
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith("extra.lock"))).toEqual([]);
    await withLock(lockDir, () => undefined);
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith("extra.lock"))).toEqual([]);
  });

  it("a lock held by a live process times out with CLAWHOST_LOCK_TIMEOUT naming it", async () => {
    const lockDir = join(tmp.dir, "held.lock");
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, "owner.json"), JSON.stringify({ pid: process.pid, startTime: readProc(process.pid)!.startTime }));
    const err = (await withLock(lockDir, async () => undefined, { timeoutMs: 100 }).catch((e: unknown) => e)) as { code: string; value: string };
    expect(err.code).toBe("CLAWHOST_LOCK_TIMEOUT");
    expect(err.value).toBe(lockDir);
    expect(existsSync(lockDir)).toBe(true);
  });

  it("a waiter whose signal aborts gives up with CLAWHOST_ABORTED, the holder's lock untouched", async () => {
    const lockDir = join(tmp.dir, "aborted.lock");
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, "owner.json"), JSON.stringify({ pid: process.pid, startTime: readProc(process.pid)!.startTime }));
    const abort = new AbortController();
    const waiting = withLock(lockDir, async () => undefined, { timeoutMs: 60_000, signal: abort.signal }).catch((e: unknown) => e);
    setTimeout(() => abort.abort(new Error("enough")), 20);
    const err = (await waiting) as { code: string; value: string };
    expect(err.code).toBe("CLAWHOST_ABORTED");
    expect(err.value).toBe(lockDir);
    expect(existsSync(join(lockDir, "owner.json"))).toBe(true);
  });
});
