// Event stream under bursts: one fake gateway writes 100,000 output lines at once (each a
// `log` record of host.events()), five times, 3 s apart, read by a fast consumer (no work
// per record) and a slow one (1 ms per record). Measured per run, in a fresh process: the
// host's RSS before, at peak and after each burst, the heap still reachable at the end, the
// fast consumer's lag (records emitted but not yet read), what the slow one got and
// missed, and the event-loop delay. Side by side with the obvious code
// (`host.on("gateway:log")` pushing into one array per consumer), alternating, medians.
// Run: npm run bench:events                        (3 runs each; writes bench/reports/events.md)
//      npm run bench:events -- --runs 1 --lines 20000   (smoke: writes events.smoke.md)
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    lines: { type: "string", default: "100000" },
    replay: { type: "string", default: "1000" },
    bursts: { type: "string", default: "5" },
    out: { type: "string" },
  },
});
const RUNS = Number(opts.runs);
const LINES = Number(opts.lines);
const REPLAY = Number(opts.replay);
const BURSTS = Number(opts.bursts);
const EVERY_MS = 3_000;
const full = RUNS >= 3 && LINES === 100_000 && REPLAY === 1_000 && BURSTS === 5;
const outFile = opts.out ?? new URL(`./reports/${full ? "events.md" : "events.smoke.md"}`, import.meta.url).pathname;
const bin = new URL("../test/fixtures/fake-openclaw/openclaw.mjs", import.meta.url).pathname;
const worker = new URL("./events-worker.mjs", import.meta.url).pathname;
const dist = new URL("../dist/index.js", import.meta.url).pathname;
const base = mkdtempSync(join(tmpdir(), "clawhost-bench-events-"));
// Clear of the test suite's ranges and of the scale and soak benches.
const PORTS = { from: 19_200, to: 19_439 };

type Mode = "stream" | "naive";
interface Result {
  mode: Mode;
  lines: number;
  fastGot: number;
  burstMs: number;
  lagP99: number;
  lagMax: number;
  lagMedian: number;
  slowGot: number;
  slowGaps: number;
  slowMissed: number;
  baseRssMb: number;
  peakRssMb: number;
  endRssMb: number;
  afterBurstRssMb: number[];
  retainedHeapMb: number;
  slowBacklog: number;
  eldP99: number;
  eldMax: number;
}

function runOnce(mode: Mode, i: number): Promise<Result> {
  const dir = join(base, `${mode}-${i}`);
  mkdirSync(join(dir, "leases"), { recursive: true, mode: 0o700 });
  const cfg = { mode, dist, bin, root: join(dir, "root"), leaseDir: join(dir, "leases"), ports: PORTS, lines: LINES, replay: REPLAY, bursts: BURSTS, everyMs: EVERY_MS, timeoutMs: 300_000, settleMs: 2_000 };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", worker, JSON.stringify(cfg)], { stdio: ["ignore", "pipe", "inherit"] });
    let result: Result | undefined;
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith("@bench ")) result = JSON.parse(line.slice(7)) as Result;
    });
    child.on("exit", (code) => (result ? resolve(result) : reject(new Error(`${mode} run ${i} exited ${code} without a result`))));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const results: Record<Mode, Result[]> = { stream: [], naive: [] };
try {
  for (let i = 0; i < RUNS; i++) {
    const order: Mode[] = i % 2 === 0 ? ["stream", "naive"] : ["naive", "stream"];
    for (const mode of order) {
      const r = await runOnce(mode, i);
      results[mode].push(r);
      console.error(`${mode} run ${i + 1}: ${JSON.stringify(r)}`);
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

const m = (mode: Mode, f: (r: Result) => number): number => median(results[mode].map(f));
const fmt = (x: number, d = 1): string => x.toFixed(d);
const row = (label: string, f: (r: Result) => number, d = 1, ratio = true): string => {
  const a = m("stream", f);
  const b = m("naive", f);
  return `| ${label} | ${fmt(a, d)} | ${fmt(b, d)} | ${ratio && b !== 0 ? fmt(a / b, 2) : ""} |`;
};
const every = (mode: Mode, f: (r: Result) => number, d = 1): string => results[mode].map((r) => fmt(f(r), d)).join(", ");

const afterRows = Array.from({ length: BURSTS }, (_, k) => row(`host RSS 1 s after burst ${k + 1}, MB`, (r) => r.afterBurstRssMb[k] ?? Number.NaN)).join("\n");
const report = `# Event stream under ${BURSTS} bursts of ${LINES.toLocaleString("en")} records
${full ? "" : `\n> **SMOKE RUN, not the report.** ${RUNS} run(s), ${LINES} lines, replay ${REPLAY}. \`npm run bench:events\` writes \`bench/reports/events.md\`.\n`}
Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:events\` on ${cpus().length} cores (${cpus()[0]?.model ?? "?"}),
${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.versions.node}.

## Method

- One host (fresh process, \`bench/events-worker.mjs\`), one fault-injection gateway with
  \`FAKE_GATEWAY_LOG_BURST=${LINES}\`: 0.3 s after ready it writes ${LINES.toLocaleString("en")} numbered lines to
  stdout at once, ${BURSTS} times, ${EVERY_MS / 1000} s apart (each burst written once the previous one was read);
  each line becomes a \`log\` record. Liveness off, so nothing else happens meanwhile.
- **stream**: two consumers of \`host.events({ types: ["log"] })\` (replay ring ${REPLAY.toLocaleString("en")} records, the
  default). The fast one does no work per record; the slow one awaits 1 ms per record.
- **naive** (the anchor): the code an application writes without the stream, two listeners on
  \`gateway:log\`, each pushing into its own array, drained by the same two consumers at
  the same pace. Nothing is dropped, so the slow consumer's backlog is held in memory.
- Every 20 ms: the host's RSS, and the fast consumer's lag (burst records the host has
  emitted minus those the consumer has read); the RSS again 1 s after the fast consumer
  read each burst's last line. The run ends 2 s after the last burst's last line; then
  one forced GC (the worker runs with \`--expose-gc\`; clawhost never calls it) shows the
  heap still reachable. Event-loop delay: \`monitorEventLoopDelay({ resolution: 10 })\` from
  ready to the end, minus the resolution.
- ${RUNS} run(s) per side, alternating (stream first on even runs), medians.

## Results (medians of ${RUNS})

| | stream | naive | stream / naive |
|---|---|---|---|
${row("host RSS before the burst, MB", (r) => r.baseRssMb)}
${row("host RSS peak, MB", (r) => r.peakRssMb)}
${row("host RSS growth at peak, MB", (r) => r.peakRssMb - r.baseRssMb)}
${afterRows}
${row("host RSS 2 s after the last burst, MB", (r) => r.endRssMb)}
${row("heap still reachable at the end (after a forced GC), MB", (r) => r.retainedHeapMb)}
${row("slow consumer's queue left at the end, records", (r) => r.slowBacklog, 0, false)}
${row("first to last burst line, as the fast consumer read them, ms", (r) => r.burstMs, 0)}
${row("fast consumer lag, median of samples, records", (r) => r.lagMedian, 0)}
${row("fast consumer lag p99, records", (r) => r.lagP99, 0)}
${row("fast consumer lag max, records", (r) => r.lagMax, 0)}
${row("fast consumer: burst lines read", (r) => r.fastGot, 0, false)}
${row("slow consumer: burst lines read by the end", (r) => r.slowGot, 0, false)}
${row("slow consumer: gap records", (r) => r.slowGaps, 0, false)}
${row("slow consumer: records reported missed", (r) => r.slowMissed, 0, false)}
${row("event-loop delay p99, ms", (r) => r.eldP99)}
${row("event-loop delay max, ms", (r) => r.eldMax)}

## Every run

| side | RSS growth MB | RSS after each burst MB | lag p99 | lag max | slow read | slow missed | ELD p99 ms |
|---|---|---|---|---|---|---|---|
| stream | ${every("stream", (r) => r.peakRssMb - r.baseRssMb)} | ${results.stream.map((r) => r.afterBurstRssMb.map((x) => x.toFixed(0)).join("/")).join(", ")} | ${every("stream", (r) => r.lagP99, 0)} | ${every("stream", (r) => r.lagMax, 0)} | ${every("stream", (r) => r.slowGot, 0)} | ${every("stream", (r) => r.slowMissed, 0)} | ${every("stream", (r) => r.eldP99)} |
| naive | ${every("naive", (r) => r.peakRssMb - r.baseRssMb)} | ${results.naive.map((r) => r.afterBurstRssMb.map((x) => x.toFixed(0)).join("/")).join(", ")} | ${every("naive", (r) => r.lagP99, 0)} | ${every("naive", (r) => r.lagMax, 0)} | ${every("naive", (r) => r.slowGot, 0)} | ${every("naive", (r) => r.slowMissed, 0)} | ${every("naive", (r) => r.eldP99)} |
`;
writeFileSync(outFile, report);
console.log(report);
