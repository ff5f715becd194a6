import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { sweepStaleRuns, RUN_PREFIX } from "../../src/testing/index.js";
import { FAKE_OPENCLAW as bin, processesUnder, waitUntil } from "../helpers.js";

// What a pool leaves when its process dies: nothing, 5 s later (the bound), by the janitor.
// The owner runs the built package (`npm test` builds first); ports 47480-47719.
const OWNER = `
  const { createGatewayPool } = await import("clawhost/testing");
  const pool = createGatewayPool({ openclaw: { bin: ${JSON.stringify(bin)} }, spares: 1, ports: { from: 47480, to: 47719 } });
  const a = await pool.acquire();
  const b = await pool.acquire();
  console.log(JSON.stringify({ root: pool.root, pids: [a.pid, b.pid] }));
  setInterval(() => {}, 1000);
`;

describe("a pool's owner killed by SIGKILL", () => {
  it("leaves no gateway process and no run dir 5 s later", { timeout: 60_000 }, async () => {
    const owner = spawn(process.execPath, ["--input-type=module", "-e", OWNER], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: owner.stdout! }).once("line", resolve);
      owner.once("exit", (code) => reject(new Error(`owner exited (${code}) before its gateways were ready`)));
    });
    const { root, pids } = JSON.parse(line) as { root: string; pids: number[] };
    const runDir = root.slice(0, root.lastIndexOf("/"));
    expect(processesUnder([runDir]).map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
    const exited = new Promise((r) => owner.once("exit", r));
    owner.kill("SIGKILL");
    await exited;
    await waitUntil(() => !existsSync(runDir) && processesUnder([runDir]).length === 0, "no run dir and no process in it", 5_000);
  });

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
