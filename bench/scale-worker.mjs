// One measured side of the scale bench, in a fresh process (so its CPU and RSS are its
// own; plain JS, because loading TypeScript type stripping alone adds ~18 MB of RSS).
// Modes (config: WorkerConfig in scale.ts, one JSON argument; result: WorkerResult):
//   clawhost  one GatewayHost supervising N fake gateways; measures itself (CPU, RSS,
//             event-loop delay).
//   pm2       PM2 (own PM2_HOME, from the parent's env) supervising the same N fakes with
//             the env and argv clawhost would give them; the parent measures the daemon.
//   floor     an idle process that imported clawhost, with the same delay monitors:
//             the measurement's own cost.
// Talks to the parent in stdout lines starting with "@bench " (JSON); other stdout lines
// (PM2 prints some) are the parent's to forward.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
// node:http (PM2's side polls /healthz) and node:inspector (--profile) are imported where
// they are used: an ESM import of node:http alone adds ~3 MB to the measuring process's RSS.

const cfg = JSON.parse(process.argv[2]);
const RES = cfg.resolutionMs;
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
const send = (msg) => void process.stdout.write(`@bench ${JSON.stringify(msg)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const marker = `=${cfg.fleetRoot}/`;

// /proc/<pid>/stat after the command name: [0] state, [11] utime, [12] stime (clock ticks).
const stat = (pid) => {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    return raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
};
const cpuTicks = (pid) => {
  const f = stat(pid);
  return f ? Number(f[11]) + Number(f[12]) : undefined;
};
const isAlive = (pid) => !["Z", "X", undefined].includes(stat(pid)?.[0]);
const statusMb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync("/proc/self/status", "utf8"))?.[1]) / 1024;
/** Live processes carrying the fleet's directory in their env: gateways and their brokers. */
const fleetPids = () =>
  readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .map(Number)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/environ`, "latin1").includes(marker) && isAlive(p);
      } catch {
        return false;
      }
    });

// The histogram's values are whole timer intervals: the delay is what exceeds the resolution.
const eld = (h) => ({
  p99: h.count === 0 ? 0 : Math.max(0, h.percentile(99) / 1e6 - RES),
  max: h.count === 0 ? 0 : Math.max(0, h.max / 1e6 - RES),
  count: h.count,
});

/**
 * One delay monitor at a time (each is a timer firing every RES ms, whose cost would count
 * as the host's): the whole run is the sum of the part before the idle window, the window
 * itself and the part after it.
 */
async function monitor() {
  const h = monitorEventLoopDelay({ resolution: RES });
  h.enable();
  // The first timer tick only sets the reference point: a stall before it is not seen.
  await sleep(3 * RES);
  return h;
}
const parts = [];
/** End a monitor; the whole run is made of the parts ended so far. */
function retire(h) {
  h.disable();
  parts.push({ count: h.count, max: h.max, cdf: [...h.percentiles].map(([p, v]) => ({ p: p / 100, v })) });
  return h;
}
/**
 * The parts as one histogram: its p99 is the least recorded value at which the parts'
 * cumulative shares, weighted by their counts, reach 99 % (exact to the histograms' own
 * resolution; Node cannot add an event-loop histogram to another).
 */
function wholeRun() {
  const count = parts.reduce((a, x) => a + x.count, 0);
  const max = Math.max(0, ...parts.map((x) => x.max));
  const share = (x, v) => x.cdf.reduce((a, c) => (c.v <= v ? Math.max(a, c.p) : a), 0);
  const values = [...new Set(parts.flatMap((x) => x.cdf.map((c) => c.v)))].sort((a, b) => a - b);
  const p99 = values.find((v) => parts.reduce((a, x) => a + x.count * share(x, v), 0) >= 0.99 * count) ?? max;
  return { count, max, percentile: () => p99 };
}

/**
 * After the idle window, at the largest N only: idle on for cfg.settleMs while the parent
 * samples the supervisor's RSS from outside. No delay monitor runs meanwhile (the event-loop
 * figures cover the run without it). Returns V8's spaces at its end (clawhost's side).
 */
async function settle() {
  if (!(cfg.settleMs > 0)) return undefined;
  send({ type: "settle-start" });
  await sleep(cfg.settleMs);
  send({ type: "settle-end" });
  return spaces();
}
const spaces = () =>
  Object.fromEntries(getHeapSpaceStatistics().filter((x) => x.space_size > 0).map((x) => [x.space_name, { sizeMb: x.space_size / 2 ** 20, usedMb: x.space_used_size / 2 ** 20 }]));

/**
 * Idle for two windows of cfg.idleMs each: first CPU and RSS with no delay monitor running
 * (a monitor is a timer of its own, whose wake-ups would count as the host's CPU), then the
 * loop delay with one. Returns the figures of both.
 */
async function idleWindow(before) {
  retire(before);
  const session = cfg.profile ? new (await import("node:inspector/promises")).Session() : undefined;
  if (session) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 500 });
    await session.post("Profiler.start");
  }
  send({ type: "idle-start", supervisorPid: process.pid });
  const c0 = cpuTicks("self");
  const w0 = performance.now();
  await sleep(cfg.idleMs);
  const c1 = cpuTicks("self");
  const w1 = performance.now();
  send({ type: "idle-end" });
  const out = {
    idleWallMs: w1 - w0,
    idleCpuPct: ((c1 - c0) / CLK_TCK / ((w1 - w0) / 1000)) * 100,
    rssMb: statusMb("VmRSS"),
    hwmMb: statusMb("VmHWM"),
    // Where the RSS is: file-backed pages (Node's own binary, shared) and V8's spaces (committed / used).
    rssFileMb: statusMb("RssFile"),
    rssAnonMb: statusMb("RssAnon"),
    heapSpaces: spaces(),
  };
  const profileTop = session ? summarize((await session.post("Profiler.stop")).profile) : undefined;
  session?.disconnect();
  // The delay window: its first tick only sets the reference point, so it starts after it.
  const h = await monitor();
  await sleep(cfg.idleMs);
  retire(h);
  return { ...out, eldIdle: eld(h), ...(profileTop ? { profileTop } : {}) };
}

/** Self time by function over a CPU profile, heaviest first, idle excluded. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const n = byId.get(samples[i]);
    const us = deltas[i + 1] ?? 0;
    if (!n || n.callFrame.functionName === "(idle)") continue;
    const f = n.callFrame;
    const where = f.url ? ` ${f.url.replace(/^.*\/(node_modules|dist|bench)\//, "$1/")}:${f.lineNumber + 1}` : "";
    const key = `${f.functionName || "(anonymous)"}${where}`;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10, pct: Math.round((us / total) * 1000) / 10 }));
}

async function waitGone(deadlineMs) {
  const end = performance.now() + deadlineMs;
  while (fleetPids().length > 0 && performance.now() < end) await sleep(20);
}

let stopOnError;

async function runClawhost() {
  const { GatewayHost } = await import("clawhost");
  mkdirSync(cfg.fleetRoot, { recursive: true });
  mkdirSync(cfg.leaseDir, { recursive: true, mode: 0o700 });
  const before = await monitor();
  const host = new GatewayHost({ root: cfg.fleetRoot, leaseDir: cfg.leaseDir, ports: cfg.ports, openclaw: { bin: cfg.bin } });
  stopOnError = () => host.stopAll();
  let incidents = 0;
  host.on("gateway:exit", () => incidents++);
  host.on("gateway:unhealthy", () => incidents++);
  const ta = performance.now();
  for (let i = 0; i < cfg.n; i++) await host.add({ name: `g${i}` });
  const setupMs = performance.now() - ta;
  const t0 = performance.now();
  await host.startAll();
  const readyMs = performance.now() - t0;
  const notReady = host.list().filter((g) => g.state !== "ready");
  if (notReady.length > 0) throw new Error(`${notReady.length} gateways not ready after startAll()`);
  const idle = await idleWindow(before);
  const idleIncidents = incidents;
  const settledHeapSpaces = await settle();
  // Its first tick only sets the reference point: enabled, and that tick passed, before the stop.
  const after = await monitor();
  const ts = performance.now();
  await host.stopAll();
  const stopMs = performance.now() - ts;
  retire(after);
  await waitGone(10_000);
  const goneMs = performance.now() - ts;
  const leftovers = fleetPids();
  const gatewayNode = host.runtime.node;
  await host[Symbol.asyncDispose]();
  return { mode: "clawhost", n: cfg.n, pid: process.pid, setupMs, readyMs, ...idle, settledHeapSpaces, eldWhole: eld(wholeRun()), stopMs, goneMs, gatewayNode, incidents: idleIncidents, leftovers };
}

/** True when `port` binds on 127.0.0.1 right now. */
function canBind(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(true)));
  });
}
async function pickBases(n) {
  const out = [];
  // clawhost's grid: 120 apart from the range's start; base and base+2 must be free.
  for (let base = cfg.ports.from; out.length < n && base + 110 <= cfg.ports.to; base += 120) {
    if ((await canBind(base)) && (await canBind(base + 2))) out.push(base);
  }
  if (out.length < n) throw new Error(`only ${out.length} free port blocks for ${n} gateways`);
  return out;
}

async function httpStatus(port, path) {
  const { get } = await import("node:http");
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => {
      req.destroy();
      resolve(0);
    });
  });
}

async function runPm2() {
  const pm2Home = process.env.PM2_HOME;
  if (!pm2Home) throw new Error("PM2_HOME must be set (never touch ~/.pm2)");
  const { default: pm2 } = await import("pm2");
  const cb = (f) => new Promise((resolve, reject) => f((err, v) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(v))));
  const tc = performance.now();
  await cb((done) => pm2.connect(done));
  const setupMs = performance.now() - tc;
  const daemonPid = Number(readFileSync(join(pm2Home, "pm2.pid"), "utf8").trim());

  // What clawhost gives each gateway: its own dirs, config file, token, isolation env, argv.
  const bases = await pickBases(cfg.n);
  const apps = bases.map((port, i) => {
    const dir = join(cfg.fleetRoot, `g${i}`);
    const d = (sub) => {
      const p = join(dir, sub);
      mkdirSync(p, { recursive: true, mode: 0o700 });
      return p;
    };
    const [configDir, stateDir, workspace, logs, home, tmp, cache, run] = ["config", "state", "workspace", "logs", "home", "tmp", "cache", "run"].map(d);
    const configPath = join(configDir, "openclaw.json");
    writeFileSync(configPath, `${JSON.stringify({ gateway: { mode: "local" }, logging: { file: join(logs, "openclaw.log") } }, null, 2)}\n`, { mode: 0o600 });
    return {
      name: `g${i}`,
      script: cfg.bin,
      interpreter: cfg.node,
      args: ["gateway", "--allow-unconfigured", "--port", String(port), "--bind", "loopback"],
      cwd: run,
      env: {
        HOME: home,
        TMPDIR: tmp,
        XDG_CONFIG_HOME: join(home, ".config"),
        XDG_DATA_HOME: join(home, ".local", "share"),
        XDG_STATE_HOME: join(home, ".local", "state"),
        XDG_CACHE_HOME: cache,
        OPENCLAW_STATE_DIR: stateDir,
        OPENCLAW_CONFIG_PATH: configPath,
        OPENCLAW_WORKSPACE_DIR: workspace,
        OPENCLAW_GATEWAY_TOKEN: randomBytes(32).toString("hex"),
        OPENCLAW_DISABLE_BONJOUR: "1",
        OPENCLAW_NO_RESPAWN: "1",
        OPENCLAW_SKIP_CHANNELS: "1",
        OPENCLAW_EXEC_SHELL_SNAPSHOT: "0",
      },
    };
  });

  const t0 = performance.now();
  let spawnedMs = 0;
  const started = cb((done) => pm2.start({ apps }, done)).then(() => {
    spawnedMs = performance.now() - t0;
  });
  // Every port not yet healthy (then ready) every 100 ms, one short connection each.
  const pending = new Map(bases.map((p) => [p, "/healthz"]));
  let readyMs = 0;
  while (pending.size > 0) {
    await Promise.all(
      [...pending].map(async ([port, path]) => {
        if ((await httpStatus(port, path)) !== 200) return;
        if (path === "/healthz") pending.set(port, "/readyz");
        else pending.delete(port);
      }),
    );
    if (!readyMs && [...pending.values()].every((p) => p === "/readyz")) readyMs = performance.now() - t0;
    if (performance.now() - t0 > 300_000) throw new Error(`pm2: ${pending.size} gateways not up after 300 s`);
    if (pending.size > 0) await sleep(100);
  }
  const readyzMs = performance.now() - t0;
  await started;
  const restarts = async () => (await cb((done) => pm2.list(done))).reduce((a, p) => a + (p.pm2_env?.restart_time ?? 0), 0);
  const restarts0 = await restarts();

  send({ type: "idle-start", supervisorPid: daemonPid });
  await sleep(cfg.idleMs);
  send({ type: "idle-end" });
  // clawhost's side idles on for its delay window: the settle starts as long after ready.
  await sleep(cfg.idleMs);
  const incidents = (await restarts()) - restarts0;
  await settle();

  const ts = performance.now();
  await cb((done) => pm2.delete("all", done));
  const stopMs = performance.now() - ts;
  await waitGone(10_000);
  const goneMs = performance.now() - ts;
  const tk = performance.now();
  await Promise.race([cb((done) => pm2.killDaemon(done)), sleep(5_000)]);
  pm2.disconnect();
  while (isAlive(daemonPid) && performance.now() - tk < 10_000) await sleep(20);
  const daemonKillMs = performance.now() - tk;
  const leftovers = [...fleetPids(), ...(isAlive(daemonPid) ? [daemonPid] : [])];
  return { mode: "pm2", n: cfg.n, pid: process.pid, setupMs, readyMs, readyzMs, spawnedMs, stopMs, goneMs, daemonKillMs, daemonPid, gatewayNode: cfg.node, incidents, leftovers };
}

async function runFloor() {
  await import("clawhost");
  const before = await monitor();
  const idle = await idleWindow(before);
  return { mode: "floor", n: 0, pid: process.pid, ...idle, eldWhole: eld(wholeRun()), leftovers: [] };
}

try {
  const result = cfg.mode === "clawhost" ? await runClawhost() : cfg.mode === "pm2" ? await runPm2() : await runFloor();
  send({ type: "result", result });
  process.exit(0);
} catch (err) {
  send({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  await stopOnError?.().catch(() => undefined);
  process.exit(1);
}
