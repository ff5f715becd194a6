import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { outputFileName, OutputWriter } from "../../../src/observe/logs/writer.js";
import { makeTmp } from "../../helpers.js";

const tmp = makeTmp("logs-writer");
afterAll(() => tmp.cleanup());

function writer(dir: string, maxFileBytes: number, keepFiles: number, errors: unknown[] = []): OutputWriter {
  return new OutputWriter({ dir, maxFileBytes, keepFiles, dropNote: (n) => JSON.stringify({ dropped: n }), onError: (e) => errors.push(e) });
}

/** Every kept file's lines, oldest file first. */
function keptLines(dir: string, keepFiles: number): string[] {
  const out: string[] = [];
  for (let i = keepFiles; i >= 0; i--) {
    let text: string;
    try {
      text = readFileSync(join(dir, outputFileName(i)), "utf8");
    } catch {
      continue;
    }
    expect(text.endsWith("\n"), `${outputFileName(i)} ends with a whole line`).toBe(true);
    out.push(...text.slice(0, -1).split("\n"));
  }
  return out;
}

describe("OutputWriter", () => {
  test("rotation at a small size keeps N rotated files and loses, splits or repeats no line of the kept window", async () => {
    const dir = join(tmp.dir, "rotate", "logs");
    const maxFileBytes = 1_024;
    const keepFiles = 3;
    const w = writer(dir, maxFileBytes, keepFiles);
    const M = 2_000;
    for (let n = 1; n <= M; n++) w.write(JSON.stringify({ n, pad: "x".repeat(n % 37) }));
    await w.flush();
    await w.close();

    const files = readdirSync(dir).sort();
    expect(files).toEqual(["output.1.log", "output.2.log", "output.3.log", "output.log"]);
    for (const f of files) {
      const st = statSync(join(dir, f));
      expect(st.mode & 0o777, f).toBe(0o600);
      // A file rotates once it reached the limit: it ends at most one chunk (a quarter of the limit) and a line past it.
      expect(st.size, f).toBeLessThan(maxFileBytes + maxFileBytes / 4 + 100);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const ns = keptLines(dir, keepFiles).map((l) => (JSON.parse(l) as { n: number }).n);
    expect(ns.at(-1)).toBe(M);
    const first = ns[0]!;
    expect(ns).toEqual(Array.from({ length: M - first + 1 }, (_, i) => first + i));
  });

  test("a burst (200 lines per event-loop turn, as output is read) is written whole, in order", async () => {
    const dir = join(tmp.dir, "burst");
    const w = writer(dir, 1024 * 1024, 5);
    const M = 50_000;
    for (let n = 1; n <= M; n++) {
      w.write(`burst line ${n} ${"y".repeat(60)}`);
      if (n % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await w.close();
    const lines = keptLines(dir, 5);
    expect(lines).toHaveLength(M);
    expect(lines.every((l, i) => l.startsWith(`burst line ${i + 1} `))).toBe(true);
  });

  test("a later writer (a new host process) appends to the same files and goes on rotating", async () => {
    const dir = join(tmp.dir, "resume");
    const a = writer(dir, 512, 5);
    for (let n = 1; n <= 20; n++) a.write(`line ${n}`);
    await a.close();
    const b = writer(dir, 512, 5);
    for (let n = 21; n <= 120; n++) b.write(`line ${n}`);
    await b.close();
    const lines = keptLines(dir, 5);
    const first = Number(lines[0]!.split(" ")[1]);
    expect(lines).toEqual(Array.from({ length: 120 - first + 1 }, (_, i) => `line ${first + i}`));
    expect(readdirSync(dir).length).toBeLessThanOrEqual(6);
  });

  test("a dir it cannot create: the error is reported, nothing throws, flush and close settle", async () => {
    const file = join(tmp.dir, "not-a-dir");
    writeFileSync(file, "");
    const errors: unknown[] = [];
    const w = writer(join(file, "logs"), 512, 2, errors);
    w.write("one");
    w.write("two");
    await w.flush();
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe("ENOTDIR");
    w.write("dropped while broken");
    await w.flush();
    await w.close();
    w.write("after close");
    await w.flush();
  });
});
