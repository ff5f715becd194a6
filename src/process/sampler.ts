import { readdirSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { parseStat } from "../fs/proc.js";
import type { ProcIdentity, ProcInfo } from "../fs/proc.js";

/** One sample of a tracked process tree. */
export interface TreeSample {
  /** Members alive at this sample (root first when alive). */
  alive: ProcIdentity[];
  /** Those of them stopped (state `T`: they act on no signal but SIGCONT/SIGKILL). */
  stopped: ProcIdentity[];
  /** Resident memory of the alive members, bytes. */
  rssBytes: number;
  /** CPU time of the alive members since they started, ms (user + system). */
  cpuMs: number;
  /**
   * CPU use since the previous sample, % of one core (members that ended in between
   * drop out, so it is never negative); undefined at the first sample.
   */
  cpuPercent: number | undefined;
  /** When the sample was taken (`performance.now()`). */
  at: number;
}

/** A subscription: one process tree whose members the sampler learns and measures. */
export interface TrackedTree {
  readonly root: ProcIdentity;
  /** Every member ever seen (root included), alive or not: identities survive pid reuse. */
  members(): ProcIdentity[];
  /** The last sample (undefined before the first tick). */
  readonly last: TreeSample | undefined;
  /** Learn the tree now, outside the tick, with a walk of its own. */
  refresh(): void;
  /** Learn the tree at the next shared walk: trees asking in the same moment share one walk. */
  refreshShared(): Promise<void>;
  /** Called once, at the first tick that finds the root gone. */
  onRootGone(fn: () => void): void;
  /** Stop sampling this tree. */
  close(): void;
}

const PAGE_SIZE = 4096;
const TICKS_PER_SECOND = 100;

/** Reads of `stat` per event-loop turn in a spread walk (~1 ms of CPU). */
const WALK_CHUNK = 64;

/** Add the process of one /proc entry (a pid directory) to `out`, unless it is gone or a zombie. */
function readEntry(entry: string, out: Map<number, ProcInfo>): void {
  const c = entry.charCodeAt(0);
  if (c < 48 || c > 57) return;
  let raw: string;
  try {
    raw = readFileSync(`/proc/${entry}/stat`, "utf8");
  } catch {
    return;
  }
  const info = parseStat(Number(entry), raw);
  if (info.state !== "Z" && info.state !== "X") out.set(info.pid, info);
}

/** Every process visible in /proc, one read of `stat` each. */
function walk(): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const entry of entries) readEntry(entry, out);
  return out;
}

/**
 * {@link walk} spread over event-loop turns, {@link WALK_CHUNK} reads per turn: a host
 * with hundreds of processes takes milliseconds to walk, too long for one turn of an
 * app's loop. Identities are pid + start time, so a process that starts or ends between
 * two chunks is simply seen at the next walk.
 */
async function walkSpread(): Promise<Map<number, ProcInfo>> {
  const out = new Map<number, ProcInfo>();
  const entries = await readdir("/proc").catch(() => [] as string[]);
  for (let i = 0; i < entries.length; i += WALK_CHUNK) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    const end = Math.min(i + WALK_CHUNK, entries.length);
    for (let j = i; j < end; j++) readEntry(entries[j]!, out);
  }
  return out;
}

class Tree implements TrackedTree {
  readonly root: ProcIdentity;
  readonly #sampler: ProcessSampler;
  readonly #members = new Map<number, ProcIdentity>();
  #gone: Array<() => void> = [];
  #rootGone = false;
  last: TreeSample | undefined;

  constructor(sampler: ProcessSampler, root: ProcIdentity) {
    this.#sampler = sampler;
    this.root = root;
    this.#members.set(root.pid, root);
  }

  members(): ProcIdentity[] {
    return [...this.#members.values()];
  }

  refresh(): void {
    this.absorb(walk(), performance.now());
  }

  refreshShared(): Promise<void> {
    return this.#sampler.walkSoon();
  }

  onRootGone(fn: () => void): void {
    if (this.#rootGone) fn();
    else this.#gone.push(fn);
  }

  close(): void {
    this.#sampler.untrack(this);
    this.#gone = [];
  }

  /** Learn descendants of known live members and measure them, from one walk. */
  absorb(procs: ReadonlyMap<number, ProcInfo>, at: number, byParent = childrenIndex(procs)): void {
    const alive: ProcIdentity[] = [];
    const stopped: ProcIdentity[] = [];
    let rssBytes = 0;
    let cpuTicks = 0;
    const rootInfo = procs.get(this.root.pid);
    const rootAlive = rootInfo !== undefined && rootInfo.startTime === this.root.startTime;
    // Descendants are learned only through the live root: once it is gone, its orphans
    // are re-parented and only the members already known still belong to the tree.
    const queue = rootAlive ? [this.root.pid] : [];
    while (queue.length > 0) {
      const pid = queue.shift()!;
      for (const child of byParent.get(pid) ?? []) {
        const known = this.#members.get(child.pid);
        if (!known || known.startTime !== child.startTime) this.#members.set(child.pid, { pid: child.pid, startTime: child.startTime });
        queue.push(child.pid);
      }
    }
    for (const id of this.#members.values()) {
      const info = procs.get(id.pid);
      if (!info || info.startTime !== id.startTime) continue;
      alive.push(id);
      if (info.state === "T") stopped.push(id);
      rssBytes += info.rssPages * PAGE_SIZE;
      cpuTicks += info.utime + info.stime;
    }
    const cpuMs = (cpuTicks * 1000) / TICKS_PER_SECOND;
    const prev = this.last;
    const cpuPercent = prev && at > prev.at ? Math.max(0, ((cpuMs - prev.cpuMs) / (at - prev.at)) * 100) : undefined;
    this.last = { alive, stopped, rssBytes, cpuMs, cpuPercent, at };
    if (!rootAlive && !this.#rootGone) {
      this.#rootGone = true;
      const fns = this.#gone;
      this.#gone = [];
      for (const fn of fns) fn();
    }
  }
}

function childrenIndex(procs: ReadonlyMap<number, ProcInfo>): Map<number, ProcInfo[]> {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of procs.values()) {
    const list = byParent.get(p.ppid);
    if (list) list.push(p);
    else byParent.set(p.ppid, [p]);
  }
  return byParent;
}

/**
 * The process-table sampler: one walk of `/proc` per tick serves every tracked tree of
 * every host in this process (tree membership, roots that ended, RSS and CPU). It runs
 * only while some tree is tracked: every `fastMs` for a while after a tree is added (a
 * booting gateway starts its children then), every `steadyMs` after that. Its cost is
 * one walk per tick, whatever the fleet's size, instead of one walk per gateway.
 */
export class ProcessSampler {
  readonly fastMs: number;
  readonly steadyMs: number;
  readonly #trees = new Set<Tree>();
  #timer: NodeJS.Timeout | undefined;
  #fastUntil = 0;
  #walks = 0;

  constructor(opts: { fastMs?: number; steadyMs?: number; fastForMs?: number } = {}) {
    this.fastMs = opts.fastMs ?? 1_000;
    this.steadyMs = opts.steadyMs ?? 5_000;
    this.#fastForMs = opts.fastForMs ?? 10_000;
  }

  readonly #fastForMs: number;

  /** Walks of /proc so far (for tests and diagnostics). */
  get walks(): number {
    return this.#walks;
  }

  /** Trees tracked now. */
  get size(): number {
    return this.#trees.size;
  }

  /**
   * Track the tree rooted at `root`. With `refresh`, its children are learned at once
   * (an adopted process has some already; a process just spawned has none).
   */
  track(root: ProcIdentity, opts: { refresh?: boolean } = {}): TrackedTree {
    const tree = new Tree(this, root);
    this.#trees.add(tree);
    if (opts.refresh !== false) tree.refresh();
    this.#fastUntil = performance.now() + this.#fastForMs;
    if (!this.#timer || this.#timerMs !== this.fastMs) this.#arm(this.fastMs);
    return tree;
  }

  #timerMs = 0;

  #arm(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerMs = ms;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void (this.#walking ?? this.#walk()).then(() => {
        if (this.#trees.size > 0 && !this.#timer) this.#arm(performance.now() < this.#fastUntil ? this.fastMs : this.steadyMs);
      });
    }, ms).unref();
  }

  /** @internal */
  untrack(tree: Tree): void {
    this.#trees.delete(tree);
    if (this.#trees.size === 0 && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /**
   * Every live process whose environment holds `marker` (a `NAME=value` pair clawhost put
   * in a gateway's env, which every descendant inherits): the members a tree walk cannot
   * find once their parent died before they were seen. Requests made while a scan is
   * pending share it, so a fleet stopping at once reads `/proc` once; the reads run off
   * the event loop.
   */
  findMarked(marker: string): Promise<ProcIdentity[]> {
    let sweep = this.#sweep;
    if (!sweep) {
      const markers = new Set<string>();
      sweep = { markers, result: new Promise((r) => setImmediate(r)).then(() => scanEnvironments(this.#sweepDone(markers))) };
      this.#sweep = sweep;
    }
    sweep.markers.add(marker);
    return sweep.result.then((found) => found.get(marker) ?? []);
  }

  #sweep: { markers: Set<string>; result: Promise<Map<string, ProcIdentity[]>> } | undefined;

  #sweepDone(markers: Set<string>): Set<string> {
    this.#sweep = undefined;
    return markers;
  }

  /** The walk under way, if any. */
  #walking: Promise<void> | undefined;
  /** The walk asked for by {@link walkSoon}, shared by every caller until it begins. */
  #soon: Promise<void> | undefined;

  /**
   * One walk for every tree that begins after this call (at the next turn of the event
   * loop, or when the walk under way ends), shared by all callers until it begins: a fleet
   * being stopped at once walks `/proc` once per poll, not once per gateway (100
   * synchronous walks in one turn stalled the loop for seconds).
   */
  walkSoon(): Promise<void> {
    this.#soon ??= (this.#walking ?? Promise.resolve())
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => {
        this.#soon = undefined;
        return this.#walking ?? this.#walk();
      });
    return this.#soon;
  }

  #walk(): Promise<void> {
    const walking = this.#trees.size === 0 ? Promise.resolve() : walkSpread().then((procs) => this.#absorb(procs));
    this.#walking = walking.finally(() => {
      this.#walking = undefined;
    });
    return this.#walking;
  }

  #absorb(procs: ReadonlyMap<number, ProcInfo>): void {
    this.#walks += 1;
    const byParent = childrenIndex(procs);
    const at = performance.now();
    for (const tree of [...this.#trees]) tree.absorb(procs, at, byParent);
  }
}

async function scanEnvironments(markers: ReadonlySet<string>): Promise<Map<string, ProcIdentity[]>> {
  const found = new Map<string, ProcIdentity[]>();
  const needles = [...markers].map((m) => [m, Buffer.from(`${m}\0`)] as const);
  const entries = await readdir("/proc").catch(() => [] as string[]);
  await Promise.all(
    entries.map(async (entry) => {
      const c = entry.charCodeAt(0);
      if (c < 48 || c > 57 || Number(entry) === process.pid) return;
      const env = await readFile(`/proc/${entry}/environ`).catch(() => undefined);
      if (!env) return;
      for (const [marker, needle] of needles) {
        if (!env.includes(needle)) continue;
        const raw = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => undefined);
        if (!raw) continue;
        const info = parseStat(Number(entry), raw);
        if (info.state === "Z" || info.state === "X") continue;
        const list = found.get(marker) ?? [];
        list.push({ pid: info.pid, startTime: info.startTime });
        found.set(marker, list);
      }
    }),
  );
  return found;
}

/** The sampler shared by every host of this process. */
export const processSampler = new ProcessSampler();

/** Memory and CPU of one process, from one read of its stat file (for the host itself). */
export function sampleProcess(pid: number): { rssBytes: number; cpuMs: number } | undefined {
  try {
    const info = parseStat(pid, readFileSync(`/proc/${pid}/stat`, "utf8"));
    return { rssBytes: info.rssPages * PAGE_SIZE, cpuMs: ((info.utime + info.stime) * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}
