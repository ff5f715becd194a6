import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { eachLine } from "../../src/process/spawn.js";

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
    eachLine(input, (l) => out.push(l));
    input.on("end", () => resolve(out));
  });

const readline = async (input: PassThrough): Promise<string[]> => {
  const out: string[] = [];
  for await (const l of createInterface({ input, crlfDelay: Infinity })) out.push(l);
  return out;
};

describe("eachLine", () => {
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
    eachLine(input, (l) => out.push(l));
    const bytes = Buffer.from("é\n");
    input.write(bytes.subarray(0, 1));
    input.write(bytes.subarray(1));
    input.end();
    await new Promise((r) => input.on("end", r));
    expect(out).toEqual(["é"]);
  });
});
