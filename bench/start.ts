// Start-time benchmark on the real gateway: a cold Node compile cache against the shared,
// warm one that every clawhost gateway links into its private TMPDIR. Alternates cold and
// warm starts in one run (this machine is shared and noisy) and reports medians.
// Run: npm run bench:start   (writes bench/reports/start.md)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { GatewayHost } from "clawhost";

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const root = mkdtempSync(join(tmpdir(), "clawhost-bench-start-"));
const host = new GatewayHost({ root, ports: { from: 25000, to: 25999 } });

function treeRssMb(pid: number): number {
  let kb = 0;
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pids[i]}/status`, "utf8"))?.[1] ?? 0);
      const kids = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, "utf8").trim();
      if (kids) pids.push(...kids.split(" ").map(Number));
    } catch {
      // Exited.
    }
  }
  return Math.round(kb / 1024);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

const cold: number[] = [];
const warm: number[] = [];
const rss: number[] = [];
try {
  const gws = [await host.add({ name: "a" }), await host.add({ name: "b" })];
  const cacheDir = gws[0]!.context.compileCacheDir;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ["cold", "warm"] as const) {
      const gw = gws[(round * 2 + (mode === "cold" ? 0 : 1)) % 2]!;
      if (mode === "cold") rmSync(join(cacheDir, "openclaw"), { recursive: true, force: true });
      await gw.start();
      const ms = gw.snapshot().readyMs!;
      (mode === "cold" ? cold : warm).push(ms);
      rss.push(treeRssMb(gw.pid!));
      console.log(`round ${round + 1} ${mode}: ${gw.name} ready in ${ms} ms`);
      await gw.stop();
    }
  }
} finally {
  await host.stopAll();
  rmSync(root, { recursive: true, force: true });
}

const report = `# Start time: shared compile cache vs cold

Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:start\` on ${cpus().length} cores,
${Math.round(totalmem() / 2 ** 30)} GiB, openclaw ${host.runtime.openclawVersion}, Node ${host.runtime.nodeVersion}.
One gateway at a time, spawn to \`hello-ok\`; cold and warm starts alternate in one run,
${ROUNDS} of each. "Cold" empties the shared compile cache first; "warm" is a start of
the *other* gateway (its own TMPDIR, HOME, state dir) right after, which finds the cache
through the link clawhost puts in its TMPDIR.

| start | median | all runs (ms) |
|---|---|---|
| cold compile cache | ${median(cold)} ms | ${cold.join(", ")} |
| warm, shared across gateways | ${median(warm)} ms | ${warm.join(", ")} |

Warm/cold ratio of medians: **${(median(warm) / median(cold)).toFixed(2)}**.
RSS of a ready gateway's process tree: median ${median(rss)} MB (${rss.join(", ")}).
`;
writeFileSync(new URL("./reports/start.md", import.meta.url), report);
console.log(report);
