import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { giveBackReadBuffer, takeReadBuffer } from "../../../src/fs/read-buffers.js";
import { FileTail, openclawRotatedPath } from "../../../src/observe/logs/tail.js";
import { DEADLINE_MS, makeTmp } from "../../helpers.js";

const tmp = makeTmp("logs-tail");
afterAll(() => tmp.cleanup());

let n = 0;
function freshFile(): string {
  const dir = join(tmp.dir, `case-${++n}`);
  mkdirSync(dir);
  return join(dir, "openclaw.log");
}

/** What OpenClaw's file transport does at `logging.maxFileBytes`: drop .5, shift .4..1 up, the active file to .1. */
function rotateLikeOpenClaw(file: string): void {
  rmSync(openclawRotatedPath(file, 5), { force: true });
  for (let i = 4; i >= 1; i--) if (existsSync(openclawRotatedPath(file, i))) renameSync(openclawRotatedPath(file, i), openclawRotatedPath(file, i + 1));
  if (existsSync(file)) renameSync(file, openclawRotatedPath(file, 1));
}

/** A tail whose lines are collected; `until(k)` resolves once k lines came. */
function collect(file: string, from: "start" | "end" = "end"): { tail: FileTail; lines: string[]; until(k: number): Promise<string[]>; errors: unknown[] } {
  const lines: string[] = [];
  const errors: unknown[] = [];
  let waiter: { k: number; resolve: () => void } | undefined;
  const tail = new FileTail({
    path: file,
    from,
    onLine: (l) => {
      lines.push(l);
      if (waiter && lines.length >= waiter.k) waiter.resolve();
    },
    onError: (e) => errors.push(e),
  });
  const until = (k: number): Promise<string[]> =>
    new Promise((resolve, reject) => {
      if (lines.length >= k) return resolve(lines);
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${k} lines, got ${lines.length}: ${lines.slice(-3).join(" | ")}`)), DEADLINE_MS);
      waiter = {
        k,
        resolve: () => {
          clearTimeout(timer);
          resolve(lines);
        },
      };
    });
  return { tail, lines, until, errors };
}

const numbered = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join("");
const expectedLines = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

describe("FileTail", () => {
  test("starts at the end of what is there (or at its start), then follows appends; a line split across writes is one line", async () => {
    const file = freshFile();
    writeFileSync(file, numbered(1, 3));
    const c = collect(file);
    const all = collect(file, "start");
    await c.tail.start();
    await all.tail.start();
    appendFileSync(file, "line 4\nline ");
    appendFileSync(file, "5\n");
    expect(await c.until(2)).toEqual(expectedLines(4, 5));
    expect(await all.until(5)).toEqual(expectedLines(1, 5));
    await c.tail.close();
    await all.tail.close();
    expect(c.errors).toEqual([]);
  });

  test("a file that does not exist yet is followed from its creation", async () => {
    const file = freshFile();
    const c = collect(file);
    await c.tail.start();
    writeFileSync(file, numbered(1, 2));
    expect(await c.until(2)).toEqual(expectedLines(1, 2));
    await c.tail.close();
  });

  test("OpenClaw's rotation loses no line, also several rotations before the tail reads (missed copies read in order)", async () => {
    const file = freshFile();
    writeFileSync(file, "");
    const c = collect(file);
    await c.tail.start();
    appendFileSync(file, numbered(1, 10));
    await c.until(10);
    // Right after line 10, while the tail still works on the old file; in one tick, so no chance
    // to read in between: the tail sees the old file as .3 and must read .2 and .1 too.
    appendFileSync(file, "line 11\nline 12 without its newline");
    rotateLikeOpenClaw(file);
    appendFileSync(file, numbered(13, 20));
    rotateLikeOpenClaw(file);
    appendFileSync(file, numbered(21, 30));
    rotateLikeOpenClaw(file);
    appendFileSync(file, numbered(31, 40));
    const got = await c.until(40);
    expect(got).toEqual([...expectedLines(1, 11), "line 12 without its newline", ...expectedLines(13, 40)]);
    // The rotated-away file is closed: a rotation again keeps following.
    rotateLikeOpenClaw(file);
    appendFileSync(file, numbered(41, 42));
    expect((await c.until(42)).slice(40)).toEqual(expectedLines(41, 42));
    await c.tail.close();
    expect(c.errors).toEqual([]);
  });

  test("rotations while the tail is idle: the copies it never saw as the active file are read, oldest first", async () => {
    const file = freshFile();
    writeFileSync(file, "");
    const c = collect(file);
    await c.tail.start();
    appendFileSync(file, numbered(1, 2));
    await c.until(2);
    await c.tail.settled();
    for (let k = 0; k < 4; k++) {
      rotateLikeOpenClaw(file);
      appendFileSync(file, numbered(3 + k * 2, 4 + k * 2));
    }
    expect(await c.until(10)).toEqual(expectedLines(1, 10));
    await c.tail.close();
  });

  test("a truncation and a delete-and-recreate: what is written after is read from its start", async () => {
    const file = freshFile();
    writeFileSync(file, "");
    const c = collect(file);
    await c.tail.start();
    appendFileSync(file, numbered(1, 5));
    await c.until(5);
    truncateSync(file, 0);
    appendFileSync(file, numbered(6, 7));
    await c.until(7);
    rmSync(file);
    writeFileSync(file, numbered(8, 9));
    expect(await c.until(9)).toEqual(expectedLines(1, 9));
    await c.tail.close();
  });

  test("a long line of multi-byte characters across read chunks comes whole", async () => {
    const file = freshFile();
    writeFileSync(file, "");
    const c = collect(file);
    await c.tail.start();
    const long = "é€😀".repeat(30_000);
    appendFileSync(file, `${long}\nshort\n`);
    expect(await c.until(2)).toEqual([long, "short"]);
    await c.tail.close();
  });

  test("close() stops following and is idempotent; a dir that does not exist is reported, not thrown", async () => {
    const file = freshFile();
    const c = collect(file);
    await c.tail.start();
    await c.tail.close();
    await c.tail.close();
    const missing = collect(join(tmp.dir, "no-such-dir", "openclaw.log"));
    await missing.tail.start();
    expect((missing.errors[0] as NodeJS.ErrnoException).code).toBe("ENOENT");
    await missing.tail.close();
  });
  test("a drain per appended line reads into the process's shared buffers: 300 drains allocate no 64 KiB buffer each", async () => {
    const file = freshFile();
    writeFileSync(file, "");
    const c = collect(file);
    await c.tail.start();
    const big = (size: number): boolean => size >= 64 * 1024;
    const unsafe = vi.spyOn(Buffer, "allocUnsafe");
    const slow = vi.spyOn(Buffer, "allocUnsafeSlow");
    try {
      // Each line waits for its own drain: the tail reads once per change, as with OpenClaw's line-at-a-time log.
      for (let i = 1; i <= 300; i++) {
        appendFileSync(file, `line ${i}\n`);
        await c.until(i);
        await c.tail.settled();
      }
      const allocations = [...unsafe.mock.calls, ...slow.mock.calls].filter(([size]) => big(size)).length;
      // At most the pool's first buffer (none when an earlier reader left one in it).
      expect(allocations).toBeLessThanOrEqual(1);
    } finally {
      unsafe.mockRestore();
      slow.mockRestore();
      await c.tail.close();
    }
    expect(c.lines).toEqual(expectedLines(1, 300));
    const buf = takeReadBuffer();
    expect(buf.length).toBe(64 * 1024);
    giveBackReadBuffer(buf);
  });
});
