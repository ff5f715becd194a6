// The soak's data types and its report (bench/reports/soak.md). bench/soak.ts renders
// the report at the end of a run; this file also re-renders one from the raw data that
// `npm run bench:soak -- --data <file>` saved:
//   node bench/soak-report.ts <data.json> [out.md]
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { slope } from "./stats.ts";
import type { LivenessOptions, RestartPolicy } from "clawhost";

export type FaultKind = "kill9" | "sigstop" | "config-burst";

/** What bench/soak.ts hands its host process. */
export interface SoakWorkerConfig {
  root: string;
  leaseDir: string;
  ports: { from: number; to: number };
  /** The fake gateway's openclaw.mjs; absent: the real openclaw, found by the host. */
  bin?: string;
  restart: Partial<RestartPolicy>;
  liveness: Partial<LivenessOptions>;
  seed: number;
  durationMs: number;
  sampleMs: number;
  /** Pause before each fault, uniform in [min, max] seconds (after the previous one recovered). */
  gapS: [number, number];
  /** Concurrent updates per config burst. */
  burst: number;
  /** How long a gateway gets to be ready again after a fault (and for the first start). */
  recoveryDeadlineMs: number;
  /** Run the host process with --expose-gc and force a full collection after each sample's readings. */
  forcedGc?: boolean;
  /** The host's `events.replay` and each gateway's `logs.ringSize` (default: clawhost's, 1,000 each). */
  replay?: number;
  ringSize?: number;
}

/** One sample of the host process (and, from the parent, its watchdog). */
export interface SoakSample {
  /** Seconds since the host process began measuring (before `new GatewayHost()`). */
  atS: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** Listeners on the host (every event name), the bench's consumer subscriptions included. */
  hostListeners: number;
  /** Listeners on both gateways: the host's fan-in, the bench's `event` subscription, clawhost's own waits. */
  gatewayListeners: number;
  /** `process.getActiveResourcesInfo().length`: ref'd handles and requests (unref'd timers and workers are not in it). */
  handles: number;
  handleTypes: Record<string, number>;
  /** Open file descriptors (/proc/self/fd): sockets, files, watchers, pipes, ref'd or not. */
  fds: number;
  /** Threads: line of /proc/self/status. */
  threads: number;
  validatorAlive: boolean;
  /** CPU of the host process since the previous sample, % of one core. */
  cpuPct: number;
  eldP99Ms: number;
  eldMaxMs: number;
  gateways: Array<{ name: string; state: string; rssMb: number | undefined; processes: number | undefined }>;
  /** Cumulative counts of the events the bench subscribed to. */
  events: Record<string, number>;
  logLines: number;
  logBytes: number;
  /**
   * With forcedGc: heapUsed and RSS right after the full collection that follows the
   * sample's readings; codeMb: the part of that heap in V8's code and trusted spaces
   * (compiled code and bytecode).
   */
  afterGc?: { heapUsedMb: number; codeMb?: number; rssMb: number };
  /** Added by the parent: RSS of the host's watchdog process. */
  watchdogRssMb?: number;
}

export interface FaultRecord {
  n: number;
  kind: FaultKind;
  gateway: string;
  atS: number;
  detail: string;
  /** Not injected: the gateway was not ready before it. */
  skipped?: boolean;
  pidBefore?: number | undefined;
  /** Fault to `ready` again (a miss: undefined). */
  recoveryS?: number;
  /** SIGSTOP: until the host reported it unhealthy. */
  detectS?: number;
  /** Config burst: until the last update resolved. */
  burstS?: number;
  /** Config burst: in-place restarts (ready events) until it was ready again. */
  inPlaceRestarts?: number;
  oldPidGone?: boolean;
  stateAfter?: string;
  /** Not ready by the deadline: the bench called start() to go on. */
  restartedByBench?: boolean;
  config?: {
    sent: number;
    resolved: number;
    rejected: number;
    kept: number;
    lost: number;
    previousDeleted: number;
    previousLeft: number;
    soakVarsOnDisk: number;
    applied: Record<string, number>;
    errors: string[];
  };
}

/** An exit or unhealthy report the faults do not explain (an exit during a config burst is one). */
export interface Incident {
  atS: number;
  gateway: string;
  event: "exit" | "unhealthy";
  detail: string;
}

/** One life of clawhost's config validator, a child process of the host process. */
export interface ValidatorLife {
  pid: number;
  createdAtS: number;
  rssAtCreateMb: number;
  /** Highest RSS at a sample while it lived. */
  peakRssMb: number;
  exitedAtS?: number;
  rssAtExitMb?: number;
  rssAfter10sMb?: number;
  /** The validator process's own peak RSS (VmHWM), at its last sighting. */
  ownPeakMb?: number;
}

export interface SoakStarted {
  type: "started";
  pid: number;
  openclawVersion: string;
  gatewayNode: string;
  openclawEntry: string;
  ports: number[];
  liveness: LivenessOptions | false;
  restart: RestartPolicy;
  startAllS: number;
  rssAtStartMb: number;
  rssAfterImportMb: number;
  rssAfterReadyMb: number;
}

export interface SoakWorkerResult {
  faults: FaultRecord[];
  incidents: Incident[];
  warnings: Array<{ atS: number; gateway: string; code: string; message: string }>;
  validators: ValidatorLife[];
  events: Record<string, number>;
  logLines: number;
  logBytes: number;
  restarts: Record<string, number>;
  stopAllS: number;
  stopError: string | undefined;
  /** Processes under the fleet's root found by the host process after dispose. */
  leftovers: string[];
  rssAfterStopMb: number;
  listenersAfterDispose: number;
  handlesAfterDispose: string[];
}

export type SoakMessage =
  | SoakStarted
  | { type: "sample"; sample: SoakSample }
  | { type: "fault"; fault: FaultRecord }
  | { type: "result"; result: SoakWorkerResult }
  | { type: "error"; message: string };

/** Everything a report is made of. */
export interface SoakRun {
  command: string;
  date: string;
  smoke: boolean;
  fake: boolean;
  machine: { cores: number; cpuModel: string; memGiB: number; kernel: string; benchNode: string; loadStart: number[]; loadEnd: number[] };
  config: Omit<SoakWorkerConfig, "root" | "leaseDir" | "bin">;
  wallS: number;
  started: SoakStarted | undefined;
  samples: SoakSample[];
  faults: FaultRecord[];
  result: SoakWorkerResult | undefined;
  error: string | undefined;
  /** The host's helper processes (watchdog) seen while it ran. */
  helpers: string[];
  /** Found by the parent after the host process exited (and then killed). */
  leftAfterExit: string[];
  tempRemoved: boolean;
}

// ---- arithmetic ------------------------------------------------------------------------
const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number | undefined, d = 1, unit = ""): string => (x === undefined || !Number.isFinite(x) ? "n/a" : `${x.toFixed(d)}${unit}`);
const signed = (x: number | undefined, d = 1, unit = ""): string => (x === undefined ? "n/a" : `${x >= 0 ? "+" : ""}${x.toFixed(d)}${unit}`);
/** Decimals for a duration in seconds: two below one second. */
const d = (s: number | undefined): number => (s !== undefined && s < 1 ? 2 : 1);
const clock = (s: number): string => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
const range = (xs: number[]): string => (xs.length === 0 ? "n/a" : Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}-${Math.max(...xs)}`);
const KIND_LABEL: Record<FaultKind, string> = { kill9: "kill -9 of the gateway pid", sigstop: "SIGSTOP of the gateway pid", "config-burst": "config burst" };

// ---- the report ------------------------------------------------------------------------
export function renderSoakReport(run: SoakRun): string {
  const { config: c, samples, result, started } = run;
  const T = c.durationMs / 1000;
  const inWin = (a: number, b: number): SoakSample[] => samples.filter((s) => s.atS >= a && s.atS <= b);
  const warm = [T / 6, T / 3] as const;
  // The run ends after T, or after the recovery of a fault that was under way at T.
  const endS = Math.max(T, samples.at(-1)?.atS ?? T);
  const last = [T - T / 6, endS] as const;
  const warmS = inWin(...warm);
  const lastS = inWin(...last);
  const medOf = (ss: SoakSample[], f: (s: SoakSample) => number): number | undefined => median(ss.map(f));
  const after = samples.filter((s) => s.atS >= warm[0]);

  // Faults by kind.
  const faults = run.faults;
  const kinds: FaultKind[] = ["kill9", "sigstop", "config-burst"];
  const byKind = kinds.map((k) => {
    const fs = faults.filter((f) => f.kind === k);
    const injected = fs.filter((f) => !f.skipped);
    const rec = injected.filter((f) => f.recoveryS !== undefined);
    const times = rec.map((f) => f.recoveryS!);
    let extra = "";
    if (k === "kill9") {
      const reasons: Record<string, number> = {};
      for (const f of injected) {
        const r = /exit (\S+)/.exec(f.detail)?.[1] ?? "no exit event";
        reasons[r] = (reasons[r] ?? 0) + 1;
      }
      extra = `exit reason: ${Object.entries(reasons).map(([r, n]) => `\`${r}\` ×${n}`).join(", ") || "n/a"}`;
    } else if (k === "sigstop") {
      const d = injected.filter((f) => f.detectS !== undefined).map((f) => f.detectS!);
      extra = `reported unhealthy in ${d.length}/${injected.length}, median ${fmt(median(d), 1, " s")} after SIGSTOP`;
    } else {
      const b = injected.filter((f) => f.burstS !== undefined).map((f) => f.burstS!);
      extra = `${c.burst} updates resolved in a median ${fmt(median(b), 2, " s")}`;
    }
    return `| ${KIND_LABEL[k]} | ${injected.length} | ${rec.length} | ${injected.length - rec.length} | ${fs.length - injected.length} | ${fmt(median(times), d(median(times)), " s")} | ${times.length ? `${fmt(Math.min(...times), d(Math.min(...times)))}-${fmt(Math.max(...times), d(Math.max(...times)))} s` : "n/a"} | ${extra} |`;
  });
  const injectedAll = faults.filter((f) => !f.skipped);
  const missed = injectedAll.filter((f) => f.recoveryS === undefined);

  // Config bursts.
  const bursts = faults.filter((f) => f.config);
  const sum = (f: (x: NonNullable<FaultRecord["config"]>) => number): number => bursts.reduce((a, b) => a + f(b.config!), 0);
  const appliedAll: Record<string, number> = {};
  for (const b of bursts) for (const [k, v] of Object.entries(b.config!.applied)) appliedAll[k] = (appliedAll[k] ?? 0) + v;
  const burstErrors = [...new Set(bursts.flatMap((b) => b.config!.errors))];

  // Time series.
  const bucketS = T >= 1800 ? 120 : Math.max(c.sampleMs / 1000, Math.ceil(T / 12 / 10) * 10);
  const rows: string[] = [];
  for (let a = 0; a < endS; a += bucketS) {
    const b = a + bucketS;
    const ss = samples.filter((s) => (a === 0 ? s.atS >= a : s.atS > a) && s.atS <= b);
    if (ss.length === 0) continue;
    const fs = faults.filter((f) => f.atS > a && f.atS <= b).map((f) => `${f.kind} ${f.gateway.replace("soak", "g")}`);
    const alive = ss.filter((s) => s.validatorAlive).length;
    const gwRss = ss.map((s) => s.gateways.reduce((x, g) => x + (g.rssMb ?? 0), 0));
    const notReady = [...new Set(ss.flatMap((s) => s.gateways.filter((g) => g.state !== "ready").map((g) => `${g.name.replace("soak", "g")} ${g.state}`)))];
    rows.push(
      `| ${clock(a)}-${clock(Math.min(b, endS))} | ${ss.length} | ${fmt(medOf(ss, (s) => s.rssMb), 1)} | ${fmt(medOf(ss, (s) => s.heapUsedMb), 1)} | ${fmt(medOf(ss, (s) => s.heapTotalMb), 1)} | ${fmt(medOf(ss, (s) => s.externalMb), 1)} | ${range(ss.map((s) => s.hostListeners))} / ${range(ss.map((s) => s.gatewayListeners))} | ${range(ss.map((s) => s.handles))} | ${range(ss.map((s) => s.fds))} | ${range(ss.map((s) => s.threads))} | ${alive === 0 ? "no" : alive === ss.length ? "yes" : `${alive}/${ss.length}`} | ${fmt(median(gwRss), 0)} | ${fmt(medOf(ss, (s) => s.cpuPct), 2)} | ${fmt(Math.max(...ss.map((s) => s.eldMaxMs)), 0)} | ${[...fs, ...notReady.map((x) => `(${x})`)].join(", ")} |`,
    );
  }

  // Memory across the run.
  const rssWarm = medOf(warmS, (s) => s.rssMb);
  const rssLast = medOf(lastS, (s) => s.rssMb);
  const heapWarm = medOf(warmS, (s) => s.heapUsedMb);
  const heapLast = medOf(lastS, (s) => s.heapUsedMb);
  const extWarm = medOf(warmS, (s) => s.externalMb);
  const extLast = medOf(lastS, (s) => s.externalMb);
  const rssSlope = slope(after.map((s) => [s.atS / 3600, s.rssMb]));
  const heapSlope = slope(after.map((s) => [s.atS / 3600, s.heapUsedMb]));
  // With --gc: what the host retains (heap after a full collection) and its RSS right after one.
  const gcd = (ss: SoakSample[]): Array<NonNullable<SoakSample["afterGc"]>> => ss.flatMap((s) => (s.afterGc ? [s.afterGc] : []));
  const forced = c.forcedGc === true;
  const keptWarm = median(gcd(warmS).map((g) => g.heapUsedMb));
  const keptLast = median(gcd(lastS).map((g) => g.heapUsedMb));
  const codeOf = (ss: SoakSample[]): number[] => gcd(ss).flatMap((g) => (g.codeMb === undefined ? [] : [g.codeMb]));
  const codeWarm = median(codeOf(warmS));
  const codeLast = median(codeOf(lastS));
  const dataOf = (ss: SoakSample[]): number[] => gcd(ss).flatMap((g) => (g.codeMb === undefined ? [] : [g.heapUsedMb - g.codeMb]));
  const dataWarm = median(dataOf(warmS));
  const dataLast = median(dataOf(lastS));
  const gcRssWarm = median(gcd(warmS).map((g) => g.rssMb));
  const gcRssLast = median(gcd(lastS).map((g) => g.rssMb));
  const keptSlope = slope(after.flatMap((s) => (s.afterGc ? [[s.atS / 3600, s.afterGc.heapUsedMb] as [number, number]] : [])));
  const gcRssSlope = slope(after.flatMap((s) => (s.afterGc ? [[s.atS / 3600, s.afterGc.rssMb] as [number, number]] : [])));
  // Samples without the validator: after it was first released (before, the host had never compiled the schema).
  const firstRelease = Math.min(...(result?.validators ?? []).map((v) => v.exitedAtS ?? Number.POSITIVE_INFINITY));
  const withV = after.filter((s) => s.validatorAlive);
  const withoutV = after.filter((s) => !s.validatorAlive && s.atS > firstRelease);
  const diff = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : b - a);
  const pct = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || a === 0 ? "" : ` (${signed(((b - a) / a) * 100, 1, " %")})`);
  const flat = (name: string, f: (s: SoakSample) => number): string => {
    const all = after.map(f);
    const w = warmS.map(f);
    const l = lastS.map(f);
    if (all.length === 0) return `- ${name}: no samples after the warm-up started.`;
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    const verdict = lo === hi ? `**flat** at ${lo}` : `between ${lo} and ${hi}; warm-up window ${range(w)} (median ${fmt(median(w), 0)}), last window ${range(l)} (median ${fmt(median(l), 0)})`;
    return `- ${name}: ${verdict}.`;
  };
  const handleTypesLast = lastS.at(-1)?.handleTypes ?? {};
  const handleTypesWarm = warmS.at(-1)?.handleTypes ?? {};

  const validatorRows = (result?.validators ?? []).map(
    (v, i) =>
      `| ${i + 1} | ${clock(v.createdAtS)} | ${v.exitedAtS === undefined ? "alive at the end" : `${clock(v.exitedAtS)} (${fmt(v.exitedAtS - v.createdAtS, 0)} s)`} | ${fmt(v.rssAtCreateMb, 1)} | ${fmt(v.peakRssMb, 1)} | ${fmt(v.rssAtExitMb, 1)} | ${fmt(v.rssAfter10sMb, 1)} | ${fmt(diff(v.rssAfter10sMb, v.peakRssMb), 1)} | ${fmt(v.ownPeakMb, 1)} |`,
  );

  const allEvents = result?.events ?? samples.at(-1)?.events ?? {};
  const warningCodes: Record<string, number> = {};
  for (const w of result?.warnings ?? []) warningCodes[w.code] = (warningCodes[w.code] ?? 0) + 1;
  const warningSummary = Object.keys(warningCodes).length ? `${Object.entries(warningCodes).map(([k, v]) => `\`${k}\` ×${v}`).join(", ")}.` : "none.";
  const lines = (xs: string[], none: string): string => (xs.length === 0 ? none : xs.map((x) => `- ${x}`).join("\n"));
  const liveness = started?.liveness;
  const restart = started?.restart;
  const leftovers = [...(result?.leftovers ?? []), ...run.leftAfterExit];

  const everyFault = faults
    .map(
      (f) =>
        `| ${f.n} | ${clock(f.atS)} | ${f.gateway} | ${f.kind} | ${f.skipped ? "skipped" : f.recoveryS === undefined ? "**missed**" : fmt(f.recoveryS, f.recoveryS < 1 ? 2 : 1, " s")} | ${f.detail.replaceAll("|", "/")}${f.oldPidGone === false ? "; **old pid still alive**" : ""}${f.restartedByBench ? "; started again by the bench" : ""} |`,
    )
    .join("\n");

  const minutes = Number.isInteger(T / 60) ? String(T / 60) : (T / 60).toFixed(1);
  const unit = minutes === "1" ? "minute" : "minutes";
  return `# Soak: one host, two gateways, ${minutes} ${unit} of faults
${
  run.smoke
    ? `
> **SMOKE RUN, not the report.** ${run.fake ? "Fake gateway (`test/fixtures/fake-openclaw`)" : "Real openclaw"}, ${minutes} ${unit}.
> The figures below only show that the bench works; \`npm run bench:soak\` (real openclaw, 30 minutes) writes \`bench/reports/soak.md\`.
`
    : ""
}
Measured ${run.date} by \`${run.command}\` on ${run.machine.cores} cores (${run.machine.cpuModel}), ${run.machine.memGiB} GiB,
Linux ${run.machine.kernel}, Node ${run.machine.benchNode} (bench and host process), gateways: ${run.fake ? "the fake gateway" : `openclaw ${started?.openclawVersion ?? "?"}`} on Node ${started?.gatewayNode ?? "?"}.
Load average (1/5/15 min) at the start ${run.machine.loadStart.map((x) => x.toFixed(2)).join(" / ")}, at the end ${run.machine.loadEnd.map((x) => x.toFixed(2)).join(" / ")}:
the machine ${run.machine.loadStart[0]! > run.machine.cores * 0.5 || run.machine.loadEnd[0]! > run.machine.cores * 0.5 ? "was busy with other work, which slows boots and recoveries" : "was mostly idle"}.
Seed **${c.seed}** (\`--seed ${c.seed}\` repeats the same faults in the same order and gaps). Wall time ${fmt(run.wallS / 60, 1)} min.
${run.error ? `\n**The run failed:** \`${run.error.split("\n")[0]}\`; the figures below cover what was measured before.\n` : ""}
## Method

- **Host process**: a child of the bench (\`bench/soak-worker.ts\`), so its RSS is its own. It imports
  the built package (\`dist/\`), creates one \`GatewayHost\` with its own temp \`root\` and \`leaseDir\`,
  \`ports\` ${c.ports.from}-${c.ports.to} (below the kernel's ephemeral range, clear of the 6200-16999 and
  20000-32767 the tests use and of the 5000-18700 of \`bench:scale\`, so both benches can run at once),
  ${run.fake ? "`openclaw.bin` = the fake gateway" : "no `openclaw.bin` (the host finds the pinned openclaw itself)"}, and two gateways, \`soak0\` and \`soak1\`.
- **Supervision**: restart policy ${restart ? `\`maxFailures: ${restart.maxFailures}\` in \`windowMs: ${restart.windowMs}\`` : "?"} (so repeated faults
  never exhaust the crash-loop budget), otherwise the defaults (first delay ${restart?.initialDelayMs ?? "?"} ms, factor ${restart?.factor ?? "?"},
  reset after ${restart ? restart.resetAfterMs / 1000 : "?"} s of uptime); liveness ${liveness ? `every ${liveness.intervalMs} ms, ${liveness.timeoutMs} ms timeout, ${liveness.failures} misses in a row` : "off"}${
    c.liveness.intervalMs === undefined ? " (the defaults)" : ` (interval shortened by \`--liveness-ms\`)`
  }.
- **Faults**: after a pause drawn uniformly from ${c.gapS[0]}-${c.gapS[1]} s (counted from the previous fault's
  recovery), one fault on the next gateway in turn (soak0, soak1, soak0, ...); kinds come in shuffled
  rounds of all three, from a seeded PRNG (mulberry32):
  - *kill -9*: SIGKILL to the gateway's pid; recovered when \`ready\` fires for a new pid.
  - *SIGSTOP*: the gateway's pid stopped; liveness must report it \`unhealthy\`, the host end the tree
    and the policy restart it; recovered when \`ready\` fires for a new pid.
  - *config burst*: ${c.burst} concurrent \`updateConfig\` merge patches on the ready gateway, each setting its own
    \`env.vars.SOAK_<n>\` (numbered across the run) and deleting one key of that gateway's previous burst
    (\`null\`), so the config holds at most ${c.burst} such keys. Recovered when every update resolved and, when
    OpenClaw applies them by restarting in place (\`applied: "restart"\`), when \`ready\` fired after the last
    one resolved. Then \`readConfig()\` must hold every key with its value, and none of the previous burst's.
  - Each recovery is awaited on events with a deadline of ${c.recoveryDeadlineMs / 1000} s; a gateway not ready by then
    is a **miss** (and the bench calls \`start()\` so the soak goes on).
- **Samples** every ${c.sampleMs / 1000} s, inside the host process: \`VmRSS\`, \`process.memoryUsage()\`
  (heapUsed, heapTotal, external; ${
    forced
      ? "then, with `--gc`, the host runs under `--expose-gc`: after these readings it forces a full collection and records heapUsed and RSS again, and how much of that heap is compiled code and bytecode (V8's code and trusted spaces, which grow as more of the code gets run and optimised, and shrink when V8 flushes bytecode of functions not run for a while), so\n  the *after a full GC* figures tell what the host retains, and the next sample's plain readings follow a collection 10 s earlier"
      : "no forced GC"
  }), listeners (sum of \`listenerCount\` over \`eventNames()\`
  of the host and both gateways; the bench's own momentary waits subtracted), \`process.getActiveResourcesInfo()\`
  (ref'd handles and requests only: clawhost's timers and the idle validator process are unref'd and do not
  appear), open fds (\`/proc/self/fd\`), threads (\`/proc/self/status\`), the config validator (a child
  process, \`clawhost-config-validator\`, looked for among this process's children every 1 s, with its own
  peak RSS), CPU and event-loop delay since the previous sample, and each
  gateway's tree RSS (\`gateway.resources\`). The parent adds the watchdog's RSS.
- **Kept in memory by design**: the host's event journal (\`events.replay\`) ${c.replay ?? 1000} records and each
  gateway's log ring (\`logs.ringSize\`) ${c.ringSize ?? 1000} lines${c.replay === undefined && c.ringSize === undefined ? " (clawhost's defaults)" : ""}: until they are full, the retained heap grows with them.
- **Consumer**: for the whole run the host process subscribes to \`gateway:state\`, \`ready\`, \`exit\`, \`log\`,
  \`warning\`, \`unhealthy\`, \`backoff\`, \`config\`, \`lease-moved\` and each gateway's \`event\`, counting them.
- **End**: \`stopAll()\`, dispose, then a scan of \`/proc\` for live processes whose environment or cwd lies
  under the fleet's root; after the host process exits the parent looks again (watchdog included), kills
  and reports anything left, and removes the temp dirs.
- **Windows** for the memory comparison: warm-up ${clock(warm[0])}-${clock(warm[1])}, last ${clock(last[0])}-${clock(endS)} (medians).

## Start

Host process RSS ${fmt(started?.rssAtStartMb, 1, " MB")} at start, ${fmt(started?.rssAfterImportMb, 1, " MB")} after importing clawhost,
${fmt(started?.rssAfterReadyMb, 1, " MB")} once both gateways were ready (\`startAll()\` ${fmt(started?.startAllS, 1, " s")}; ports ${started?.ports.join(", ") ?? "?"}).

## Faults

| kind | injected | recovered | missed | skipped | recovery median | range | |
|---|---|---|---|---|---|---|---|
${byKind.join("\n")}

${
  injectedAll.length === 0
    ? "No fault was injected (the run was shorter than one pause)."
    : missed.length === 0
      ? `Every one of the ${injectedAll.length} faults was recovered from within the deadline.`
      : `**${missed.length} of ${injectedAll.length} faults were not recovered from within ${c.recoveryDeadlineMs / 1000} s:** ${missed.map((f) => `#${f.n} (${f.kind} on ${f.gateway}: ${f.detail})`).join("; ")}.`
}
${faults.some((f) => f.oldPidGone === false) ? "\n**A faulted gateway's old pid was still alive after its recovery** (see the list below).\n" : ""}
**Config**: ${bursts.length} bursts, ${sum((x) => x.sent)} updates sent, ${sum((x) => x.resolved)} resolved, ${sum((x) => x.rejected)} rejected,
**${sum((x) => x.kept)} on disk with their value, ${sum((x) => x.lost)} lost** (resolved but not on disk); ${sum((x) => x.previousDeleted)} of the previous bursts' keys
deleted, ${sum((x) => x.previousLeft)} left behind; at most ${Math.max(0, ...bursts.map((b) => b.config!.soakVarsOnDisk))} \`SOAK_\` keys on disk after a burst.
How they were applied: ${Object.entries(appliedAll).map(([k, v]) => `\`${k}\` ${v}`).join(", ") || "n/a"}.${burstErrors.length ? `\nRejections: ${burstErrors.map((e) => `\`${e}\``).join("; ")}.` : ""}

Unexpected incidents (an exit or unhealthy report the faults do not explain; an exit during a config burst counts): ${result?.incidents.length ? "" : "none."}
${result?.incidents.length ? lines(result.incidents.map((i) => `${clock(i.atS)} ${i.gateway} ${i.event}: ${i.detail}`), "") : ""}
Warnings (\`gateway:warning\`): ${warningSummary}
${lines((result?.warnings ?? []).slice(0, 10).map((w) => `${clock(w.atS)} ${w.message}`), "")}${(result?.warnings.length ?? 0) > 10 ? `\n- ... and ${result!.warnings.length - 10} more` : ""}
Restarts by the policy (snapshot before the stop): ${Object.entries(result?.restarts ?? {}).map(([g, n]) => `${g} ${n}`).join(", ") || "n/a"}.

## The host process over time

One row per ${bucketS >= 60 ? `${bucketS / 60} min` : `${bucketS} s`}: medians of the samples in it (listeners, handles, fds and threads: min-max).
Listeners are host / gateways. "Gateways' RSS" is both trees (\`gateway.resources\`, 0 while a gateway has no process).

| time | samples | RSS MB | heapUsed MB | heapTotal MB | external MB | listeners | handles | fds | threads | validator alive | gateways' RSS MB | CPU % | ELD max ms | faults (not ready) |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}

### Memory: warm-up against the end

| | warm-up ${clock(warm[0])}-${clock(warm[1])} (${warmS.length} samples) | last ${clock(last[0])}-${clock(endS)} (${lastS.length} samples) | difference |
|---|---|---|---|
| RSS (median) | ${fmt(rssWarm, 1, " MB")} | ${fmt(rssLast, 1, " MB")} | ${signed(diff(rssWarm, rssLast), 1, " MB")}${pct(rssWarm, rssLast)} |
| heapUsed (median) | ${fmt(heapWarm, 1, " MB")} | ${fmt(heapLast, 1, " MB")} | ${signed(diff(heapWarm, heapLast), 1, " MB")}${pct(heapWarm, heapLast)} |
| external (median) | ${fmt(extWarm, 1, " MB")} | ${fmt(extLast, 1, " MB")} | ${signed(diff(extWarm, extLast), 1, " MB")}${pct(extWarm, extLast)} |
${
  forced
    ? `| heapUsed after a full GC (median) | ${fmt(keptWarm, 1, " MB")} | ${fmt(keptLast, 1, " MB")} | ${signed(diff(keptWarm, keptLast), 1, " MB")}${pct(keptWarm, keptLast)} |
${
        codeWarm === undefined
          ? ""
          : `|   of it compiled code and bytecode (V8's code and trusted spaces) | ${fmt(codeWarm, 1, " MB")} | ${fmt(codeLast, 1, " MB")} | ${signed(diff(codeWarm, codeLast), 1, " MB")}${pct(codeWarm, codeLast)} |
|   of it everything else (the host's data) | ${fmt(dataWarm, 1, " MB")} | ${fmt(dataLast, 1, " MB")} | ${signed(diff(dataWarm, dataLast), 1, " MB")}${pct(dataWarm, dataLast)} |
`
      }| RSS after a full GC (median) | ${fmt(gcRssWarm, 1, " MB")} | ${fmt(gcRssLast, 1, " MB")} | ${signed(diff(gcRssWarm, gcRssLast), 1, " MB")}${pct(gcRssWarm, gcRssLast)} |
`
    : ""
}| samples with the validator alive | ${warmS.filter((s) => s.validatorAlive).length} of ${warmS.length} | ${lastS.filter((s) => s.validatorAlive).length} of ${lastS.length} | |
| watchdog RSS (median) | ${fmt(medOf(warmS.filter((s) => s.watchdogRssMb !== undefined), (s) => s.watchdogRssMb!), 1, " MB")} | ${fmt(medOf(lastS.filter((s) => s.watchdogRssMb !== undefined), (s) => s.watchdogRssMb!), 1, " MB")} | |

Least-squares slope from the warm-up's start to the end: RSS ${signed(rssSlope, 1, " MB/h")}, heapUsed ${signed(heapSlope, 1, " MB/h")}${
  forced ? `, heapUsed after a full GC ${signed(keptSlope, 1, " MB/h")}, RSS after a full GC ${signed(gcRssSlope, 1, " MB/h")}` : ""
}
(over ${after.length} samples; the validator's compile-and-release cycles make RSS saw, so read the slope with the table).
${
  rssWarm === undefined || rssLast === undefined
    ? "Too short a run to compare the windows."
    : rssLast - rssWarm > Math.max(5, rssWarm * 0.05)
      ? `**RSS grew** by ${fmt(rssLast - rssWarm, 1, " MB")} between the windows${lastS.some((s) => s.validatorAlive) !== warmS.some((s) => s.validatorAlive) ? " (the validator was alive in one window and not the other: compare the rows above)" : ""}.`
      : rssLast - rssWarm < -Math.max(5, rssWarm * 0.05)
        ? `RSS fell by ${fmt(rssWarm - rssLast, 1, " MB")} between the windows.`
        : `RSS in the last window is within 5 % (and 5 MB) of the warm-up window's.`
}

### The config validator

${
  validatorRows.length === 0
    ? "No validator process was started (no config update validated)."
    : `${validatorRows.length} validator ${validatorRows.length === 1 ? "life" : "lives"}, each a child process of the host (clawhost ends it after 30 s without a request; each burst starts a new one, which loads the compiled schema from its cache).
RSS columns are the host process's; the validator's own peak is the last column.

| # | created | released (lived) | RSS at create MB | peak RSS at a sample while alive MB | RSS at release MB | RSS 10 s after MB | peak - after | validator's own peak MB |
|---|---|---|---|---|---|---|---|---|
${validatorRows.join("\n")}

Samples after the warm-up started: RSS median ${fmt(median(withV.map((s) => s.rssMb)), 1, " MB")} with the validator alive (${withV.length} samples),
${fmt(median(withoutV.map((s) => s.rssMb)), 1, " MB")} without it after its first release (${withoutV.length} samples): ${signed(diff(median(withoutV.map((s) => s.rssMb)), median(withV.map((s) => s.rssMb))), 1, " MB")} while alive.
Threads: ${range(after.filter((s) => s.validatorAlive).map((s) => s.threads))} with it, ${range(after.filter((s) => !s.validatorAlive).map((s) => s.threads))} without.`
}

### Listeners, handles, descriptors

${flat("Listeners on the host", (s) => s.hostListeners)}
${flat("Listeners on the two gateways", (s) => s.gatewayListeners)}
${flat("Active handles and requests (`getActiveResourcesInfo`)", (s) => s.handles)}
${flat("Open file descriptors", (s) => s.fds)}
${flat("Threads", (s) => s.threads)}

Handle types at the last sample of the warm-up window: ${Object.entries(handleTypesWarm).map(([k, v]) => `${k} ${v}`).join(", ") || "none"};
at the last sample of the run: ${Object.entries(handleTypesLast).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}.
The bench's own sampler timer and pauses are among them; a sample taken while a fault is being
handled also holds that fault's sockets and child processes.

## Events seen by the consumer

${Object.entries(allEvents)
  .sort()
  .map(([k, v]) => `\`${k}\` ${v}`)
  .join(", ")}; ${result?.logLines ?? samples.at(-1)?.logLines ?? 0} log lines, ${fmt((result?.logBytes ?? samples.at(-1)?.logBytes ?? 0) / 1024, 0, " KiB")}.

## End

${
  result
    ? `\`stopAll()\` took ${fmt(result.stopAllS, 2, " s")}${result.stopError ? ` and **failed**: ${result.stopError}` : ""}. Host process RSS after the stop ${fmt(result.rssAfterStopMb, 1, " MB")};
after dispose ${result.listenersAfterDispose} listeners on the host and gateways (the bench's subscriptions), handles: ${result.handlesAfterDispose.join(", ") || "none"}.`
    : "The host process did not report a result."
}
Helper processes seen: ${run.helpers.length ? run.helpers.map((h) => `\`${h}\``).join(", ") : "none"}.
${leftovers.length ? `**Processes left behind (killed by the bench):** ${leftovers.join("; ")}` : "No gateway, broker or watchdog process was left (checked by the host process after dispose and by the bench after it exited)."}
Temp dirs ${run.tempRemoved ? "removed" : "**not removed**"}.

## Every fault

| # | at | gateway | kind | ready again after | detail |
|---|---|---|---|---|---|
${everyFault || "| | | | | | none |"}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dataFile, out] = process.argv.slice(2);
  if (!dataFile) throw new Error("usage: node bench/soak-report.ts <data.json> [out.md]");
  const md = renderSoakReport(JSON.parse(readFileSync(dataFile, "utf8")) as SoakRun);
  if (out) writeFileSync(out, md);
  else process.stdout.write(md);
}
