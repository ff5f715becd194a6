import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeRenderedFiles } from "clawhost";
import type { ClawhostError } from "clawhost";
import { makeTmp } from "../helpers.js";

const tmp = makeTmp("render-write");
afterAll(() => tmp.cleanup());
const modeOf = (p: string): number => statSync(p).mode & 0o777;

describe("writeRenderedFiles", () => {
  it("writes each file with its mode (0644 by default) in 0700 dirs, through the atomic writer (no temp file left)", async () => {
    const out = join(tmp.dir, "out");
    const written = await writeRenderedFiles(out, [
      { path: "a.service", content: "[Unit]\n" },
      { path: "secrets/a.token", content: "t0k3n\n", mode: 0o600 },
      { path: "install.sh", content: "#!/bin/sh\n", mode: 0o755 },
    ]);
    expect(written).toEqual([
      { path: "a.service", mode: "0644", bytes: 7 },
      { path: "secrets/a.token", mode: "0600", bytes: 6 },
      { path: "install.sh", mode: "0755", bytes: 10 },
    ]);
    expect([modeOf(out), modeOf(join(out, "secrets"))]).toEqual([0o700, 0o700]);
    expect([modeOf(join(out, "a.service")), modeOf(join(out, "secrets/a.token")), modeOf(join(out, "install.sh"))]).toEqual([0o644, 0o600, 0o755]);
    expect(readFileSync(join(out, "secrets/a.token"), "utf8")).toBe("t0k3n\n");
    expect(readdirSync(out).sort()).toEqual(["a.service", "install.sh", "secrets"]);
    // Written again: replaced in place, same modes.
    await writeRenderedFiles(out, [{ path: "a.service", content: "[Unit]\nDescription=x\n" }]);
    expect(readFileSync(join(out, "a.service"), "utf8")).toContain("Description=x");
    expect(modeOf(join(out, "a.service"))).toBe(0o644);
  });

  it("refuses a path outside the output dir before writing anything", async () => {
    const out = join(tmp.dir, "refused");
    const err = (await writeRenderedFiles(out, [
      { path: "ok.txt", content: "x" },
      { path: "../escape.txt", content: "x" },
    ]).catch((e: unknown) => e)) as ClawhostError;
    expect([err.code, err.value]).toEqual(["CLAWHOST_INVALID_ARGUMENT", "../escape.txt"]);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(tmp.dir, "escape.txt"))).toBe(false);
  });
});
