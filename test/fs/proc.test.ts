import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseStat } from "../../src/fs/proc.js";

/** The reference: split the fields after the last ')'. */
function bySplit(pid: number, raw: string) {
  const close = raw.lastIndexOf(")");
  const f = raw.slice(close + 2).split(" ");
  return {
    pid,
    comm: raw.slice(raw.indexOf("(") + 1, close),
    state: f[0] ?? "?",
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    startTime: Number(f[19]),
    utime: Number(f[11]),
    stime: Number(f[12]),
    rssPages: Number(f[21]),
  };
}

describe("parseStat", () => {
  it("reads a command name with spaces and parentheses", () => {
    const raw = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 123456 10000000 2500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    expect(parseStat(4242, raw)).toEqual({ pid: 4242, comm: "a) b (c)", state: "S", ppid: 1, pgid: 4242, sid: 4242, utime: 7, stime: 3, startTime: 123456, rssPages: 2500 });
  });

  it("agrees with splitting the fields, for every process of this machine", () => {
    let seen = 0;
    for (const entry of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      let raw: string;
      try {
        raw = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue;
      }
      expect(parseStat(Number(entry), raw)).toEqual(bySplit(Number(entry), raw));
      seen++;
    }
    expect(seen).toBeGreaterThan(0);
  });
});
