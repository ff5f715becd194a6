import { isAlive, readProc } from "../fs/proc.js";
import type { ProcIdentity } from "../fs/proc.js";
import { processSampler } from "./sampler.js";
import type { ProcessSampler, TrackedTree, TreeSample } from "./sampler.js";

const POLL_MS = 50;
/** Orphans of an ended root (broker, terminals) get this long after SIGTERM before SIGKILL. */
const ORPHAN_GRACE_MS = 2_000;
/** After SIGKILL, how long to wait for the kernel to reap before calling a member a survivor. */
const KILL_SETTLE_MS = 3_000;

/** A process that outlived every signal (uninterruptible sleep, say). */
export interface Survivor {
  pid: number;
  /** State letter from /proc: D (uninterruptible), T (stopped), R, S... */
  state: string;
  comm: string;
}

/** What one tree kill did. */
export interface KillReport {
  /** SIGKILL had to be sent. */
  escalated: boolean;
  /** Members still alive at the deadline (empty: the tree is gone). */
  survivors: Survivor[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function send(id: ProcIdentity, sig: NodeJS.Signals): void {
  if (!isAlive(id)) return;
  try {
    process.kill(id.pid, sig);
  } catch {
    // Exited between the check and the signal.
  }
}

/**
 * A process tree rooted at a spawned child, tracked by (pid, start time) through the
 * shared process sampler, so that descendants are still known after the root dies and
 * they are re-parented to init.
 *
 * @example
 * ```ts
 * const tree = new ProcessTree({ pid: child.pid, startTime });
 * const { survivors } = await tree.kill({ graceMs: 5_000, deadlineMs: 10_000 });
 * ```
 */
export class ProcessTree {
  readonly root: ProcIdentity;
  readonly #tracked: TrackedTree;
  readonly #sampler: ProcessSampler;
  readonly #marker: string | undefined;
  readonly #marked = new Map<number, ProcIdentity>();

  /**
   * `marker`: a `NAME=value` pair in the root's environment; at a kill, processes that
   * carry it but were never seen in the tree (their parent died first) are ended too.
   */
  constructor(root: number | ProcIdentity, opts: { sampler?: ProcessSampler; refresh?: boolean; marker?: string | undefined } = {}) {
    this.root = typeof root === "number" ? { pid: root, startTime: readProc(root)?.startTime ?? -1 } : root;
    this.#sampler = opts.sampler ?? processSampler;
    this.#marker = opts.marker;
    this.#tracked = this.#sampler.track(this.root, { refresh: opts.refresh ?? true });
  }

  /** The last sample of the tree (RSS, CPU, members alive), if one was taken. */
  get sample(): TreeSample | undefined {
    return this.#tracked.last;
  }

  /** Learn the root's current descendants now. */
  refresh(): void {
    this.#tracked.refresh();
  }

  /** Known members still alive (root included). */
  alive(): ProcIdentity[] {
    const members = this.#tracked.members();
    for (const id of this.#marked.values()) if (!members.some((m) => m.pid === id.pid && m.startTime === id.startTime)) members.push(id);
    return members.filter(isAlive);
  }

  /** Called once, at the sampler tick that finds the root gone (for processes not our child). */
  onRootGone(fn: () => void): void {
    this.#tracked.onRootGone(fn);
  }

  /** Stop sampling the tree. */
  close(): void {
    this.#tracked.close();
  }

  /**
   * End the whole tree: SIGCONT and SIGTERM to the root (the gateway shuts its children
   * down itself), SIGKILL to every member still alive after `graceMs`, SIGTERM then
   * SIGKILL to descendants that outlive the root. Never waits past `deadlineMs` in all
   * (default grace + 5 s): what is still alive then is reported as survivors instead of
   * hanging (a process in uninterruptible sleep ignores even SIGKILL).
   */
  async kill(opts: { graceMs: number; deadlineMs?: number; signal?: AbortSignal | undefined }): Promise<KillReport> {
    const t0 = Date.now();
    const deadline = t0 + Math.max(opts.deadlineMs ?? opts.graceMs + ORPHAN_GRACE_MS + KILL_SETTLE_MS, opts.graceMs);
    const graceEnd = Math.min(t0 + opts.graceMs, deadline);
    await this.#tracked.refreshShared();
    // A stopped process cannot act on SIGTERM until it is continued (only those: each
    // signal wakes its target, and a fleet stopping at once pays for every wake-up). The
    // walk just taken says which: no read of /proc per member for a fleet stopping at once.
    for (const id of this.#tracked.last?.stopped ?? []) send(id, "SIGCONT");
    send(this.root, "SIGTERM");
    let escalated = false;
    // An aborted signal cuts the grace short: straight to SIGKILL.
    while (isAlive(this.root) && Date.now() < graceEnd && !opts.signal?.aborted) {
      await sleep(POLL_MS);
      await this.#tracked.refreshShared();
    }
    if (isAlive(this.root)) {
      escalated = true;
      await this.#tracked.refreshShared();
      for (const id of this.alive()) send(id, "SIGKILL");
    }
    // Children started just before the root died, or by a child that died first, were never
    // seen in the tree; the marker in their environment still names them.
    if (this.#marker) for (const id of await this.#sampler.findMarked(this.#marker)) this.#marked.set(id.pid, id);
    const orphanKill = Math.min(Date.now() + Math.min(opts.graceMs, ORPHAN_GRACE_MS), deadline);
    let termed = false;
    let killed = false;
    while (this.alive().length > 0 && Date.now() < deadline) {
      if (!termed) {
        for (const id of this.alive()) send(id, "SIGTERM");
        termed = true;
      }
      if (!killed && Date.now() >= orphanKill) {
        escalated = true;
        killed = true;
        for (const id of this.alive()) send(id, "SIGKILL");
      }
      await sleep(POLL_MS);
    }
    const survivors = this.alive().map((id) => {
      const info = readProc(id.pid);
      return { pid: id.pid, state: info?.state ?? "?", comm: info?.comm ?? "?" };
    });
    if (survivors.length === 0) this.close();
    return { escalated, survivors };
  }
}
