import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { followFile, resumeOffset } from "../../src/process/follow.js";
import { makeTmp } from "../helpers.js";

const tmp = makeTmp("follow");
afterAll(() => tmp.cleanup());

const EURO = Buffer.from("€"); // 3 bytes: e2 82 ac

describe("following an output file", () => {
  it("a character split by the 64 KiB read slices arrives whole", () => {
    const path = join(tmp.dir, "slices.out");
    // The euro sign's bytes are 65535..65537: the first read ends after its first byte.
    const long = `${"a".repeat(64 * 1024 - 1)}€x`;
    writeFileSync(path, `${long}\nsecond\n`);
    const lines: string[] = [];
    const stop = followFile(path, 0, (l) => lines.push(l));
    stop();
    expect(lines).toEqual([long, "second"]);
    expect(resumeOffset(path)).toBe(Buffer.byteLength(`${long}\nsecond\n`));
  });

  it("a character written in two parts: nothing half-decoded, and the handoff offset counts bytes", async () => {
    const path = join(tmp.dir, "parts.out");
    writeFileSync(path, Buffer.concat([Buffer.from("one\ntw"), EURO.subarray(0, 2)]));
    const lines: string[] = [];
    let next: (() => void) | undefined;
    const stop = followFile(path, 0, (l) => {
      lines.push(l);
      next?.();
    });
    // The first read (inside followFile) ended within the character.
    expect(lines).toEqual(["one"]);
    const second = new Promise<void>((resolve) => (next = resolve));
    appendFileSync(path, Buffer.concat([EURO.subarray(2), Buffer.from("o\n")]));
    await second;
    stop();
    expect(lines).toEqual(["one", "tw€o"]);
    expect(resumeOffset(path)).toBe(Buffer.byteLength("one\ntw€o\n"));
  });

  it("stopped inside a character: the next host goes on from the last whole line", () => {
    const path = join(tmp.dir, "stopped.out");
    writeFileSync(path, Buffer.concat([Buffer.from("one\ntw"), EURO.subarray(0, 2)]));
    const stop = followFile(path, 0, () => undefined);
    stop();
    expect(resumeOffset(path)).toBe(4);
    appendFileSync(path, Buffer.concat([EURO.subarray(2), Buffer.from("\n")]));
    const lines: string[] = [];
    followFile(path, resumeOffset(path), (l) => lines.push(l))();
    expect(lines).toEqual(["tw€"]);
  });
});
