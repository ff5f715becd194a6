import { isAbsolute, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { isInside } from "../../src/fs/safety.js";

/** The definition: `child` resolves to `parent` or to a path below it. */
function byRelative(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel));
}

describe("isInside", () => {
  it.each([
    ["/a", "/a", true],
    ["/a", "/a/b", true],
    ["/a", "/ab", false],
    ["/a/b", "/a", false],
    ["/", "/x", true],
    ["/a/", "/a/b", true],
    ["/a", "/a/b/", true],
    ["/a//b", "/a/b/c", true],
    ["/a/./b", "/a/b", true],
    ["/a/x/../b", "/a/b/c", true],
    ["/a/b", "/a/b/../c", false],
    ["/a", "/a/..b", true],
    ["a", `${process.cwd()}/a/b`, true],
  ])("%s contains %s: %s", (parent, child, inside) => {
    expect(isInside(parent, child)).toBe(inside);
    expect(byRelative(parent, child)).toBe(inside);
  });

  it("agrees with path.relative on generated paths", () => {
    const segs = ["a", "b", "ab", ".", "..", "", "a.", ".x", "...", "..b"];
    let seed = 1;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const path = (): string => `${rand(5) === 0 ? "" : "/"}${Array.from({ length: rand(5) }, () => segs[rand(segs.length)]).join("/")}${rand(5) === 0 ? "/" : ""}` || "/";
    for (let i = 0; i < 20_000; i++) {
      const [p, c] = [path(), path()];
      expect(isInside(p, c), `${p} / ${c}`).toBe(byRelative(p, c));
    }
  });
});
