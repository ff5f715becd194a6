// The soak's host process: one GatewayHost with two gateways, faults on a seeded PRNG
// (kill -9, SIGSTOP, a burst of concurrent config updates), a sample of its own memory,
// listeners, handles and threads every few seconds, and at the end a stop, a dispose and
// a look for anything left. Started by bench/soak.ts; talks to it in stdout lines that
// start with "@soak " (JSON). Everything it measures is this process: the host as a
// consumer's process would carry it.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Gateway, GatewayExitInfo, GatewayReadyInfo, GatewayUnhealthyInfo } from "clawhost";
import { heapInUse } from "./heap.ts";
import { CLK_TCK, cpuTicks, isAlive, sleep } from "./procfs.ts";
import type { FaultKind, FaultRecord, Incident, SoakMessage, SoakSample, SoakWorkerConfig, SoakWorkerResult, ValidatorLife } from "./soak-report.ts";

const cfg = JSON.parse(process.argv[2]!) as SoakWorkerConfig;
const send = (msg: SoakMessage): void => void process.stdout.write(`@soak ${JSON.stringify(msg)}\n`);
const t0 = performance.now();
/** Seconds since this process started measuring (before `new GatewayHost()`). */
const now = (): number => (performance.now() - t0) / 1000;
const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

function status(): { rssKb: number; threads: number } {
  const s = readFileSync("/proc/self/status", "utf8");
  return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0), threads: Number(/Threads:\s+(\d+)/.exec(s)?.[1] ?? 0) };
}
const rssMb = (): number => Math.round((status().rssKb / 1024) * 10) / 10;

// ---- the config validator: a child process of this one (clawhost-config-validator),
// seen by a 1 s look at this process's children (/proc/self/task/*/children) -----------
const validators: ValidatorLife[] = [];
let validatorsAlive = 0;
const VALIDATOR_TITLE = "clawhost-config-validator";
function ownChildren(): number[] {
  const pids: number[] = [];
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      pids.push(...readFileSync(`/proc/self/task/${tid}/children`, "utf8").split(" ").filter(Boolean).map(Number));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return pids;
}
const hwmMb = (pid: number): number | undefined => {
  try {
    const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return Number.isFinite(kb) ? Math.round((kb / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
};
setInterval(() => {
  const live = new Set(
    ownChildren().filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith(VALIDATOR_TITLE) && isAlive(pid);
      } catch {
        return false;
      }
    }),
  );
  for (const pid of live) {
    let life = validators.find((v) => v.pid === pid && v.exitedAtS === undefined);
    if (!life) {
      life = { pid, createdAtS: now(), rssAtCreateMb: rssMb(), peakRssMb: rssMb() };
      validators.push(life);
      validatorsAlive++;
    }
    life.ownPeakMb = hwmMb(pid) ?? life.ownPeakMb;
  }
  for (const life of validators) {
    if (life.exitedAtS !== undefined || live.has(life.pid)) continue;
    validatorsAlive--;
    life.exitedAtS = now();
    life.rssAtExitMb = rssMb();
    setTimeout(() => {
      life.rssAfter10sMb = rssMb();
    }, 10_000).unref();
  }
}, 1_000).unref();

// ---- seeded PRNG (mulberry32) --------------------------------------------------------
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(cfg.seed);
const KINDS: FaultKind[] = ["kill9", "sigstop", "config-burst"];
let round: FaultKind[] = [];
/** Kinds come in shuffled rounds of all three, so their counts stay even over a run. */
function nextKind(): FaultKind {
  if (round.length === 0) {
    round = [...KINDS];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j]!, round[i]!];
    }
  }
  return round.shift()!;
}

// ---- the host -------------------------------------------------------------------------
const rssAtStartMb = rssMb();
const { GatewayHost } = await import("clawhost");
const rssAfterImportMb = rssMb();

const host = new GatewayHost({
  root: cfg.root,
  leaseDir: cfg.leaseDir,
  ports: cfg.ports,
  ...(cfg.bin ? { openclaw: { bin: cfg.bin } } : {}),
  restart: cfg.restart,
  liveness: cfg.liveness,
  ...(cfg.replay !== undefined ? { events: { replay: cfg.replay } } : {}),
  ...(cfg.ringSize !== undefined ? { logs: { ringSize: cfg.ringSize } } : {}),
});
let stopping = false;
// Ctrl-C reaches this process too (same process group), or the parent sends SIGTERM: end
// the gateways here rather than leave them to the watchdog.
const onSignal = (): void => {
  if (stopping) return;
  stopping = true;
  void host
    .stopAll({ timeoutMs: 5_000 })
    .catch(() => undefined)
    .finally(() => process.exit(143));
};
process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);

// A consumer's subscriptions, for the whole run: every fanned-in event is counted, log
// lines by number and bytes (nothing is kept).
const events: Record<string, number> = {};
let logLines = 0;
let logBytes = 0;
const count = (name: string): void => void (events[name] = (events[name] ?? 0) + 1);
const warnings: SoakWorkerResult["warnings"] = [];
const incidents: Incident[] = [];
/** The fault under way per gateway, so exits and unhealthy reports it did not cause stand out. */
const activeFault = new Map<string, FaultKind>();
host.on("gateway:state", () => count("gateway:state"));
host.on("gateway:ready", () => count("gateway:ready"));
host.on("gateway:backoff", () => count("gateway:backoff"));
host.on("gateway:config", () => count("gateway:config"));
host.on("gateway:lease-moved", () => count("gateway:lease-moved"));
host.on("gateway:log", (_gw, line) => {
  count("gateway:log");
  logLines++;
  logBytes += Buffer.byteLength(line.line);
});
host.on("gateway:warning", (gw, w) => {
  count("gateway:warning");
  warnings.push({ atS: now(), gateway: gw.name, code: w.code, message: w.message });
});
host.on("gateway:exit", (gw, info) => {
  count("gateway:exit");
  // A config burst is answered by in-place restarts, never by an exit.
  const fault = activeFault.get(gw.name);
  if (!stopping && (fault === undefined || fault === "config-burst")) incidents.push({ atS: now(), gateway: gw.name, event: "exit", detail: `${info.reason} (code ${info.code}, signal ${info.signal})` });
});
host.on("gateway:unhealthy", (gw, info) => {
  count("gateway:unhealthy");
  if (!stopping && activeFault.get(gw.name) !== "sigstop") incidents.push({ atS: now(), gateway: gw.name, event: "unhealthy", detail: info.reason });
});

const gateways: Gateway[] = [];
async function setUp(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const gw = await host.add({ name: `soak${i}` });
    // Pushed protocol frames (ticks, shutdown) as a consumer following the gateway would see them.
    gw.on("event", () => count("event"));
    gateways.push(gw);
  }
  const tStart = now();
  await host.startAll({ timeoutMs: cfg.recoveryDeadlineMs });
  const startAllS = now() - tStart;
  const rssAfterReadyMb = rssMb();
  send({
    type: "started",
    pid: process.pid,
    openclawVersion: host.runtime.openclawVersion,
    gatewayNode: host.runtime.nodeVersion,
    openclawEntry: host.runtime.entry,
    ports: gateways.map((g) => g.context.ports.gateway),
    liveness: gateways[0]!.supervision.liveness,
    restart: gateways[0]!.supervision.restart,
    startAllS,
    rssAtStartMb,
    rssAfterImportMb,
    rssAfterReadyMb,
  });
}

// ---- sampling -----------------------------------------------------------------------
/** Listeners the bench itself holds for a moment while it waits for an event (not clawhost's). */
let benchWaitListeners = 0;
function listeners(em: { eventNames(): Array<string | symbol>; listenerCount(e: never): number }): number {
  return em.eventNames().reduce((n, e) => n + em.listenerCount(e as never), 0);
}
function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}
const eld = monitorEventLoopDelay({ resolution: 20 });
eld.enable();
let lastCpu = { ticks: cpuTicks("self") ?? 0, t: performance.now() };
function sample(): SoakSample {
  const mem = process.memoryUsage();
  const { rssKb, threads } = status();
  const handleTypes: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) handleTypes[r] = (handleTypes[r] ?? 0) + 1;
  const ticks = cpuTicks("self") ?? 0;
  const t = performance.now();
  const cpuPct = ((ticks - lastCpu.ticks) / CLK_TCK / ((t - lastCpu.t) / 1000)) * 100;
  lastCpu = { ticks, t };
  const rss = rssKb / 1024;
  for (const v of validators) if (v.exitedAtS === undefined) v.peakRssMb = Math.max(v.peakRssMb, Math.round(rss * 10) / 10);
  const s: SoakSample = {
    atS: Math.round(now() * 10) / 10,
    rssMb: Math.round(rss * 10) / 10,
    heapUsedMb: mb(mem.heapUsed),
    heapTotalMb: mb(mem.heapTotal),
    externalMb: mb(mem.external),
    arrayBuffersMb: mb(mem.arrayBuffers),
    hostListeners: listeners(host),
    gatewayListeners: gateways.reduce((n, g) => n + listeners(g), 0) - benchWaitListeners,
    handles: Object.values(handleTypes).reduce((a, b) => a + b, 0),
    handleTypes,
    fds: openFds(),
    threads,
    validatorAlive: validatorsAlive > 0,
    cpuPct: Math.round(cpuPct * 100) / 100,
    // Node records whole timer intervals: the delay is what exceeds the resolution.
    eldP99Ms: eld.count === 0 ? 0 : Math.max(0, Math.round((eld.percentile(99) / 1e6 - 20) * 10) / 10),
    eldMaxMs: eld.count === 0 ? 0 : Math.max(0, Math.round((eld.max / 1e6 - 20) * 10) / 10),
    gateways: gateways.map((g) => {
      const r = g.resources;
      return { name: g.name, state: g.state, rssMb: r ? mb(r.rssBytes) : undefined, processes: r?.processes };
    }),
    events: { ...events },
    logLines,
    logBytes,
  };
  eld.reset();
  if (cfg.forcedGc) {
    // The readings above are the host's as it runs; this one tells what it retains.
    (globalThis as { gc?: () => void }).gc!();
    // Compiled code and bytecode apart from the data the host keeps.
    s.afterGc = { heapUsedMb: mb(process.memoryUsage().heapUsed), codeMb: mb(heapInUse().codeBytes), rssMb: Math.round((status().rssKb / 1024) * 10) / 10 };
  }
  return s;
}

// ---- waiting for events (listeners removed on every path) -----------------------------
/** The first `event` of `gw` that `accept` takes, or undefined at the deadline. */
function waitForEvent<T>(gw: Gateway, event: "ready" | "unhealthy" | "exit", accept: (payload: T) => boolean, deadlineAt: number): Promise<{ atS: number; payload: T } | undefined> {
  return new Promise((resolve) => {
    const listener = (payload: T): void => {
      if (accept(payload)) finish({ atS: now(), payload });
    };
    const timer = setTimeout(() => finish(undefined), Math.max(0, deadlineAt - performance.now()));
    const finish = (v: { atS: number; payload: T } | undefined): void => {
      clearTimeout(timer);
      gw.off(event, listener as never);
      benchWaitListeners--;
      resolve(v);
    };
    benchWaitListeners++;
    gw.on(event, listener as never);
  });
}

/** When `gw` is ready again with a boot `accept` takes (seconds since start), or undefined at the deadline. */
async function readyAgain(gw: Gateway, accept: (info: GatewayReadyInfo) => boolean, deadlineAt: number): Promise<number | undefined> {
  return (await waitForEvent<GatewayReadyInfo>(gw, "ready", accept, deadlineAt))?.atS;
}

// ---- the faults ---------------------------------------------------------------------
const faults: FaultRecord[] = [];
const burstKeys = new Map<string, string[]>();
let keyNo = 0;

async function injectKill9(gw: Gateway, rec: FaultRecord): Promise<void> {
  const pid = gw.pid!;
  const deadline = performance.now() + cfg.recoveryDeadlineMs;
  const exit = waitForEvent<GatewayExitInfo>(gw, "exit", () => true, deadline);
  const ready = readyAgain(gw, (i) => i.pid !== pid, deadline);
  const at = now();
  process.kill(pid, "SIGKILL");
  const [e, r] = await Promise.all([exit, ready]);
  rec.detail = e ? `exit ${e.payload.reason} after ${((e.atS - at) * 1000).toFixed(0)} ms` : "no exit event";
  if (r !== undefined) rec.recoveryS = r - at;
  rec.oldPidGone = !isAlive(pid);
}

async function injectSigstop(gw: Gateway, rec: FaultRecord): Promise<void> {
  const pid = gw.pid!;
  const deadline = performance.now() + cfg.recoveryDeadlineMs;
  const unhealthy = waitForEvent<GatewayUnhealthyInfo>(gw, "unhealthy", () => true, deadline);
  const ready = readyAgain(gw, (i) => i.pid !== pid, deadline);
  const at = now();
  process.kill(pid, "SIGSTOP");
  const [u, r] = await Promise.all([unhealthy, ready]);
  if (u) rec.detectS = u.atS - at;
  rec.detail = u ? `unhealthy after ${(u.atS - at).toFixed(1)} s (${u.payload.missed} missed)` : "never reported unhealthy";
  if (r !== undefined) rec.recoveryS = r - at;
  rec.oldPidGone = !isAlive(pid);
  if (!rec.oldPidGone) {
    // Missed: do not leave a stopped process behind.
    try {
      process.kill(pid, "SIGCONT");
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
}

async function injectBurst(gw: Gateway, rec: FaultRecord): Promise<void> {
  const previous = burstKeys.get(gw.name) ?? [];
  const keys = Array.from({ length: cfg.burst }, () => `SOAK_${keyNo++}`);
  const value = (k: string): string => `${k}-f${rec.n}`;
  const deadline = performance.now() + cfg.recoveryDeadlineMs;
  // Ready events after the last update resolved: an in-place restart that applies them.
  const readies: number[] = [];
  const onReady = (): void => void readies.push(now());
  benchWaitListeners++;
  gw.on("ready", onReady);
  const at = now();
  let lastResolvedS = at;
  const applied: Record<string, number> = {};
  let rejected = 0;
  const errors: string[] = [];
  try {
    await Promise.all(
      keys.map((k, i) => {
        // Each update sets its own key and deletes one of the previous burst's (merge-patch null).
        const vars: Record<string, string | null> = { [k]: value(k) };
        if (previous[i] !== undefined) vars[previous[i]!] = null;
        return gw.updateConfig({ env: { vars } }, { timeoutMs: cfg.recoveryDeadlineMs }).then(
          (r) => {
            applied[r.applied] = (applied[r.applied] ?? 0) + 1;
            lastResolvedS = Math.max(lastResolvedS, now());
          },
          (err: Error & { code?: string }) => {
            rejected++;
            if (errors.length < 3) errors.push(`${err.code ?? "error"}: ${err.message}`);
          },
        );
      }),
    );
    rec.burstS = lastResolvedS - at;
    let readyAt: number | undefined = now();
    let note = "";
    if ((applied.restart ?? 0) > 0) {
      // OpenClaw applies env.* by restarting in place after it answered: wait for that boot.
      // A "persisted" answer also counts as `restart` but may need none: when no restart has
      // begun 30 s after the last answer and the gateway still serves its boot, none follows.
      const seen = readies.find((t) => t > lastResolvedS);
      readyAt = seen ?? (await readyAgain(gw, () => true, Math.min(deadline, performance.now() + 30_000)));
      if (readyAt === undefined && gw.state !== "ready") readyAt = await readyAgain(gw, () => true, deadline);
      else if (readyAt === undefined) {
        readyAt = lastResolvedS;
        note = "; no in-place restart followed within 30 s";
      }
    }
    rec.inPlaceRestarts = readies.filter((t) => readyAt !== undefined && t <= readyAt).length;
    if (readyAt === undefined) note = "; **not ready again after the in-place restart**";
    else rec.recoveryS = readyAt - at;
    rec.detail = note;
  } finally {
    gw.off("ready", onReady);
    benchWaitListeners--;
  }
  const cfgOnDisk = await gw.readConfig();
  const vars = ((cfgOnDisk.env as { vars?: Record<string, unknown> } | undefined)?.vars ?? {}) as Record<string, unknown>;
  const kept = keys.filter((k) => vars[k] === value(k)).length;
  const staleLeft = previous.filter((k) => k in vars).length;
  const soakVars = Object.keys(vars).filter((k) => k.startsWith("SOAK_")).length;
  rec.config = { sent: keys.length, resolved: keys.length - rejected, rejected, kept, lost: keys.length - rejected - kept, previousDeleted: previous.length - staleLeft, previousLeft: staleLeft, soakVarsOnDisk: soakVars, applied, errors };
  rec.detail = `${kept}/${keys.length} kept, ${previous.length - staleLeft}/${previous.length} previous deleted, applied ${Object.entries(applied).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}${rejected ? `, ${rejected} rejected` : ""}${rec.inPlaceRestarts ? `, ${rec.inPlaceRestarts} in-place restart(s)` : ""}${rec.detail}`;
  burstKeys.set(gw.name, keys);
}

async function inject(n: number, gw: Gateway, kind: FaultKind): Promise<FaultRecord> {
  const rec: FaultRecord = { n, kind, gateway: gw.name, atS: now(), detail: "" };
  try {
    await gw.onReady({ timeoutMs: cfg.recoveryDeadlineMs });
  } catch (err) {
    rec.detail = `not ready before the fault: ${(err as Error).message}`;
    rec.skipped = true;
    return rec;
  }
  rec.atS = now();
  rec.pidBefore = gw.pid;
  activeFault.set(gw.name, kind);
  try {
    if (kind === "kill9") await injectKill9(gw, rec);
    else if (kind === "sigstop") await injectSigstop(gw, rec);
    else await injectBurst(gw, rec);
  } catch (err) {
    rec.detail = `${rec.detail} error: ${(err as Error).message}`.trim();
  } finally {
    activeFault.delete(gw.name);
  }
  rec.stateAfter = gw.state;
  if (rec.recoveryS === undefined && gw.state !== "ready") {
    // A miss: bring it back so the soak goes on (counted as a failure in the report).
    rec.restartedByBench = true;
    await gw.start({ timeoutMs: cfg.recoveryDeadlineMs }).catch((err: Error) => (rec.detail += `; bench's start() failed: ${err.message}`));
  }
  return rec;
}

/** Faults until too little time is left for another gap, then idle until the end. */
async function faultLoop(): Promise<void> {
  const endAt = cfg.durationMs / 1000;
  let n = 0;
  while (!stopping) {
    const gapS = cfg.gapS[0] + random() * (cfg.gapS[1] - cfg.gapS[0]);
    if (now() + gapS >= endAt) break;
    await sleep(gapS * 1000);
    const gw = gateways[n % gateways.length]!;
    const rec = await inject(++n, gw, nextKind());
    faults.push(rec);
    send({ type: "fault", fault: rec });
  }
  if (now() < endAt) await sleep((endAt - now()) * 1000);
}

// ---- the end: stop, dispose, and look for anything left --------------------------------
async function finish(): Promise<void> {
  stopping = true;
  const snapshot = host.snapshot();
  const ts = performance.now();
  let stopError: string | undefined;
  try {
    await host.stopAll();
  } catch (err) {
    stopError = (err as Error).message;
  }
  const stopAllS = (performance.now() - ts) / 1000;
  await host[Symbol.asyncDispose]();
  eld.disable();
  const result: SoakWorkerResult = {
    faults,
    incidents,
    warnings,
    validators,
    events: { ...events },
    logLines,
    logBytes,
    restarts: Object.fromEntries(snapshot.gateways.map((g) => [g.name, g.restarts])),
    stopAllS,
    stopError,
    leftovers: leftovers(),
    rssAfterStopMb: rssMb(),
    listenersAfterDispose: listeners(host) + gateways.reduce((a, g) => a + listeners(g), 0),
    handlesAfterDispose: process.getActiveResourcesInfo(),
  };
  send({ type: "result", result });
}

/** Live processes (not this one) whose environment or cwd lies under the fleet's root. */
function leftovers(): string[] {
  const out: string[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    const pid = Number(d);
    let hit = false;
    try {
      hit = readFileSync(`/proc/${pid}/environ`, "latin1").includes(`=${cfg.root}/`);
    } catch {
      // Gone, or not ours.
    }
    try {
      hit ||= (readlinkSync(`/proc/${pid}/cwd`) + "/").startsWith(`${cfg.root}/`);
    } catch {
      // Gone.
    }
    if (hit && isAlive(pid)) {
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 100);
      } catch {
        // Gone.
      }
      out.push(`${pid} ${cmd}`);
    }
  }
  return out;
}

try {
  await setUp();
  const sampler = setInterval(() => send({ type: "sample", sample: sample() }), cfg.sampleMs);
  await faultLoop();
  clearInterval(sampler);
  send({ type: "sample", sample: sample() });
  await finish();
  process.exit(0);
} catch (err) {
  send({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  stopping = true;
  await host.stopAll({ timeoutMs: 5_000 }).catch(() => undefined);
  process.exit(1);
}
