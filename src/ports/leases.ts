import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { ClawhostError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic.js";
import { withLock } from "../fs/lock.js";
import { isAlive, readProc } from "../fs/proc.js";
import type { ProcIdentity } from "../fs/proc.js";
import { blockOf, essentialPorts, PORT_BLOCK_SPAN, PORT_BLOCK_STRIDE, rangesOverlap } from "./block.js";
import type { PortRange } from "./block.js";
import { findPortHolders, listeningPorts, readListeningInodes } from "./holders.js";

/** One gateway's claim on a port block, host-wide. */
export interface Lease {
  root: string;
  name: string;
  base: number;
  /** The live host process using it, if any: pid plus process start time. */
  holder: ProcIdentity | undefined;
  updatedAt: string;
}

/** What {@link LeaseRegistry.acquire} returns. */
export interface LeaseGrant {
  base: number;
  /** Set when the gateway's earlier block could not be kept. */
  moved: { from: number; reason: string } | undefined;
}

/** OpenClaw's own default blocks (18789 and the rescue/dev default 19001), kept clear. */
const OPENCLAW_DEFAULT_BLOCKS: readonly PortRange[] = [blockOf(18789), blockOf(19001)];

/** Per-user lease directory: `$XDG_RUNTIME_DIR/clawhost`, else `<tmpdir>/clawhost-<uid>`. */
export function defaultLeaseDir(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return runtime ? join(runtime, "clawhost") : join(tmpdir(), `clawhost-leases-${userInfo().uid}`);
}

function self(): ProcIdentity {
  return { pid: process.pid, startTime: readProc(process.pid)?.startTime ?? -1 };
}

function sameHolder(a: ProcIdentity | undefined, b: ProcIdentity): boolean {
  return a !== undefined && a.pid === b.pid && a.startTime === b.startTime;
}

/**
 * True when the block's gateway or browser-control port is listened on right now by a
 * process other than `ownPids` (the gateway itself, left running to be adopted).
 */
function blockBusy(base: number, listening: ReadonlyMap<number, unknown>, ownPids: readonly number[] = []): boolean {
  const busy = listeningPorts(essentialPorts(base), listening);
  if (busy.length === 0 || ownPids.length === 0) return busy.length > 0;
  return findPortHolders(busy).some((h) => h.pid === undefined || !ownPids.includes(h.pid));
}

/**
 * The host-wide registry of port blocks: one JSON file in a per-user directory, read and
 * written only under a cross-process lock, so hosts in one process, in several processes
 * or parallel test workers, with different roots, never get overlapping blocks. A lease
 * belongs to its root and gateway name and survives the host (the same root gets the
 * same block back); it is reclaimed when its root no longer exists, and a lease whose
 * holder died is given up when no other free block is left.
 */
export class LeaseRegistry {
  readonly dir: string;
  readonly #file: string;
  readonly #lock: string;

  constructor(dir = defaultLeaseDir()) {
    this.dir = dir;
    this.#file = join(dir, "leases.json");
    this.#lock = join(dir, "leases.lock");
  }

  /**
   * Lease a block for (root, name): the requested base, else the gateway's existing
   * lease while it is usable, else the lowest free aligned block in `range`. Throws
   * `CLAWHOST_PORT_OVERLAP` (requested block overlaps another lease, naming it),
   * `CLAWHOST_LEASE_HELD` (another live host manages this root and name) or
   * `CLAWHOST_PORTS_EXHAUSTED`. The registry lock is waited for asynchronously.
   */
  async acquire(req: {
    root: string;
    name: string;
    requestedBase?: number | undefined;
    range: { from: number; to: number };
    /** Pids of this gateway's own surviving process (to be adopted): their ports do not make the block unusable. */
    ownPids?: readonly number[];
    signal?: AbortSignal | undefined;
    timeoutMs?: number | undefined;
  }): Promise<LeaseGrant> {
    // The kernel's listener tables, read once and before the lock: the read costs
    // milliseconds (it walks the whole TCP hash), and the lock serialises every host.
    // An explicit port needs none here (the pre-spawn probe checks it).
    const listening = req.requestedBase === undefined ? await readListeningInodes() : new Map<number, Set<string>>();
    return this.#mutate({ signal: req.signal, timeoutMs: req.timeoutMs, gateway: req.name }, (leases) => {
      const me = self();
      const mine = leases.find((l) => l.root === req.root && l.name === req.name);
      if (mine?.holder && !sameHolder(mine.holder, me) && isAlive(mine.holder)) {
        throw new ClawhostError(
          "CLAWHOST_LEASE_HELD",
          `gateway ${JSON.stringify(req.name)} of root ${req.root} is managed by live process ${mine.holder.pid}.`,
          { gateway: req.name, value: mine.holder.pid, fix: "use one host per root, or stop the other host first." },
        );
      }
      const others = leases.filter((l) => l !== mine);
      const clash = (base: number): Lease | undefined => others.find((l) => rangesOverlap(blockOf(l.base), blockOf(base)));
      let base: number;
      let moved: LeaseGrant["moved"];
      let reclaimed: Lease[] = [];
      if (req.requestedBase !== undefined) {
        const other = clash(req.requestedBase);
        if (other) {
          const b = blockOf(other.base);
          throw new ClawhostError(
            "CLAWHOST_PORT_OVERLAP",
            `port block ${req.requestedBase}..${req.requestedBase + PORT_BLOCK_SPAN - 1} overlaps gateway ${JSON.stringify(other.name)}'s block ${b.start}..${b.end} (root ${other.root}).`,
            { gateway: req.name, value: req.requestedBase, fix: "base ports must be at least 120 apart; omit `port` to get a free block." },
          );
        }
        base = req.requestedBase;
      } else if (mine && !blockBusy(mine.base, listening, req.ownPids)) {
        base = mine.base;
      } else {
        const picked = this.#pickFree(req, others, listening);
        base = picked.base;
        reclaimed = picked.reclaimed;
        if (mine) moved = { from: mine.base, reason: `port ${mine.base} or ${mine.base + 2} is held by another process` };
      }
      const lease: Lease = { root: req.root, name: req.name, base, holder: me, updatedAt: new Date().toISOString() };
      const next = leases.filter((l) => l !== mine && !reclaimed.includes(l));
      next.push(lease);
      return { result: { base, moved }, leases: next };
    });
  }

  /** Drop the lease of (root, name): the block is free for anyone. */
  release(root: string, name: string): Promise<void> {
    return this.#mutate({}, (leases) => ({ result: undefined, leases: leases.filter((l) => !(l.root === root && l.name === name)) }));
  }

  /** Keep the leases of `root` (its blocks stay reserved for it) but mark them unheld. */
  detach(root: string, names: readonly string[]): Promise<void> {
    const me = self();
    return this.#mutate({}, (leases) => ({
      result: undefined,
      leases: leases.map((l) => (l.root === root && names.includes(l.name) && sameHolder(l.holder, me) ? { ...l, holder: undefined } : l)),
    }));
  }

  /** Every lease, after reclaiming those whose root is gone. */
  list(): Promise<Lease[]> {
    return this.#mutate({}, (leases) => ({ result: leases.map((l) => ({ ...l })), leases }));
  }

  /** The lowest usable aligned base, and the dormant leases it takes over (if any). */
  #pickFree(
    req: { name: string; range: { from: number; to: number } },
    others: Lease[],
    listening: ReadonlyMap<number, unknown>,
  ): { base: number; reclaimed: Lease[] } {
    const { from, to } = req.range;
    for (const pass of ["free", "dormant"] as const) {
      for (let base = from; base + PORT_BLOCK_SPAN - 1 <= to; base += PORT_BLOCK_STRIDE) {
        const block = blockOf(base);
        if (OPENCLAW_DEFAULT_BLOCKS.some((d) => rangesOverlap(d, block))) continue;
        const overlapping = others.filter((l) => rangesOverlap(blockOf(l.base), block));
        // Second pass: a block kept for a host that died may be given up, never a live one's.
        if (pass === "free" ? overlapping.length > 0 : overlapping.some((l) => l.holder && isAlive(l.holder))) continue;
        if (blockBusy(base, listening)) continue;
        return { base, reclaimed: overlapping };
      }
    }
    throw new ClawhostError("CLAWHOST_PORTS_EXHAUSTED", `no free block of ${PORT_BLOCK_SPAN} ports left in ${from}..${to}.`, {
      gateway: req.name,
      value: { from, to },
      fix: "widen the host's `ports` range or remove gateways (their leases are released by host.remove()).",
    });
  }

  async #mutate<T>(
    opts: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined; gateway?: string },
    fn: (leases: Lease[]) => { result: T; leases: Lease[] },
  ): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (((await stat(this.dir)).mode & 0o777) !== 0o700) await chmod(this.dir, 0o700);
    return withLock(
      this.#lock,
      async () => {
        const stored = await this.#read();
        const { result, leases } = fn(stored.filter((l) => existsSync(l.root)));
        const text = `${JSON.stringify(leases, null, 1)}\n`;
        if (text !== `${JSON.stringify(stored, null, 1)}\n`) await writeFileAtomic(this.#file, text);
        return result;
      },
      { timeoutMs: opts.timeoutMs ?? 10_000, signal: opts.signal, gateway: opts.gateway },
    );
  }

  async #read(): Promise<Lease[]> {
    try {
      const parsed = JSON.parse(await readFile(this.#file, "utf8")) as unknown;
      return Array.isArray(parsed) ? (parsed as Lease[]) : [];
    } catch {
      return [];
    }
  }
}
