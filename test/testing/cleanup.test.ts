import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sweepStaleRuns, RUN_PREFIX } from "../../src/testing/index.js";


// Run dirs left by an owner that died before its janitor could finish.
describe("run dirs", () => {
  it("a run dir whose owner is gone is swept by the next run", () => {
    const dir = join(tmpdir(), `${RUN_PREFIX}stale-${process.pid}`);
    mkdirSync(join(dir, "leases"), { recursive: true });
    // Pid 1 never has this start time: the owner is gone.
    writeFileSync(join(dir, "owner.json"), JSON.stringify({ pid: 1, startTime: -1 }));
    const live = join(tmpdir(), `${RUN_PREFIX}live-${process.pid}`);
    mkdirSync(live);
    writeFileSync(join(live, "owner.json"), JSON.stringify({ pid: process.pid, startTime: Number(readStat()) }));
    try {
      expect(sweepStaleRuns()).toContain(dir);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(readdirSync(tmpdir())).not.toContain(`${RUN_PREFIX}stale-${process.pid}`);
    } finally {
      // rmSync via the sweep's own rule: a dead owner.
      writeFileSync(join(live, "owner.json"), "{}");
      sweepStaleRuns();
    }
  });
});

function readStat(): string {
  const raw = readFileSync(`/proc/${process.pid}/stat`, "utf8");
  return raw.slice(raw.lastIndexOf(")") + 2).split(" ")[19]!;
}
