// Scale: one GatewayHost supervising N fake gateways, against PM2 supervising the same N
// fakes (same argv, same env), for N in 10, 50, 100. Each side runs in a fresh process;
// the two alternate (clawhost first on even runs, PM2 first on odd ones). Measured: time
// until every gateway is ready, the supervisor's CPU and RSS over an idle window, the
// host's event-loop delay (over a second idle window, and the whole run), and the stop; at
// the largest N, the supervisor's RSS for a while longer, until V8 has given back what the start took.
// Medians over the runs.
// Run: npm run bench:scale                                   (writes bench/reports/scale.md)
//      npm run bench:scale -- 10 --idle 5 --runs 1            (smoke: writes scale.smoke.md)
//      options: [N ...] --idle <s> (20) --settle <s> (200, largest N only) --runs <r> (3) --only clawhost|pm2 --profile --out <file>
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { CLK_TCK, childrenOf, cmdlineOf, cpuTicks, isAlive, median, pidsWithEnv, sleep, statFields, statusKb, sumTicks } from "./procfs.ts";

const DEFAULT_SIZES = [10, 50, 100];
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    idle: { type: "string", default: "20" },
    settle: { type: "string", default: "200" },
    runs: { type: "string", default: "3" },
    only: { type: "string" },
    profile: { type: "boolean", default: false },
    out: { type: "string" },
  },
});
const sizes = positionals.length > 0 ? positionals.map(Number) : DEFAULT_SIZES;
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad sizes: ${positionals.join(" ")}`);
const idleMs = Number(opts.idle) * 1000;
const settleMs = Number(opts.settle) * 1000;
const runs = Number(opts.runs);
const modes = (opts.only ? [opts.only] : ["clawhost", "pm2"]) as Array<"clawhost" | "pm2">;
const RESOLUTION_MS = 10;
// Below OpenClaw's 18789 block and the kernel's ephemeral range. The host has a private
// leaseDir, so it cannot see other leases: the test suite (whose files use 6200-16999 and
// 20000-32767) must not run beside this bench; the other benches keep clear of this range.
const PORT_RANGE = { from: 5_000, to: 18_700 };
const full = sizes.join() === DEFAULT_SIZES.join() && idleMs >= 20_000 && settleMs >= 200_000 && !opts.profile && !opts.only;
const outFile = opts.out ?? new URL(`./reports/${full ? "scale.md" : "scale.smoke.md"}`, import.meta.url).pathname;

const bin = new URL("../test/fixtures/fake-openclaw/openclaw.mjs", import.meta.url).pathname;
const workerPath = new URL("./scale-worker.mjs", import.meta.url).pathname;
const base = mkdtempSync(join(tmpdir(), "clawhost-bench-scale-"));
const pm2Version = (JSON.parse(readFileSync(new URL("../node_modules/pm2/package.json", import.meta.url), "utf8")) as { version: string }).version;

interface WorkerConfig {
  mode: "clawhost" | "pm2" | "floor";
  n: number;
  idleMs: number;
  /** After the idle window: idle on this long (largest N only; 0 elsewhere) while the parent samples RSS. */
  settleMs: number;
  /** Delay monitor resolution, ms. */
  resolutionMs: number;
  /** Every gateway's files live below it; the children's env carries it (leftover check). */
  fleetRoot: string;
  leaseDir: string;
  /** The fake gateway's openclaw.mjs. */
  bin: string;
  /** Node that runs the fakes under PM2. */
  node: string;
  /** Port range for both sides (clawhost's `ports` option; PM2's bases on the same grid). */
  ports: { from: number; to: number };
  /** Profile the idle window (CPU profile of the measured process; figures then include the profiler). */
  profile: boolean;
}

/** What one worker reports; the fields a mode does not measure are absent. */
interface WorkerResult {
  mode: WorkerConfig["mode"];
  n: number;
  pid: number;
  /** clawhost: N awaited host.add() calls. pm2: pm2.connect() (daemon start). */
  setupMs?: number;
  /** clawhost: startAll() until it resolves. pm2: pm2.start() until every port answers GET /healthz 200. */
  readyMs?: number;
  /** pm2: until every port answers GET /readyz 200 (the fake's equivalent of hello-ok). */
  readyzMs?: number;
  /** pm2: until pm2.start()'s callback (every app spawned and "online"). */
  spawnedMs?: number;
  idleWallMs?: number;
  /** Own CPU over the idle window, % of one core (utime+stime of /proc/self/stat). */
  idleCpuPct?: number;
  /** VmRSS at the end of the idle window, MB. */
  rssMb?: number;
  /** VmHWM (peak RSS) at the end of the idle window, MB. */
  hwmMb?: number;
  /** RssFile and RssAnon at the end of the idle window, MB. */
  rssFileMb?: number;
  rssAnonMb?: number;
  /** V8's heap spaces at the end of the idle window (committed and used), MB. */
  heapSpaces?: Record<string, { sizeMb: number; usedMb: number }>;
  /** clawhost: the same at the end of the settle. */
  settledHeapSpaces?: Record<string, { sizeMb: number; usedMb: number }>;
  /** Event-loop delay beyond the monitor's own interval, ms. */
  eldIdle?: { p99: number; max: number; count: number };
  eldWhole?: { p99: number; max: number; count: number };
  /** clawhost: stopAll() until it resolves. pm2: pm2.delete("all") until its callback. */
  stopMs?: number;
  /** From the stop call until no process carrying the fleet's env is left. */
  goneMs?: number;
  /** pm2: killDaemon until the daemon pid is gone. */
  daemonKillMs?: number;
  daemonPid?: number;
  /** Runtime that ran the gateways. */
  gatewayNode?: string;
  /** Gateway exits, unhealthy reports (clawhost) or restarts (pm2) while measured: should be 0. */
  incidents?: number;
  /** Pids still carrying the fleet's env at the end (should be empty). */
  leftovers: number[];
  profileTop?: Array<{ fn: string; ms: number; pct: number }>;
}

/** What the parent adds from outside: the supervisor's helpers, PM2's daemon, the fleet. */
interface Outside {
  /** CPU of the supervisor pid over the idle window as seen from here (% of a core). */
  supCpuPct: number;
  supRssMb: number;
  /** Helper processes of the supervisor (clawhost's watchdog): not gateways. */
  helpers: string[];
  helperCpuPct: number;
  helperRssMb: number;
  /** Every fake gateway process (and its broker child) over the idle window. */
  fleetProcs: number;
  fleetCpuPct: number;
  fleetRssMb: number;
  /** Processes of this run found after the worker exited (and then killed). */
  leftAfterExit: string[];
  /** The supervisor's memory every 10 s of the settle (seconds after the idle window), from /proc/<pid>/status. */
  settle: Array<{ atS: number; rssMb: number; anonMb: number; fileMb: number }>;
}
type Sample = WorkerResult & Outside;

const live = new Set<{ kill: (s: NodeJS.Signals) => void }>();
/** Kill whatever of this run's dir is still alive (only our own processes carry it). */
function killLeftovers(dir: string): string[] {
  const found = [...new Set([...pidsWithEnv(`=${join(dir, "fleet")}/`), ...pidsWithEnv(`PM2_HOME=${join(dir, "pm2home")}`)])];
  const described = found.map((p) => `${p} ${cmdlineOf(p).slice(0, 100)}`);
  for (const p of found) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // Gone.
    }
  }
  return described;
}

const SETTLE_SAMPLE_MS = 10_000;

async function runWorker(mode: WorkerConfig["mode"], n: number, tag: string): Promise<Sample> {
  const dir = join(base, `${mode}-${n}-${tag}`);
  mkdirSync(dir, { recursive: true });
  const cfg: WorkerConfig = {
    mode,
    n,
    idleMs,
    settleMs: mode !== "floor" && n === Math.max(...sizes) ? settleMs : 0,
    resolutionMs: RESOLUTION_MS,
    fleetRoot: join(dir, "fleet"),
    leaseDir: join(dir, "leases"),
    bin,
    node: process.execPath,
    ports: PORT_RANGE,
    profile: opts.profile && mode !== "pm2",
  };
  const marker = `=${cfg.fleetRoot}/`;
  const child = spawn(process.execPath, [workerPath, JSON.stringify(cfg)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: mode === "pm2" ? { ...process.env, PM2_HOME: join(dir, "pm2home") } : process.env,
  });
  live.add(child);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let supervisorPid = 0;
  let helpers: number[] = [];
  let fleet: number[] = [];
  let s0 = { sup: 0, helpers: 0, fleet: 0, t: 0 };
  const outside: Partial<Outside> = {};
  const settle: Outside["settle"] = [];
  let settleTimer: NodeJS.Timeout | undefined;
  let settle0 = 0;
  const memSample = (): void => {
    const kb = (field: "VmRSS" | "RssAnon" | "RssFile"): number => (statusKb(supervisorPid, field) ?? Number.NaN) / 1024;
    settle.push({ atS: Math.round((performance.now() - settle0) / 1000), rssMb: kb("VmRSS"), anonMb: kb("RssAnon"), fileMb: kb("RssFile") });
  };
  let result: WorkerResult | undefined;
  let error: string | undefined;
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (!line.startsWith("@bench ")) {
        process.stderr.write(`  [${mode}] ${line}\n`);
        continue;
      }
      const msg = JSON.parse(line.slice(7)) as { type: string; supervisorPid?: number; result?: WorkerResult; message?: string };
      if (msg.type === "idle-start") {
        supervisorPid = msg.supervisorPid!;
        fleet = pidsWithEnv(marker);
        helpers = childrenOf(supervisorPid).filter((p) => !fleet.includes(p));
        s0 = { sup: cpuTicks(supervisorPid) ?? 0, helpers: sumTicks(helpers), fleet: sumTicks(fleet), t: performance.now() };
      } else if (msg.type === "idle-end") {
        const sec = (performance.now() - s0.t) / 1000;
        const pct = (ticks: number): number => (ticks / CLK_TCK / sec) * 100;
        Object.assign(outside, {
          supCpuPct: pct((cpuTicks(supervisorPid) ?? 0) - s0.sup),
          supRssMb: (statusKb(supervisorPid, "VmRSS") ?? 0) / 1024,
          helpers: helpers.map((p) => `${p} ${cmdlineOf(p).slice(0, 60)}`),
          helperCpuPct: pct(sumTicks(helpers) - s0.helpers),
          helperRssMb: helpers.reduce((a, p) => a + (statusKb(p, "VmRSS") ?? 0), 0) / 1024,
          fleetProcs: fleet.length,
          fleetCpuPct: pct(sumTicks(fleet) - s0.fleet),
          fleetRssMb: fleet.reduce((a, p) => a + (statusKb(p, "VmRSS") ?? 0), 0) / 1024,
        });
      } else if (msg.type === "settle-start") {
        settle0 = performance.now();
        memSample();
        settleTimer = setInterval(memSample, SETTLE_SAMPLE_MS);
      } else if (msg.type === "settle-end") {
        clearInterval(settleTimer);
        memSample();
      } else if (msg.type === "result") result = msg.result;
      else if (msg.type === "error") error = msg.message;
    }
    await exited;
  } finally {
    clearInterval(settleTimer);
    live.delete(child);
  }
  // The worker has exited: its helpers (clawhost's watchdog) must follow within a few seconds.
  const deadline = performance.now() + 5_000;
  while (performance.now() < deadline && (helpers.some(isAlive) || pidsWithEnv(marker).length > 0)) await sleep(50);
  const leftAfterExit = [...helpers.filter(isAlive).map((p) => `${p} ${cmdlineOf(p).slice(0, 100)}`), ...killLeftovers(dir)];
  for (const p of helpers.filter(isAlive)) process.kill(p, "SIGKILL");
  if (!result) throw new Error(`${mode} N=${n} failed: ${error ?? `worker exited with ${child.exitCode}`}`);
  rmSync(dir, { recursive: true, force: true });
  return { ...result, ...(outside as Outside), settle, leftAfterExit };
}

/**
 * How long an orphaned process stays a zombie here before PID 1 reaps it. Each fake's
 * broker becomes one when the fake exits first, and PM2's stop counts a zombie as alive.
 */
async function orphanReapMs(): Promise<number | undefined> {
  const src = `const c = require("child_process").spawn("sleep", ["0.1"], { detached: true, stdio: "ignore" }); console.log(c.pid); c.unref();`;
  const pid = Number(execFileSync(process.execPath, ["-e", src], { encoding: "utf8" }).trim());
  const t0 = performance.now();
  let zombieAt: number | undefined;
  while (performance.now() - t0 < 10_000) {
    const state = statFields(pid)?.[0];
    if (state === undefined) return zombieAt === undefined ? 0 : performance.now() - zombieAt;
    if (state === "Z") zombieAt ??= performance.now();
    await sleep(5);
  }
  return undefined;
}

const cleanupAndExit = (): void => {
  for (const c of live) c.kill("SIGKILL");
  // Everything this bench started carries its temp dir in its env (PM2's daemon: PM2_HOME).
  for (const p of pidsWithEnv(`=${base}/`)) process.kill(p, "SIGKILL");
  rmSync(base, { recursive: true, force: true });
  process.exit(130);
};
process.on("SIGINT", cleanupAndExit);
process.on("SIGTERM", cleanupAndExit);

const samples: Record<string, Record<"clawhost" | "pm2", Sample[]>> = {};
let floor: Sample | undefined;
const reap: number[] = [];
try {
  for (let i = 0; i < 3; i++) reap.push((await orphanReapMs()) ?? Number.NaN);
  console.error(`scale bench: N = ${sizes.join(", ")}, idle ${idleMs / 1000} s (then ${settleMs / 1000} s more at N = ${Math.max(...sizes)}), ${runs} run(s), ${modes.join(" + ")}${opts.profile ? ", profiled" : ""}`);
  floor = await runWorker("floor", 0, "floor");
  for (let r = 0; r < runs; r++) {
    for (const n of sizes) {
      samples[n] ??= { clawhost: [], pm2: [] };
      for (const mode of r % 2 === 0 ? modes : [...modes].reverse()) {
        const s = await runWorker(mode, n, `r${r}`);
        samples[n]![mode].push(s);
        console.error(
          `run ${r + 1} N=${n} ${mode}: ready ${(s.readyMs! / 1000).toFixed(2)} s, idle CPU ${(mode === "pm2" ? s.supCpuPct : s.idleCpuPct!).toFixed(2)} %, ` +
            `RSS ${(mode === "pm2" ? s.supRssMb : s.rssMb!).toFixed(0)} MB, stop ${(s.stopMs! / 1000).toFixed(2)} s` +
            (s.eldIdle ? `, ELD p99 idle ${s.eldIdle.p99.toFixed(1)} / whole ${s.eldWhole!.p99.toFixed(1)} ms` : ""),
        );
        if (s.profileTop) console.error(`  idle-window CPU profile (self time):\n${s.profileTop.map((p) => `    ${p.pct.toFixed(1).padStart(5)} %  ${p.ms.toFixed(1).padStart(7)} ms  ${p.fn}`).join("\n")}`);
        await sleep(2_000);
      }
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

// ---- report ---------------------------------------------------------------------------
type M = "clawhost" | "pm2";
const med = (n: number, m: M, f: (s: Sample) => number | undefined): number | undefined => {
  const xs = (samples[n]?.[m] ?? []).map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return xs.length ? median(xs) : undefined;
};
const all = (n: number, m: M, f: (s: Sample) => number | undefined, d: number): string =>
  (samples[n]?.[m] ?? []).map((s) => f(s)?.toFixed(d) ?? "-").join(", ");
const fmt = (x: number | undefined, d: number, unit = ""): string => (x === undefined ? "n/a" : `${x.toFixed(d)}${unit}`);
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? "" : (a / b).toFixed(2));

// One figure of each side: [label, clawhost, PM2, decimals, unit].
const sec = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
const settledRss = (s: Sample): number | undefined => s.settle.at(-1)?.rssMb;
const metrics: Array<[string, (s: Sample) => number | undefined, (s: Sample) => number | undefined, number, string]> = [
  ["time to all ready (clawhost: `startAll()`; PM2: all `GET /healthz` 200)", (s) => sec(s.readyMs), (s) => sec(s.readyMs), 2, " s"],
  ["  PM2: all `GET /readyz` 200 (the fake's hello-ok point)", () => undefined, (s) => sec(s.readyzMs), 2, " s"],
  ["setup before it (clawhost: N `await host.add()`; PM2: daemon start)", (s) => sec(s.setupMs), (s) => sec(s.setupMs), 2, " s"],
  ["idle CPU, host process / God daemon (% of one core)", (s) => s.idleCpuPct, (s) => s.supCpuPct, 2, " %"],
  ["idle CPU, helper processes (clawhost's watchdog; PM2 has none)", (s) => s.helperCpuPct, () => undefined, 2, " %"],
  ["RSS at end of the CPU window, host process / God daemon", (s) => s.rssMb, (s) => s.supRssMb, 0, " MB"],
  ["  after the settle (largest N only; see below)", (s) => settledRss(s), (s) => settledRss(s), 0, " MB"],
  ["  peak RSS (VmHWM), host process", (s) => s.hwmMb, () => undefined, 0, " MB"],
  ["RSS, helper processes", (s) => s.helperRssMb, () => undefined, 0, " MB"],
  ["event-loop delay p99, delay window (idle)", (s) => s.eldIdle?.p99, () => undefined, 1, " ms"],
  ["event-loop delay p99, whole run", (s) => s.eldWhole?.p99, () => undefined, 1, " ms"],
  ["  max, whole run", (s) => s.eldWhole?.max, () => undefined, 0, " ms"],
  ["stop (clawhost: `stopAll()`; PM2: `pm2.delete(\"all\")`)", (s) => sec(s.stopMs), (s) => sec(s.stopMs), 2, " s"],
  ["  until no gateway process is left", (s) => sec(s.goneMs), (s) => sec(s.goneMs), 2, " s"],
  ["gateways' own CPU over idle (all fake + broker processes, % of one core)", (s) => s.fleetCpuPct, (s) => s.fleetCpuPct, 2, " %"],
  ["gateways' RSS, all fake + broker processes", (s) => s.fleetRssMb, (s) => s.fleetRssMb, 0, " MB"],
];
const perN = sizes
  .map((n) => {
    const rows = metrics.map(([label, fc, fp, d, u]) => {
      const c = med(n, "clawhost", fc);
      const p = med(n, "pm2", fp);
      return `| ${label} | ${fmt(c, d, u)} | ${fmt(p, d, u)} | ${ratio(c, p)} |`;
    });
    return `### N = ${n}\n\n| median of ${runs} | clawhost | PM2 | clawhost / PM2 |\n|---|---|---|---|\n${rows.join("\n")}\n`;
  })
  .join("\n");

const goalN = Math.max(...sizes);
const gc = (f: (s: Sample) => number | undefined): number | undefined => med(goalN, "clawhost", f);
const goalRows: Array<[string, string, boolean | undefined]> = [
  ["idle CPU of the host process ≤ 1 % of a core", fmt(gc((s) => s.idleCpuPct), 2, " %"), gc((s) => s.idleCpuPct)! <= 1],
  ["event-loop delay p99 ≤ 20 ms, delay window (idle)", fmt(gc((s) => s.eldIdle?.p99), 1, " ms"), gc((s) => s.eldIdle?.p99)! <= 20],
  ["event-loop delay p99 ≤ 20 ms, whole run", fmt(gc((s) => s.eldWhole?.p99), 1, " ms"), gc((s) => s.eldWhole?.p99)! <= 20],
  [`host RSS ≤ 100 MB, at the end of the CPU window (${idleMs / 1000} s after ready)`, fmt(gc((s) => s.rssMb), 0, " MB"), gc((s) => s.rssMb)! <= 100],
  [
    `host RSS ≤ 100 MB, settled (${(2 * idleMs + settleMs) / 1000} s after ready)`,
    `${fmt(gc(settledRss), 0, " MB")} vs PM2 ${fmt(med(goalN, "pm2", settledRss), 0, " MB")}`,
    gc(settledRss) === undefined ? undefined : gc(settledRss)! <= 100,
  ],
  [
    "all ready no later than PM2's all-healthy",
    `${fmt(sec(gc((s) => s.readyMs)), 2, " s")} vs PM2 ${fmt(sec(med(goalN, "pm2", (s) => s.readyMs)), 2, " s")}`,
    med(goalN, "pm2", (s) => s.readyMs) === undefined ? undefined : gc((s) => s.readyMs)! <= med(goalN, "pm2", (s) => s.readyMs)!,
  ],
  ["`stopAll()` ≤ 2 s", fmt(sec(gc((s) => s.stopMs)), 2, " s"), gc((s) => s.stopMs)! <= 2000],
];
const goals = goalRows.map(([g, v, ok]) => `| ${g} | ${v} | ${ok === undefined ? "not measured" : ok ? "**met**" : "**not met**"} |`).join("\n");

const growthCols: Array<[string, M, (s: Sample) => number | undefined, number]> = [
  ["clawhost ready s", "clawhost", (s) => sec(s.readyMs), 2],
  ["PM2 healthy s", "pm2", (s) => sec(s.readyMs), 2],
  ["clawhost CPU %", "clawhost", (s) => s.idleCpuPct, 2],
  ["PM2 CPU %", "pm2", (s) => s.supCpuPct, 2],
  ["clawhost RSS MB", "clawhost", (s) => s.rssMb, 0],
  ["PM2 RSS MB", "pm2", (s) => s.supRssMb, 0],
  ["ELD p99 idle ms", "clawhost", (s) => s.eldIdle?.p99, 1],
  ["ELD p99 whole ms", "clawhost", (s) => s.eldWhole?.p99, 1],
  ["clawhost stop s", "clawhost", (s) => sec(s.stopMs), 2],
  ["PM2 stop s", "pm2", (s) => sec(s.stopMs), 2],
];
const lo = Math.min(...sizes);
const slope = (m: M, f: (s: Sample) => number | undefined): number | undefined => {
  const a = med(lo, m, f);
  const b = med(goalN, m, f);
  return a === undefined || b === undefined || goalN === lo ? undefined : (b - a) / (goalN - lo);
};
const growth = `| N | ${growthCols.map((c) => c[0]).join(" | ")} |
|---|${growthCols.map(() => "---").join("|")}|
${sizes.map((n) => `| ${n} | ${growthCols.map(([, m, f, d]) => fmt(med(n, m, f), d)).join(" | ")} |`).join("\n")}${
  goalN > lo ? `\n| per added gateway (${lo} → ${goalN}) | ${growthCols.map(([, m, f, d]) => fmt(slope(m, f), d + 2)).join(" | ")} |` : ""
}`;

const space = (s: Sample | undefined, name: string, which: "heapSpaces" | "settledHeapSpaces"): number | undefined => s?.[which]?.[name]?.sizeMb;
const otherSpaces = (s: Sample, which: "heapSpaces" | "settledHeapSpaces"): number | undefined => {
  const sp = s[which];
  return sp ? Object.entries(sp).filter(([k]) => k !== "new_space" && k !== "old_space").reduce((a, [, v]) => a + v.sizeMb, 0) : undefined;
};
/** A side's settle sample taken at `atS` (the nearest one), median over the runs. */
const settleAt = (m: M, atS: number, f: (x: Sample["settle"][number]) => number): number | undefined => {
  const xs = (samples[goalN]?.[m] ?? []).flatMap((s) => {
    const near = s.settle.reduce<Sample["settle"][number] | undefined>((best, x) => (best === undefined || Math.abs(x.atS - atS) < Math.abs(best.atS - atS) ? x : best), undefined);
    return near && Math.abs(near.atS - atS) <= SETTLE_SAMPLE_MS / 2000 + 1 ? [f(near)] : [];
  });
  return xs.length ? median(xs) : undefined;
};
/** Seconds after the idle window when the host's RSS first came within 3 MB of where it settled. */
const settledAt = (s: Sample): number | undefined => {
  const end = settledRss(s);
  return end === undefined ? undefined : s.settle.find((x) => x.rssMb <= end + 3)?.atS;
};
const settleTimes = [...new Set([0, 30, 60, 90, 120, 150, 180, settleMs / 1000].filter((t) => t <= settleMs / 1000))];
const claw = samples[goalN]?.clawhost ?? [];
const memory =
  settleMs === 0 || claw.every((s) => s.settle.length === 0)
    ? ""
    : `## The host's memory after the start (N = ${goalN})

After the two idle windows both supervisors idle on for ${settleMs / 1000} s while the bench reads their
\`/proc/<pid>/status\` every ${SETTLE_SAMPLE_MS / 1000} s (medians of ${runs} run(s); seconds after the delay window):

| | ${settleTimes.map((t) => `${t} s`).join(" | ")} |
|---|${settleTimes.map(() => "---").join("|")}|
| clawhost host process RSS | ${settleTimes.map((t) => fmt(settleAt("clawhost", t, (x) => x.rssMb), 0)).join(" | ")} |
|   of it anonymous (RssAnon) | ${settleTimes.map((t) => fmt(settleAt("clawhost", t, (x) => x.anonMb), 0)).join(" | ")} |
| PM2 God daemon RSS | ${settleTimes.map((t) => fmt(settleAt("pm2", t, (x) => x.rssMb), 0)).join(" | ")} |

The host's RSS came within 3 MB of where it settled ${claw.map(settledAt).map((t) => (t === undefined ? "n/a" : `${t} s`)).join(", ")} after the delay window
(per run). V8 grows its young generation while a fleet starts (many objects survive its
scavenges then; here up to 16 MB per semi-space, two of them committed). At the first full
collection in the idle it shrinks it again, but keeps the freed pages in its page pool; its
memory reducer gives them back to the system with a memory-reducing collection, which it starts
at the latest 100 s after the previous full collection (V8's watchdog). clawhost sets no V8 flags:
the application that embeds it owns them.

| median, clawhost host process | end of the CPU window | end of the settle |
|---|---|---|
| RSS | ${fmt(gc((s) => s.rssMb), 0, " MB")} | ${fmt(gc(settledRss), 0, " MB")} |
|   file-backed (RssFile: Node's binary and libraries, shared with other processes) | ${fmt(gc((s) => s.rssFileMb), 0, " MB")} | ${fmt(gc((s) => s.settle.at(-1)?.fileMb), 0, " MB")} |
|   anonymous (RssAnon) | ${fmt(gc((s) => s.rssAnonMb), 0, " MB")} | ${fmt(gc((s) => s.settle.at(-1)?.anonMb), 0, " MB")} |
| V8 young generation (new_space), committed | ${fmt(gc((s) => space(s, "new_space", "heapSpaces")), 1, " MB")} | ${fmt(gc((s) => space(s, "new_space", "settledHeapSpaces")), 1, " MB")} |
| V8 old generation (old_space), committed | ${fmt(gc((s) => space(s, "old_space", "heapSpaces")), 1, " MB")} | ${fmt(gc((s) => space(s, "old_space", "settledHeapSpaces")), 1, " MB")} |
| V8 code, trusted and large-object spaces, committed | ${fmt(gc((s) => otherSpaces(s, "heapSpaces")), 1, " MB")} | ${fmt(gc((s) => otherSpaces(s, "settledHeapSpaces")), 1, " MB")} |
`;

const raw = sizes
  .flatMap((n) =>
    modes.map((m) => {
      const ss = samples[n]?.[m] ?? [];
      const f = m === "clawhost" ? (s: Sample) => s.idleCpuPct : (s: Sample) => s.supCpuPct;
      const r = m === "clawhost" ? (s: Sample) => s.rssMb : (s: Sample) => s.supRssMb;
      return `| ${n} | ${m} | ${all(n, m, (s) => sec(s.readyMs), 2)} | ${all(n, m, f, 2)} | ${all(n, m, r, 0)} | ${m === "clawhost" ? all(n, m, (s) => s.eldIdle?.p99, 1) : "-"} | ${m === "clawhost" ? all(n, m, (s) => s.eldWhole?.p99, 1) : "-"} | ${all(n, m, (s) => sec(s.stopMs), 2)} | ${ss.map((s) => s.incidents ?? 0).join(", ")} | ${ss.map((s) => s.leftovers.length + s.leftAfterExit.length).join(", ")} |`;
    }),
  )
  .join("\n");
const helperNames = [...new Set(Object.values(samples).flatMap((x) => [...x.clawhost, ...x.pm2]).flatMap((s) => s.helpers.map((h) => h.replace(/^\d+ /, ""))))];
const leftovers = [...Object.values(samples).flatMap((x) => [...x.clawhost, ...x.pm2])].flatMap((s) => [...s.leftovers.map(String), ...s.leftAfterExit]);
const gatewayNode = Object.values(samples).flatMap((x) => x.clawhost).find((s) => s.gatewayNode)?.gatewayNode;
const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";

const report = `# Scale: one host, N gateways, against PM2
${full ? "" : `
> **SMOKE RUN, not the report.** N = ${sizes.join(", ")}, idle window ${idleMs / 1000} s, ${runs} run(s)${opts.only ? `, ${opts.only} only` : ""}${opts.profile ? ", CPU profiler on (inflates the host's figures)" : ""}.
> The figures below only show that the bench works; \`npm run bench:scale\` (N = 10, 50, 100, 20 s idle, 3 runs) writes \`bench/reports/scale.md\`.
`}
Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:scale${full ? "" : ` -- ${process.argv.slice(2).join(" ")}`}\` on ${cpus().length} cores (${cpuModel}),
${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.versions.node} (bench, host and gateways${gatewayNode && gatewayNode !== process.execPath ? `; gateways: ${gatewayNode}` : ""}), pm2 ${pm2Version}.

## Method

- **Gateways**: the fault-injection fake (\`test/fixtures/fake-openclaw/openclaw.mjs\`, no fault
  set: listens ~0.3 s after start, answers \`hello-ok\` 0.2 s later; one "spawn broker" child
  each, so 2 Node processes per gateway).
- **clawhost**: a fresh process (\`bench/scale-worker.mjs\`) creates one \`GatewayHost\` with
  default options except \`root\` and \`leaseDir\` (fresh temp dirs: no other host's leases
  interfere), \`openclaw.bin\` (the fake) and \`ports\` ${PORT_RANGE.from}-${PORT_RANGE.to} (a private \`leaseDir\`
  cannot see the leases of tests running on the same machine, so the bench keeps clear of
  the ranges they use). So: \`startConcurrency\` 8 (the default), liveness on, default restart policy and
  timeouts. It \`await\`s \`host.add()\` N times, then times \`startAll()\`, idles ${idleMs / 1000} s
  (the CPU window) and ${idleMs / 1000} s more (the delay window), then times \`stopAll()\`.
- **PM2**: a fresh process with its own \`PM2_HOME\` (temp dir; \`~/.pm2\` untouched) connects
  (spawning PM2's God daemon), starts the same N fakes as one ecosystem (\`pm2.start({ apps })\`,
  fork mode, interpreter: the same Node) with the argv clawhost uses
  (\`gateway --allow-unconfigured --port P --bind loopback\`, bases 120 apart from ${PORT_RANGE.from}, clawhost's
  grid, skipping blocks whose base or base+2 does not bind) and the env clawhost gives (own \`HOME\`, \`TMPDIR\`, XDG dirs,
  \`OPENCLAW_STATE_DIR\`, \`OPENCLAW_CONFIG_PATH\` (a config with \`gateway.mode\` and
  \`logging.file\`), \`OPENCLAW_WORKSPACE_DIR\`, a random \`OPENCLAW_GATEWAY_TOKEN\`, the embedding
  preset; the bench makes these dirs and files before the clock starts), polls every port
  every 100 ms (so its times may be up to 0.1 s late) until \`GET /healthz\` answers 200 (then \`/readyz\`),
  idles the same two windows, times \`pm2.delete("all")\`, then kills the daemon. PM2 defaults
  otherwise (autorestart on, kill timeout 1.6 s, its 30 s worker tick: a ${idleMs / 1000} s window
  may or may not contain one). PM2's stop waits until every pid of an app's tree is gone, and
  counts a zombie as alive; each fake's broker child is orphaned when the fake exits, and on
  this machine PID 1 reaps an orphaned zombie only after ${fmt(median(reap), 0, " ms")} (median of 3: ${reap.map((x) => x.toFixed(0)).join(", ")} ms),
  so PM2's stop figures include that wait; clawhost counts a zombie as gone.
- **CPU** over the idle window (the first one; no delay monitor runs in it): utime + stime deltas of \`/proc/<pid>/stat\` (clock ticks,
  ${CLK_TCK}/s) over the window's wall time, as % of one core. The host process measures itself
  (\`/proc/self/stat\`, all its threads); the parent measures PM2's daemon, the host's helper
  processes (${helperNames.length ? helperNames.map((h) => `\`${h.slice(0, 40)}\``).join(", ") : "none found"}) and the gateways from outside.
  At ${CLK_TCK} ticks/s one tick over ${idleMs / 1000} s is ${fmt(100 / CLK_TCK / (idleMs / 1000), 2, " %")}.
  *Gateways' own CPU* is every fake and broker process summed: with clawhost it includes
  answering the host's liveness checks; with PM2, whatever PM2's fork-mode container does
  inside each app.
- **RSS**: \`VmRSS\` of \`/proc/<pid>/status\` at the end of the CPU window; at N = ${Math.max(...sizes)} also
  every ${SETTLE_SAMPLE_MS / 1000} s of a further ${settleMs / 1000} s of idling (the settle, both sides; no delay monitor runs in it).
- **Event-loop delay** (clawhost only: PM2's daemon is another process):
  \`monitorEventLoopDelay({ resolution: ${RESOLUTION_MS} })\`, one monitor at a time (each is a timer of its own
  in the measured process, so none runs in the CPU window): one from before \`new GatewayHost()\` until the CPU window, one over the
  delay window that follows it, one from after the settle (at the largest N; else from the delay window's end) until \`stopAll()\` resolves; the whole run's p99 is the least recorded
  delay at which the three parts' distributions, weighted by their counts, reach 99 %. Node records whole timer intervals; the figures here are that minus the
  ${RESOLUTION_MS} ms resolution (the delay itself). The bench's own modules for PM2's side and the
  profiler (\`node:http\`, \`node:inspector\`) are loaded only where they are used.
- **Stop**: the call until it resolves, and until no process carrying the fleet's directory in
  its environment is left (gateways and brokers). After each worker exits the parent checks
  again (helpers included) and kills and reports anything left.
- Sides alternate (clawhost first on even runs, PM2 first on odd), ${runs} run(s), medians.
${
  floor
    ? `- **Floor**: an idle Node process that imported clawhost and takes the same two windows:
  ${fmt(floor.idleCpuPct, 2, " %")} CPU, ${fmt(floor.rssMb, 0, " MB")} RSS over the CPU window, delay p99 ${fmt(floor.eldIdle?.p99, 1, " ms")} over the delay window. The host's figures include this.`
    : ""
}

## Results per N

${perN}
## Goals at N = ${goalN}${goalN === 100 ? "" : " (goals are stated for N = 100; this run's largest N)"}

| goal | measured (median) | |
|---|---|---|
${goals}
${floor ? `\nThe host's CPU and RSS include the measurement floor (${fmt(floor.idleCpuPct, 2, " %")}, ${fmt(floor.rssMb, 0, " MB")}: see Method); they are judged as measured.\n` : ""}
## How cost grows with N (medians)

${growth}

${memory}
## Every run

| N | side | ready s | idle CPU % | RSS MB | ELD p99 idle ms | ELD p99 whole ms | stop s | exits/restarts while measured | processes left |
|---|---|---|---|---|---|---|---|---|---|
${raw}

${leftovers.length ? `**Processes left behind (killed by the bench):** ${leftovers.join("; ")}` : "No gateway, broker, watchdog or PM2 process was left after any run."}
`;
writeFileSync(outFile, report);
console.log(report);
console.error(`wrote ${outFile}`);
