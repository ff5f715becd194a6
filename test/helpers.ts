import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import type { EventEmitter as NodeEventEmitter } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { Gateway, GatewayEvents, GatewayHost, HostEvents, HostOptions } from "clawhost";
import { descendantsOf, isAlive, listProcs, readCmdline, readProc } from "../src/fs/proc.js";
import type { ProcIdentity } from "../src/fs/proc.js";
import { canBind } from "../src/ports/probe.js";
import { resolveRuntime } from "../src/process/runtime.js";

/** The fault-injection gateway (test/fixtures/fake-openclaw), as an `openclaw.bin`. */
export const FAKE_OPENCLAW = fileURLToPath(new URL("./fixtures/fake-openclaw/openclaw.mjs", import.meta.url));

/**
 * The real OpenClaw the real-gateway suites run: the pinned devDependency, found with zero
 * configuration, or the executable `CLAWHOST_TEST_OPENCLAW_BIN` names (`npm run
 * test:compat -- <version>` sets it). `label` names the version when it is not the pinned one.
 */
export const REAL_OPENCLAW: { label: string; bin: string | undefined } = (() => {
  const bin = process.env.CLAWHOST_TEST_OPENCLAW_BIN || undefined;
  return { label: bin ? `openclaw-${resolveRuntime({ bin }).openclawVersion}` : "openclaw", bin };
})();

/** Host options of a real-gateway suite: `REAL_OPENCLAW.bin` as `openclaw.bin` when set. */
export function realHostOptions(root: string, ports: { from: number; to: number }): HostOptions {
  return { root, ports, ...(REAL_OPENCLAW.bin ? { openclaw: { bin: REAL_OPENCLAW.bin } } : {}) };
}

/**
 * How long a test waits for an event or a condition before it gives up with a message.
 * Only there so that a broken build fails instead of hanging: generous (real gateways take
 * 8-18 s to boot on 2 cores), below vitest's 180 s test timeout, never asserted on.
 */
export const DEADLINE_MS = 120_000;

/** A fresh directory for one test file; the returned function removes it. */
export function makeTmp(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `clawhost-test-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A process and all its descendants, as identities that survive pid reuse. */
export function treeOf(pid: number): ProcIdentity[] {
  const root = readProc(pid);
  if (!root) return [];
  return [root, ...descendantsOf(pid)].map((p) => ({ pid: p.pid, startTime: p.startTime }));
}

/** Members of `ids` that are still alive. */
export function stillAlive(ids: readonly ProcIdentity[]): ProcIdentity[] {
  return ids.filter(isAlive);
}

/** Children (and their descendants) of this test process. */
export function myDescendants(): ProcIdentity[] {
  return descendantsOf(process.pid).map((p) => ({ pid: p.pid, startTime: p.startTime }));
}

/** Processes whose cwd lies in one of `dirs` (a gateway's private cwd is `<root>/<name>/run`). */
export function processesUnder(dirs: Iterable<string>): ProcIdentity[] {
  const roots = [...dirs];
  if (roots.length === 0) return [];
  const out: ProcIdentity[] = [];
  for (const p of listProcs()) {
    if (p.pid === process.pid) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${p.pid}/cwd`);
    } catch {
      continue; // Gone, or not ours to read.
    }
    if (roots.some((r) => cwd === r || cwd.startsWith(`${r}/`))) out.push({ pid: p.pid, startTime: p.startTime });
  }
  return out;
}

/** TCP ports some socket listens on, any address, IPv4 and IPv6 (the kernel's tables). */
export function listeningTcpPorts(): Set<number> {
  const out = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue; // No IPv6.
    }
    for (const row of text.split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      if (cols[3] === "0A") out.add(Number.parseInt(cols[1]!.split(":").pop()!, 16));
    }
  }
  return out;
}

/** Ports of `start..end` that cannot be bound on 127.0.0.1 or ::1. */
export async function unbindablePorts(start: number, end: number): Promise<number[]> {
  const busy: number[] = [];
  for (let port = start; port <= end; port++) {
    if (!(await canBind(port, "127.0.0.1")) || !(await canBind(port, "::1"))) busy.push(port);
  }
  return busy;
}

/** A range of ports, both ends included. */
export interface PortSpan {
  start: number;
  end: number;
}

// ---- waiting on events and conditions, never on the clock ---------------------------

type AnyListener = (...args: any[]) => void;
interface Subscribable {
  on(event: string, fn: AnyListener): unknown;
  off(event: string, fn: AnyListener): unknown;
}

/**
 * Resolves with the arguments of the next `event` from `emitter` for which `predicate`
 * holds (like `events.once`, with a filter); rejects with a message naming the emitter and
 * the event when none came within `timeoutMs`. Call it before the action that causes the
 * event, then await it.
 *
 * @example
 * ```ts
 * const exited = nextEvent(gw, "exit", (e) => e.reason === "signal");
 * process.kill(gw.pid!, "SIGKILL");
 * const [exit] = await exited;
 * ```
 */
export function nextEvent<K extends keyof GatewayEvents>(
  emitter: Gateway,
  event: K,
  predicate?: (...args: GatewayEvents[K]) => boolean,
  timeoutMs?: number,
): Promise<GatewayEvents[K]>;
export function nextEvent<K extends keyof HostEvents>(
  emitter: GatewayHost,
  event: K,
  predicate?: (...args: HostEvents[K]) => boolean,
  timeoutMs?: number,
): Promise<HostEvents[K]>;
export function nextEvent(
  emitter: NodeEventEmitter | Subscribable,
  event: string,
  predicate?: (...args: any[]) => boolean,
  timeoutMs?: number,
): Promise<any[]>;
export function nextEvent(
  emitter: Subscribable,
  event: string,
  predicate: (...args: unknown[]) => boolean = () => true,
  timeoutMs: number = DEADLINE_MS,
): Promise<unknown[]> {
  const name = (emitter as { name?: unknown }).name;
  const label = typeof name === "string" ? `${name}: ` : "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`${label}no ${JSON.stringify(event)} event${predicate.length > 0 ? " matching the test's condition" : ""} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (...args: unknown[]): void => {
      let hit: boolean;
      try {
        hit = predicate(...args);
      } catch (err) {
        clearTimeout(timer);
        emitter.off(event, on);
        return reject(err as Error);
      }
      if (!hit) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(args);
    };
    emitter.on(event, on);
  });
}

/**
 * Resolves once `condition()` holds (checked now, then every 25 ms); rejects with
 * "timed out waiting for <what>" when it has not within `timeoutMs`. For states that
 * announce themselves with no event (a process gone, a file written by another process).
 */
export function waitUntil(condition: () => boolean, what: string, timeoutMs: number = DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) return resolve();
      if (Date.now() >= deadline) return reject(new Error(`timed out waiting for ${what} (${timeoutMs} ms)`));
      setTimeout(check, 25);
    };
    check();
  });
}

/**
 * Proof, as an event, that a restart delay of `host`'s policy has gone by since the call:
 * a witness gateway on `host` is started and SIGKILLed, and its own policy's backoff timer
 * fires (`backoff` -> `starting`); this resolves once the witness is ready again and
 * removed. A restart that any gateway in this process scheduled before the call, with no
 * longer a delay, was due before that. Use it (same policy, jitter 0) where a test must
 * show that something did NOT happen (nothing respawned, no loop) instead of sleeping.
 * Cheap when `host` runs the fault-injection gateway; needs a free block in its range.
 */
export async function restartDelayElapsed(host: GatewayHost, name = "witness"): Promise<void> {
  const witness = await host.add({ name });
  try {
    await witness.start();
    const restarted = nextEvent(witness, "state", (c) => c.from === "backoff" && c.to === "starting");
    const readyAgain = nextEvent(witness, "ready");
    process.kill(witness.pid!, "SIGKILL");
    await restarted;
    // Removed only once ready again: a stop() between a policy restart's "starting" and its
    // spawn is not this helper's subject (on today's code it hangs in "stopping").
    await readyAgain;
  } finally {
    await host.remove(name);
  }
}

// ---- what a test file must leave behind: nothing --------------------------------------

/**
 * Records what a test file's gateways use, for {@link expectNothingLeft}: every gateway
 * (of the hosts given, through their `gateway:*` fan-in), each process tree they ran
 * (sampled on their state, ready and first log line), the port blocks of those that ran
 * (a block only leased is not bound, and may overlap another file's range), and roots.
 */
export class GatewayWatch {
  readonly #hosts = new Set<GatewayHost>();
  readonly #gateways = new Set<Gateway>();
  readonly #procs = new Map<string, ProcIdentity>();
  readonly #blocks = new Map<string, PortSpan>();
  readonly #roots = new Set<string>();
  readonly #sampledPid = new WeakMap<Gateway, number>();
  readonly #ran = new Set<Gateway>();

  /** Watch every gateway of `host`, those added now and later. */
  host<H extends GatewayHost>(host: H): H {
    if (this.#hosts.has(host)) return host;
    this.#hosts.add(host);
    this.#roots.add(host.root);
    for (const gw of host.list()) this.gateway(gw);
    // A gateway's first event makes it known (its own listeners then take over).
    const discover = (gw: Gateway): void => {
      if (this.#gateways.has(gw)) return;
      this.gateway(gw);
      this.#sample(gw, true);
    };
    host.on("gateway:state", discover);
    host.on("gateway:ready", discover);
    host.on("gateway:log", discover);
    host.on("gateway:exit", (gw) => {
      discover(gw);
      this.#ran.add(gw);
    });
    return host;
  }

  /** Watch one gateway (a host's gateways are watched through {@link host}). */
  gateway(gw: Gateway): Gateway {
    if (this.#gateways.has(gw)) return gw;
    this.#gateways.add(gw);
    this.#roots.add(gw.context.dir);
    gw.on("state", () => this.#sample(gw, true));
    gw.on("ready", () => this.#sample(gw, true));
    gw.on("log", () => this.#sample(gw, false));
    gw.on("exit", () => this.#ran.add(gw));
    this.#sample(gw, true);
    return gw;
  }

  /** Processes started outside any watched gateway (a host in a worker process). */
  procs(ids: readonly ProcIdentity[]): void {
    for (const m of ids) this.#procs.set(`${m.pid}:${m.startTime}`, m);
  }

  /** A directory no process may be left in (a worker host's root). */
  root(dir: string): void {
    this.#roots.add(dir);
  }

  /** A port block no process may hold afterwards (a worker host's gateway's). */
  block(block: PortSpan): void {
    this.#blocks.set(`${block.start}..${block.end}`, block);
  }

  get hosts(): GatewayHost[] {
    return [...this.#hosts];
  }

  /** Dispose every watched host (idempotent). */
  async disposeHosts(): Promise<void> {
    const results = await Promise.allSettled(this.hosts.map((h) => h[Symbol.asyncDispose]()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Every gateway seen, including those still registered on a watched host. */
  get gateways(): Gateway[] {
    for (const h of this.#hosts) for (const gw of h.list()) this.gateway(gw);
    return [...this.#gateways];
  }

  get processes(): ProcIdentity[] {
    for (const gw of this.gateways) this.#sample(gw, true);
    return [...this.#procs.values()];
  }

  /** Blocks of the gateways that ran a process, and those given with {@link block}. */
  get blocks(): PortSpan[] {
    const blocks = new Map(this.#blocks);
    for (const gw of this.gateways) {
      if (!this.#ran.has(gw)) continue;
      const b = gw.context.ports.block;
      blocks.set(`${b.start}..${b.end}`, b);
    }
    return [...blocks.values()];
  }

  get roots(): string[] {
    return [...this.#roots];
  }

  #sample(gw: Gateway, always: boolean): void {
    const pid = gw.pid;
    if (pid === undefined || (!always && this.#sampledPid.get(gw) === pid)) return;
    this.#ran.add(gw);
    this.#sampledPid.set(gw, pid);
    this.procs(treeOf(pid));
  }
}

/** One entry of `<leaseDir>/leases.json`. */
interface StoredLease {
  root: string;
  name: string;
  base: number;
  holder: ProcIdentity | undefined;
}

/** Leases in `leaseDir` held by this process, of roots that still exist. */
export function heldLeases(leaseDir: string): StoredLease[] {
  let leases: StoredLease[];
  try {
    const parsed = JSON.parse(readFileSync(join(leaseDir, "leases.json"), "utf8")) as unknown;
    leases = Array.isArray(parsed) ? (parsed as StoredLease[]) : [];
  } catch {
    return []; // No registry written: nothing leased.
  }
  return leases.filter((l) => l.holder?.pid === process.pid && existsSync(l.root));
}

function describeProc(p: ProcIdentity): string {
  let cwd = "?";
  try {
    cwd = readlinkSync(`/proc/${p.pid}/cwd`);
  } catch {
    // Gone meanwhile.
  }
  return `${p.pid} (${(readCmdline(p.pid) ?? "?").slice(0, 160)}; cwd ${cwd})`;
}

/** After a file's tests: dispose its hosts, check that nothing was left, remove its temp dirs. */
export async function finishFile(fleet: GatewayWatch, leaseDir: string, ...tmps: Array<{ cleanup(): void }>): Promise<void> {
  try {
    await fleet.disposeHosts();
    await expectNothingLeft({ leaseDir, gateways: fleet });
  } finally {
    for (const t of tmps) t.cleanup();
  }
}

/**
 * The after-check of every test file that creates a GatewayHost (run it once its hosts
 * are disposed, before its roots are removed): no live process of any gateway it started
 * (every tree it sampled, and anything running in one of its roots), no port of their blocks
 * held (unbindable and listened on), and no lease in its `leaseDir` still held by this process. Whatever process is
 * found is SIGKILLed after being reported, so that a failing test leaves nothing running.
 *
 * @example
 * ```ts
 * afterAll(async () => {
 *   await watch.disposeHosts();
 *   await expectNothingLeft({ leaseDir: leases.dir, gateways: watch });
 *   tmp.cleanup();
 * });
 * ```
 */
export async function expectNothingLeft(opts: { leaseDir: string; gateways: GatewayWatch | Iterable<Gateway> }): Promise<void> {
  let watch: GatewayWatch;
  if (opts.gateways instanceof GatewayWatch) watch = opts.gateways;
  else {
    watch = new GatewayWatch();
    for (const gw of opts.gateways) watch.gateway(gw);
  }
  const seen = new Map<string, ProcIdentity>();
  for (const p of [...stillAlive(watch.processes), ...processesUnder(watch.roots)]) seen.set(`${p.pid}:${p.startTime}`, p);
  const processes = [...seen.values()];
  const described = processes.map(describeProc);
  // Held: unbindable and listened on. A port only unbindable is the client end of some
  // connection on this machine (a client socket may take any port of the kernel's ephemeral range).
  const ports: string[] = [];
  for (const b of watch.blocks) {
    const busy = await unbindablePorts(b.start, b.end);
    const listening = busy.length > 0 ? listeningTcpPorts() : new Set<number>();
    const held = busy.filter((p) => listening.has(p));
    if (held.length > 0) ports.push(`block ${b.start}..${b.end}: ${held.join(", ")} listened on`);
  }
  const leases = heldLeases(opts.leaseDir).map((l) => `${l.name}@${l.base} (root ${l.root})`);
  for (const p of processes) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  expect({ processes: described, ports, leases }, "left behind by this file's gateways").toEqual({ processes: [], ports: [], leases: [] });
}
