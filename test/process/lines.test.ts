import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { readLines } from "../../src/process/lines.js";

async function lines(chunks: string[], split: (input: PassThrough) => Promise<string[]>): Promise<string[]> {
  const input = new PassThrough();
  const done = split(input);
  for (const c of chunks) input.write(c);
  input.end();
  return done;
}

const ours = (input: PassThrough): Promise<string[]> =>
  new Promise((resolve) => {
    const out: string[] = [];
    readLines(input, (l) => out.push(l));
    input.on("end", () => setImmediate(() => resolve(out)));
  });

const readline = async (input: PassThrough): Promise<string[]> => {
  const out: string[] = [];
  for await (const l of createInterface({ input, crlfDelay: Infinity })) out.push(l);
  return out;
};

describe("readLines: line ends as readline's", () => {
  it("splits as readline does, however the output is chunked", async () => {
    const text = "boot\r\nlistening on ws://127.0.0.1:20000\n\nprogress 1\rprogress 2\r\n[gateway] ready ✓ ünïcode\nno newline at the end";
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let round = 0; round < 200; round++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; ) {
        const n = 1 + rand(12);
        chunks.push(text.slice(i, i + n));
        i += n;
      }
      expect(await lines(chunks, ours)).toEqual(await lines(chunks, readline));
    }
  });

  it("keeps a multi-byte character split across chunks whole", async () => {
    const input = new PassThrough();
    const out: string[] = [];
    readLines(input, (l) => out.push(l));
    const bytes = Buffer.from("é\n");
    input.write(bytes.subarray(0, 1));
    input.write(bytes.subarray(1));
    input.end();
    await new Promise((r) => input.on("end", r));
    expect(out).toEqual(["é"]);
  });
});

function reader(perTurn = 200) {
  const input = new PassThrough();
  const lines: string[] = [];
  readLines(input, (l) => lines.push(l), perTurn);
  return { input, lines };
}

describe("readLines", () => {
  it("splits lines across chunks, drops the \\r of CRLF, keeps multibyte characters split between chunks", async () => {
    const { input, lines } = reader();
    const euro = Buffer.from("€");
    input.write("one\r\ntw");
    input.write(Buffer.concat([Buffer.from("o "), euro.subarray(0, 1)]));
    input.write(Buffer.concat([euro.subarray(1), Buffer.from("\nthree")]));
    input.end("\n\nlast without newline");
    await once(input, "end");
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual(["one", "two €", "three", "", "last without newline"]);
  });

  it("hands a burst on in slices of `perTurn` lines, letting the event loop run between them, and loses none", async () => {
    const { input, lines } = reader(100);
    const seenAtImmediate: number[] = [];
    const n = 1_050;
    const burst = Array.from({ length: n }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
    input.write(burst);
    // Right after the write only the first slice has been handed on.
    expect(lines).toHaveLength(100);
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setImmediate(r));
      seenAtImmediate.push(lines.length);
    }
    expect(seenAtImmediate.slice(0, 3)).toEqual([200, 300, 400]);
    expect(lines).toHaveLength(n);
    expect(lines).toEqual(Array.from({ length: n }, (_, i) => `line ${i + 1}`));
  });

  it("keeps order when chunks arrive while a burst is being handed on, and flushes at the end", async () => {
    const { input, lines } = reader(10);
    input.write(Array.from({ length: 35 }, (_, i) => `a${i}`).join("\n") + "\n");
    input.write("b0\nb1\n");
    input.end("c-partial");
    await once(input, "end");
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([...Array.from({ length: 35 }, (_, i) => `a${i}`), "b0", "b1", "c-partial"]);
  });
});
