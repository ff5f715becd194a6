import { PassThrough } from "node:stream";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { readLines } from "../../src/process/lines.js";

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
