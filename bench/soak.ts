// Soak: one host process (a child of this one) supervising two gateways for 30 minutes
// while faults land on a seeded PRNG every 45-90 s: kill -9 of a gateway, SIGSTOP of a
// gateway (liveness must catch it), and bursts of concurrent config updates (none may be
// lost). Recovery times, and every 10 s the host's RSS, heap, listeners, handles, fds,
// threads and whether the config validator process is alive. At the end: stop, dispose,
// nothing left. Writes bench/reports/soak.md (real openclaw, >= 30 min) or soak.smoke.md.
// Run: npm run bench:soak                                  (real openclaw, 30 min)
//      npm run bench:soak -- --fake --minutes 2            (smoke: the fake gateway)
//      npm run bench:soak -- --gc                          (a full GC after each sample: bench/reports/soak.gc.md)
//      npm run bench:soak -- --gc --replay 100 --ring-size 100 (rings full early: their filling is out of the figures)
//      options: --minutes <m> (30) --fake --gc --replay <n> --ring-size <n> --seed <n> --gap <min-max s> (45-90) --sample <s> (10)
//               --burst <n> (40) --deadline <s> (180) --liveness-ms <interval> --out <file> --data <json>
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { childrenOf, cmdlineOf, isAlive, pidsWithEnv, sleep, statusKb } from "./procfs.ts";
import { renderSoakReport } from "./soak-report.ts";
import type { FaultRecord, SoakMessage, SoakRun, SoakSample, SoakStarted, SoakWorkerConfig, SoakWorkerResult } from "./soak-report.ts";

const { values: opts } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    fake: { type: "boolean", default: false },
    gc: { type: "boolean", default: false },
    replay: { type: "string" },
    "ring-size": { type: "string" },
    seed: { type: "string" },
    gap: { type: "string", default: "45-90" },
    sample: { type: "string", default: "10" },
    burst: { type: "string", default: "40" },
    deadline: { type: "string", default: "180" },
    "liveness-ms": { type: "string" },
    out: { type: "string" },
    data: { type: "string" },
  },
});
const minutes = Number(opts.minutes);
const gapS = opts.gap.split("-").map(Number) as [number, number];
if (!(minutes > 0) || gapS.length !== 2 || !gapS.every((g) => g > 0) || gapS[0] > gapS[1]) throw new Error(`bad --minutes ${opts.minutes} or --gap ${opts.gap}`);
const seed = opts.seed === undefined ? (Date.now() ^ (process.pid << 16)) >>> 0 : Number(opts.seed) >>> 0;
// Below the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range starts at 32768 here),
// clear of the tests' 6200-16999 and 20000-32767 and of bench:scale's 5000-18700: the host's private
// leaseDir cannot see other hosts' leases, so the range must be one nobody else uses.
const PORTS = { from: 3_000, to: 4_999 };
const smoke = opts.fake || minutes < 30;
const outFile = opts.out ?? new URL(`./reports/soak${opts.gc ? ".gc" : ""}${smoke ? ".smoke" : ""}.md`, import.meta.url).pathname;
const workerPath = new URL("./soak-worker.ts", import.meta.url).pathname;
const fakeBin = new URL("../test/fixtures/fake-openclaw/openclaw.mjs", import.meta.url).pathname;

const base = mkdtempSync(join(tmpdir(), "clawhost-bench-soak-"));
const workerCfg: SoakWorkerConfig = {
  root: join(base, "fleet"),
  leaseDir: join(base, "leases"),
  ports: PORTS,
  ...(opts.fake ? { bin: fakeBin } : {}),
  restart: { maxFailures: 1_000 },
  liveness: opts["liveness-ms"] === undefined ? {} : { intervalMs: Number(opts["liveness-ms"]) },
  seed,
  durationMs: minutes * 60_000,
  sampleMs: Number(opts.sample) * 1000,
  gapS,
  burst: Number(opts.burst),
  recoveryDeadlineMs: Number(opts.deadline) * 1000,
  ...(opts.gc ? { forcedGc: true } : {}),
  ...(opts.replay !== undefined ? { replay: Number(opts.replay) } : {}),
  ...(opts["ring-size"] !== undefined ? { ringSize: Number(opts["ring-size"]) } : {}),
};
mkdirSync(workerCfg.root, { recursive: true, mode: 0o700 });
mkdirSync(workerCfg.leaseDir, { recursive: true, mode: 0o700 });
const marker = `=${workerCfg.root}/`;

console.error(
  `soak: ${minutes} min, ${opts.fake ? "fake gateway" : "real openclaw"}, seed ${seed}, faults every ${gapS[0]}-${gapS[1]} s, samples every ${opts.sample} s, ports ${PORTS.from}-${PORTS.to}, temp ${base}`,
);
const loadStart = loadavg();
const t0 = performance.now();
const clock = (): string => {
  const s = (performance.now() - t0) / 1000;
  return `${String(Math.floor(s / 60)).padStart(2)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
};

const child = spawn(process.execPath, [...(opts.gc ? ["--expose-gc"] : []), workerPath, JSON.stringify(workerCfg)], { stdio: ["ignore", "pipe", "inherit"] });
const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
let interrupted = false;
const interrupt = (): void => {
  if (interrupted) return;
  interrupted = true;
  console.error("soak: interrupted; stopping the host process");
  // The host process stops its gateways on SIGTERM; the watchdog covers a SIGKILL.
  child.kill("SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), 20_000).unref();
};
process.on("SIGINT", interrupt);
process.on("SIGTERM", interrupt);

let started: SoakStarted | undefined;
const samples: SoakSample[] = [];
const faults: FaultRecord[] = [];
let result: SoakWorkerResult | undefined;
let error: string | undefined;
/** The host's helper processes (pid, command line). */
const helpers = new Map<number, string>();
let lastPrint = -60;

/** The host process's helpers (its watchdog): children that are not gateways. */
function findHelpers(pid: number): number[] {
  const fleet = new Set(pidsWithEnv(marker));
  return childrenOf(pid).filter((p) => !fleet.has(p) && cmdlineOf(p).includes("watchdog"));
}

for await (const line of createInterface({ input: child.stdout })) {
  if (!line.startsWith("@soak ")) {
    process.stderr.write(`  [host] ${line}\n`);
    continue;
  }
  const msg = JSON.parse(line.slice(6)) as SoakMessage;
  if (msg.type === "started") {
    started = msg;
    for (const h of findHelpers(msg.pid)) helpers.set(h, cmdlineOf(h).slice(0, 60));
    console.error(
      `[${clock()}] both ready in ${msg.startAllS.toFixed(1)} s (openclaw ${msg.openclawVersion}, Node ${msg.gatewayNode}); host RSS ${msg.rssAfterReadyMb} MB; liveness ${JSON.stringify(msg.liveness)}`,
    );
  } else if (msg.type === "sample") {
    const s = msg.sample;
    if (started && helpers.size === 0) for (const h of findHelpers(started.pid)) helpers.set(h, cmdlineOf(h).slice(0, 60));
    const live = [...helpers.keys()].filter(isAlive);
    if (live.length) s.watchdogRssMb = Math.round(live.reduce((a, p) => a + (statusKb(p, "VmRSS") ?? 0), 0) / 102.4) / 10;
    samples.push(s);
    if (s.atS - lastPrint >= 60) {
      lastPrint = s.atS;
      console.error(
        `[${clock()}] RSS ${s.rssMb} MB, heap ${s.heapUsedMb}/${s.heapTotalMb} MB, listeners ${s.hostListeners}/${s.gatewayListeners}, handles ${s.handles}, fds ${s.fds}, threads ${s.threads}, validator ${s.validatorAlive ? "alive" : "no"}, gateways ${s.gateways.map((g) => `${g.state} ${g.rssMb ?? "-"} MB`).join(" / ")}`,
      );
    }
  } else if (msg.type === "fault") {
    const f = msg.fault;
    faults.push(f);
    console.error(`[${clock()}] fault ${f.n} ${f.kind} on ${f.gateway}: ${f.skipped ? "skipped" : f.recoveryS === undefined ? "MISSED" : `ready again in ${f.recoveryS.toFixed(1)} s`} (${f.detail})`);
  } else if (msg.type === "result") result = msg.result;
  else if (msg.type === "error") error = msg.message;
}
const code = await exited;
if (!result && !error) error = `the host process exited with ${code}${interrupted ? " (interrupted)" : ""}`;
if (error) console.error(`soak: ${error}`);

// The host process has exited: its watchdog must follow, and no gateway may be left.
const deadline = performance.now() + 5_000;
while (performance.now() < deadline && ([...helpers.keys()].some(isAlive) || pidsWithEnv(marker).length > 0)) await sleep(100);
const leftAfterExit = [...[...helpers.keys()].filter(isAlive), ...pidsWithEnv(marker)].map((p) => `${p} ${cmdlineOf(p).slice(0, 100)}`);
for (const entry of leftAfterExit) {
  try {
    process.kill(Number(entry.split(" ")[0]), "SIGKILL");
  } catch {
    // Gone meanwhile.
  }
}
rmSync(base, { recursive: true, force: true });

const { root: _root, leaseDir: _leaseDir, bin: _bin, ...shownCfg } = workerCfg;
const run: SoakRun = {
  command: `npm run bench:soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  date: new Date().toISOString().slice(0, 10),
  smoke,
  fake: opts.fake,
  machine: {
    cores: cpus().length,
    cpuModel: /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU",
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    benchNode: process.versions.node,
    loadStart,
    loadEnd: loadavg(),
  },
  config: shownCfg,
  wallS: (performance.now() - t0) / 1000,
  started,
  samples,
  faults,
  result,
  error,
  helpers: [...new Set(helpers.values())],
  leftAfterExit,
  tempRemoved: true,
};
if (opts.data) writeFileSync(opts.data, `${JSON.stringify(run)}\n`);
const report = renderSoakReport(run);
// A failed or interrupted run never replaces a report: it goes to the temp dir unless --out says where.
const target = error && !opts.out ? join(tmpdir(), `clawhost-soak-${seed}.md`) : outFile;
writeFileSync(target, report);
console.log(report);
console.error(`wrote ${target}${opts.data ? ` and ${opts.data}` : ""}`);
process.exit(error || leftAfterExit.length > 0 || (result?.leftovers.length ?? 0) > 0 ? 1 : 0);
