// Churn: does the host keep anything per fault? One host, two fault-injection gateways,
// faults back to back with the shortest restart delays and liveness checks: kill -9 of
// g0 (ready again with a new pid), SIGSTOP of g0 (liveness reports it, the host ends the
// tree, the policy restarts it), and a burst of 40 concurrent config updates on g1 (each a
// key of its own, deleting one of the previous burst's). Every `--step` cycles, two full
// collections, then V8's spaces: compiled code and bytecode (code and trusted spaces) apart
// from the rest (the host's data). The soak (bench/soak.ts) runs the real gateway for 30
// minutes; this runs hundreds of faults in minutes, so growth per fault shows.
// Run: npm run bench:churn                       (600 cycles: writes bench/reports/churn.md)
//      npm run bench:churn -- --cycles 30 --step 10  (smoke: writes churn.smoke.md)
//      options: --cycles <n> (600) --step <n> (30) --warmup <n> (150) --out <file>
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { GatewayHost } from "clawhost";
import type { Gateway } from "clawhost";
import { heapInUse } from "./heap.ts";
import { pidsWithEnv } from "./procfs.ts";
import { slope } from "./stats.ts";

const { values: opts } = parseArgs({
  options: {
    cycles: { type: "string", default: "600" },
    step: { type: "string", default: "30" },
    warmup: { type: "string", default: "150" },
    out: { type: "string" },
  },
});
const cycles = Number(opts.cycles);
const step = Number(opts.step);
const warmup = Number(opts.warmup);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run bench:churn does)");
if (!(cycles > 0 && step > 0 && warmup >= 0 && warmup < cycles)) throw new Error("bad --cycles, --step or --warmup");
const full = cycles >= 600 && step <= 30;
const outFile = opts.out ?? new URL(`./reports/churn${full ? "" : ".smoke"}.md`, import.meta.url).pathname;
const BURST = 40;
// Clear of the tests' ranges, bench:scale's 5000-18700 and bench:soak's 3000-4999.
const PORTS = { from: 19_000, to: 19_999 };

const base = mkdtempSync(join(tmpdir(), "clawhost-bench-churn-"));
const host = new GatewayHost({
  root: join(base, "fleet"),
  leaseDir: join(base, "leases"),
  ports: PORTS,
  openclaw: { bin: new URL("../test/fixtures/fake-openclaw/openclaw.mjs", import.meta.url).pathname },
  // Rings small, so that they are full after the first cycles: their filling is no growth.
  events: { replay: 100 },
  logs: { ringSize: 100 },
  restart: { initialDelayMs: 20, factor: 1, maxDelayMs: 20, jitter: 0, maxFailures: 1_000, windowMs: 1_000 },
  liveness: { intervalMs: 200, timeoutMs: 200, failures: 2 },
});
// A consumer of every host event, as an app would have.
const counts: Record<string, number> = {};
for (const e of ["gateway:state", "gateway:ready", "gateway:exit", "gateway:log", "gateway:warning", "gateway:unhealthy", "gateway:backoff", "gateway:config"] as const) {
  host.on(e, () => void (counts[e] = (counts[e] ?? 0) + 1));
}

/** Resolves when `gw` is ready with a pid other than `pid`. */
function readyAgain(gw: Gateway, pid: number): Promise<void> {
  return new Promise((resolve) => {
    const f = (): void => {
      if (gw.pid === pid || gw.state !== "ready") return;
      gw.off("ready", f);
      resolve();
    };
    gw.on("ready", f);
  });
}

let key = 0;
let previous: string[] = [];
const kinds = ["kill -9", "SIGSTOP", "config burst"] as const;
async function cycle(i: number): Promise<void> {
  const kind = kinds[i % 3];
  if (kind === "config burst") {
    const keys = Array.from({ length: BURST }, () => `CHURN_${key++}`);
    await Promise.all(keys.map((k, j) => g1.updateConfig({ env: { vars: { [k]: `v${k}`, ...(previous[j] ? { [previous[j]!]: null } : {}) } } })));
    previous = keys;
    return;
  }
  const pid = g0.pid!;
  const again = readyAgain(g0, pid);
  process.kill(pid, kind === "kill -9" ? "SIGKILL" : "SIGSTOP");
  await again;
}

interface Point {
  cycle: number;
  s: number;
  heapMb: number;
  codeMb: number;
  dataMb: number;
}
const mb = (x: number): number => Math.round((x / 2 ** 20) * 100) / 100;
function measure(c: number, t0: number): Point {
  gc!();
  gc!();
  const { usedBytes, codeBytes } = heapInUse();
  return { cycle: c, s: Math.round((performance.now() - t0) / 100) / 10, heapMb: mb(usedBytes), codeMb: mb(codeBytes), dataMb: mb(usedBytes - codeBytes) };
}

let g0: Gateway;
let g1: Gateway;
const points: Point[] = [];
let lost: number;
let restarts: string[];
let left: number[];
try {
  g0 = await host.add({ name: "g0" });
  g1 = await host.add({ name: "g1" });
  await host.startAll();
  const t0 = performance.now();
  points.push(measure(0, t0));
  for (let i = 0; i < cycles; i++) {
    await cycle(i);
    if ((i + 1) % step === 0) {
      points.push(measure(i + 1, t0));
      console.error(`cycle ${i + 1}: heap ${points.at(-1)!.heapMb} MB (code and bytecode ${points.at(-1)!.codeMb}, data ${points.at(-1)!.dataMb})`);
    }
  }
  const onDisk = await g1.readConfig();
  const vars = ((onDisk.env as { vars?: Record<string, string> } | undefined)?.vars ?? {}) as Record<string, string>;
  lost = previous.filter((k) => vars[k] !== `v${k}`).length;
  restarts = host.snapshot().gateways.map((g) => `${g.name} ${g.restartsTotal}`);
} finally {
  // Also when a step threw: no gateway, lease or temp dir of this run is left.
  await host.stopAll().catch((err: unknown) => console.error(`stopAll: ${String(err)}`));
  await host[Symbol.asyncDispose]();
  left = pidsWithEnv(`=${base}/`);
  for (const p of left) process.kill(p, "SIGKILL");
  rmSync(base, { recursive: true, force: true });
}

const after = points.filter((p) => p.cycle >= warmup);
const per100 = (f: (p: Point) => number): string => {
  const k = slope(after.map((p) => [p.cycle, f(p)]));
  return k === undefined ? "n/a" : `${(k * 100 * 1024).toFixed(1)} KB`;
};
const first = after[0]!;
const last = points.at(-1)!;
const faultsAfter = last.cycle - first.cycle;
const cpuModel = cpus()[0]?.model ?? "unknown CPU";

const report = `# Churn: hundreds of faults, and what the host keeps
${full ? "" : `\n> **SMOKE RUN, not the report.** ${cycles} cycles; \`npm run bench:churn\` (600 cycles) writes \`bench/reports/churn.md\`.\n`}
Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:churn${full ? "" : ` -- ${process.argv.slice(2).join(" ")}`}\` on ${cpus().length} cores (${cpuModel}), ${Math.round(totalmem() / 2 ** 30)} GiB,
Linux ${release()}, Node ${process.versions.node}, ${(last.s / 60).toFixed(1)} min.

## Method

- One \`GatewayHost\` in this process (run under \`--expose-gc\`), two fault-injection gateways
  (\`test/fixtures/fake-openclaw\`), ports ${PORTS.from}-${PORTS.to}. Event journal and log rings at 100 records
  (full after the first cycles), restart delay 20 ms, liveness every 200 ms (2 misses), and a
  listener on every host event.
- Cycles in turn: *kill -9* of g0 (until \`ready\` with a new pid), *SIGSTOP* of g0 (liveness
  reports it, the host ends the tree, the policy restarts it; until \`ready\` with a new pid),
  and a *config burst* on g1: ${BURST} concurrent \`updateConfig\` merge patches, each setting a key
  never used before and deleting one of the previous burst's.
- Every ${step} cycles: two forced full collections, then V8's heap spaces. *Code and bytecode*
  is the code and trusted spaces (they grow as more of clawhost and Node gets run and
  optimised, and shrink when V8 flushes the bytecode of functions unused for a while);
  *data* is everything else: what the host keeps.
- The slope is a least-squares fit from cycle ${warmup} (warm-up: the rings fill, the code paths
  of every fault get compiled) to the end, per 100 cycles (${Math.round(100 / 3)} of each kind).

## Retained heap

| cycle | time s | heap after 2 full GCs MB | code and bytecode MB | data MB |
|---|---|---|---|---|
${points.map((p) => `| ${p.cycle}${p.cycle === first.cycle ? " (warm-up end)" : ""} | ${p.s} | ${p.heapMb.toFixed(2)} | ${p.codeMb.toFixed(2)} | ${p.dataMb.toFixed(2)} |`).join("\n")}

From cycle ${first.cycle} to ${last.cycle} (${faultsAfter} faults: ${Math.round(faultsAfter / 3)} of each kind, ${Math.round(faultsAfter / 3) * BURST} config updates):
data ${first.dataMb.toFixed(2)} → ${last.dataMb.toFixed(2)} MB (slope ${per100((p) => p.dataMb)} per 100 cycles),
code and bytecode ${first.codeMb.toFixed(2)} → ${last.codeMb.toFixed(2)} MB (${per100((p) => p.codeMb)} per 100 cycles).

## Checks

- Host events seen: ${Object.entries(counts)
  .map(([k, v]) => `\`${k.slice(8)}\` ${v}`)
  .join(", ")}.
- Restarts by the policy at the end: ${restarts.join(", ")}.
- The last burst's ${previous.length} keys on disk with their values: ${previous.length - lost} (${lost} lost).
- ${left.length === 0 ? "No process of the fleet was left after `stopAll()` and dispose." : `**${left.length} process(es) left after stopAll() and dispose (killed by the bench).**`}
`;
writeFileSync(outFile, report);
console.log(report);
console.error(`wrote ${outFile}`);
process.exit(left.length === 0 && lost === 0 ? 0 : 1);
