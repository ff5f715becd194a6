import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAtomicTemp, writeFileAtomic } from "../../src/fs/atomic.js";
import { makeTmp } from "../helpers.js";

const tmp = makeTmp("atomic");
afterAll(() => tmp.cleanup());

describe("the atomic writer", () => {
  it("replaces a file whole, with its mode, and leaves no temp file", async () => {
    const dir = join(tmp.dir, "replace");
    mkdirSync(dir);
    const path = join(dir, "data.json");
    writeFileSync(path, "old", { mode: 0o644 });
    // Multi-byte text over 1 MiB: every byte written, none split.
    const text = `${"€ä\n".repeat(200_000)}end`;
    await writeFileAtomic(path, text);
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await writeFileAtomic(path, "x", 0o640);
    expect(readFileSync(path, "utf8")).toBe("x");
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(["data.json"]);
  });

  it("concurrent writers: the file holds one of them whole, and no temp file is left", async () => {
    const dir = join(tmp.dir, "race");
    mkdirSync(dir);
    const path = join(dir, "data.json");
    const bodies = Array.from({ length: 20 }, (_, i) => JSON.stringify({ writer: i, fill: String(i).repeat(10_000) }));
    await Promise.all(bodies.map((b) => writeFileAtomic(path, b)));
    expect(bodies).toContain(readFileSync(path, "utf8"));
    expect(readdirSync(dir)).toEqual(["data.json"]);
  });

  it("a missing directory rejects with the errno and makes nothing", async () => {
    const err = (await writeFileAtomic(join(tmp.dir, "missing", "data.json"), "x").catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err.code).toBe("ENOENT");
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith("missing"))).toEqual([]);
  });

  it("names its temp files so a later cleanup can find them", () => {
    expect(isAtomicTemp("/r/g/gateway.run.json", ".gateway.run.json.123.abcd0123.tmp")).toBe(true);
    expect(isAtomicTemp("/r/g/gateway.run.json", "gateway.run.json")).toBe(false);
  });
});
