// clawhost/testing on the real gateway: a 12-test file where each test needs its own
// isolated gateway and works ~1 s with it, run naive (start and stop per test) and with the
// kit's pool (spares booted ahead), side by side in one run, after one warm-up boot.
// At most 3 real gateways at once: the pool keeps 2 spares besides the one in use, and a
// gateway being stopped counts against the spares.
// Run: npm run bench:testing   (writes bench/reports/testing.md)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { GatewayHost, isClawhostError } from "clawhost";
import type { Gateway } from "clawhost";

const TESTS = Number(process.env.TESTS ?? 12);
const WORK_MS = 1_000;
const SPARES = 2;
// Below the kernel's ephemeral range (32768+), where a client socket can take a gateway's port between lease and spawn.
const PORTS = { from: 1100, to: 1999 };
// A dry run of the bench itself on the fault-injection gateway (not a measurement).
const openclaw = process.env.BENCH_OPENCLAW_BIN ? { openclaw: { bin: process.env.BENCH_OPENCLAW_BIN } } : {};

// Everything of this bench in one dir of its own (the kit's run dirs go to $TMPDIR).
const benchDir = mkdtempSync(join(tmpdir(), "clawhost-bench-testing-"));
process.env.TMPDIR = benchDir;
const { createGatewayPool } = await import("clawhost/testing");

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const p95 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]!;
};
const ms = (x: number): string => `${Math.round(x)} ms`;
const s = (x: number): string => `${(x / 1000).toFixed(1)} s`;

async function work(gw: Gateway): Promise<void> {
  await gw.call("health", {});
  await sleep(WORK_MS);
}

interface Result {
  waits: number[];
  wallMs: number;
  readyAtStart: boolean[];
}

async function naive(): Promise<Result> {
  const host = new GatewayHost({ root: join(benchDir, "naive"), ports: PORTS, leaseDir: join(benchDir, "naive-leases"), ...openclaw });
  const waits: number[] = [];
  const t0 = performance.now();
  try {
    for (let i = 1; i <= TESTS; i++) {
      const asked = performance.now();
      // As the kit does: a block taken between lease and spawn (a client's ephemeral port) is retried on another.
      const taken: string[] = [];
      let gw: Gateway;
      for (let attempt = 1; ; attempt++) {
        gw = await host.add({ name: attempt === 1 ? `t${i}` : `t${i}-${attempt}` });
        try {
          await gw.start();
          break;
        } catch (err) {
          if (!isClawhostError(err, "CLAWHOST_PORT_IN_USE") || attempt >= 3) throw err;
          taken.push(gw.name);
        }
      }
      waits.push(performance.now() - asked);
      await work(gw);
      for (const name of [...taken, gw.name]) await host.remove(name);
      console.log(`naive  test ${i}: waited ${ms(waits.at(-1)!)}`);
    }
  } finally {
    await host.dispose();
  }
  return { waits, wallMs: performance.now() - t0, readyAtStart: waits.map(() => false) };
}

async function kit(): Promise<Result> {
  const t0 = performance.now();
  const pool = createGatewayPool({ spares: SPARES, ports: PORTS, ...openclaw });
  const waits: number[] = [];
  const readyAtStart: boolean[] = [];
  try {
    for (let i = 1; i <= TESTS; i++) {
      const hitsBefore = pool.stats.hits;
      const asked = performance.now();
      const gw = await pool.acquire();
      waits.push(performance.now() - asked);
      readyAtStart.push(pool.stats.hits > hitsBefore);
      await work(gw);
      // As the vitest fixture does: the stop runs while the next test starts.
      void pool.release(gw);
      console.log(`kit    test ${i}: waited ${ms(waits.at(-1)!)}${readyAtStart.at(-1) ? " (spare ready)" : ""}`);
    }
  } finally {
    await pool.close();
  }
  return { waits, wallMs: performance.now() - t0, readyAtStart };
}

const load: string[] = [];
const sampleLoad = (when: string): void => {
  load.push(`${when}: ${loadavg().map((x) => x.toFixed(1)).join(" / ")}`);
};
let naiveResult: Result;
let kitResult: Result;
let warmupMs = 0;
try {
  // One boot first: the Node compile cache of this $TMPDIR is cold until then.
  const warm = new GatewayHost({ root: join(benchDir, "warmup"), ports: PORTS, leaseDir: join(benchDir, "warmup-leases"), ...openclaw });
  const w0 = performance.now();
  await (await warm.add({ name: "warmup" })).start();
  warmupMs = performance.now() - w0;
  await warm.dispose();
  console.log(`warm-up boot: ${ms(warmupMs)}`);
  sampleLoad("before naive");
  naiveResult = await naive();
  sampleLoad("after naive, before kit");
  kitResult = await kit();
  sampleLoad("after kit");
} finally {
  rmSync(benchDir, { recursive: true, force: true });
}

const withSpare = kitResult.waits.filter((_, i) => kitResult.readyAtStart[i]);
const withoutSpare = kitResult.waits.filter((_, i) => !kitResult.readyAtStart[i]);
const ratio = kitResult.wallMs / naiveResult.wallMs;
const rows = naiveResult.waits.map((w, i) => `| ${i + 1} | ${ms(w)} | ${ms(kitResult.waits[i]!)} | ${kitResult.readyAtStart[i] ? "yes" : "no"} |`);

const report = `# clawhost/testing: naive vs the kit's pool, real gateway

Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC by \`npm run bench:testing\` on ${cpus().length} cores,
${Math.round(totalmem() / 1024 ** 3)} GB (${Math.round(freemem() / 1024 ** 3)} GB free at the end), a shared and noisy machine; OpenClaw as pinned.
One run, both variants one after the other, after a warm-up boot (${s(warmupMs)}) that warms the Node compile cache.
Load average (1 / 5 / 15 min) ${load.join("; ")}.

A file of ${TESTS} tests, run one after another; each needs its own isolated gateway and works
${WORK_MS} ms with it (a \`health\` call, then ${WORK_MS} ms). *Wait* is from asking for the gateway to
having it ready.

- **naive**: each test adds, starts, uses and removes its own gateway (one host).
- **kit**: \`createGatewayPool({ spares: ${SPARES} })\`; each test \`acquire()\`s a gateway and
  \`release()\`s it without waiting for the stop (what the vitest fixture does). At most 3
  gateways run at once (2 spares booting or ready, 1 in use; one stopping counts as a spare).

| | naive | kit | goal |
|---|---|---|---|
| wait, median | ${ms(median(naiveResult.waits))} | ${ms(median(kitResult.waits))} | |
| wait, p95 | ${ms(p95(naiveResult.waits))} | ${ms(p95(kitResult.waits))} | |
| wait when a spare was ready (${withSpare.length} of ${TESTS} tests): median / max | - | ${withSpare.length ? `${ms(median(withSpare))} / ${ms(Math.max(...withSpare))}` : "-"} | ≤ 100 ms |
| wait when none was ready (${withoutSpare.length} tests): median | - | ${withoutSpare.length ? ms(median(withoutSpare)) : "-"} | |
| suite wall time | ${s(naiveResult.wallMs)} | ${s(kitResult.wallMs)} (${ratio.toFixed(2)} × naive) | ≤ 0.6 × naive |

Per test:

| test | naive wait | kit wait | spare ready at start |
|---|---|---|---|
${rows.join("\n")}

`;
if (!process.env.BENCH_OPENCLAW_BIN) writeFileSync(new URL("./reports/testing.md", import.meta.url), report);
console.log(report);
