import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rename, stat } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import * as z from "zod";
import { ClawhostError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic.js";
import { errnoOf, fsError } from "../fs/errors.js";
import { withLock } from "../fs/lock.js";
import { isInside } from "../fs/safety.js";
import { isAlive, readProc } from "../fs/proc.js";
import type { ProcIdentity } from "../fs/proc.js";
import { blockOf, essentialPorts, PORT_BLOCK_SPAN, PORT_BLOCK_STRIDE, rangesOverlap } from "./block.js";
import type { PortRange } from "./block.js";
import { findPortHolders, listeningPorts, readListeningPorts } from "./holders.js";
import type { ListenTable } from "./holders.js";

/** One gateway's claim on a port block, host-wide. */
export interface Lease {
  root: string;
  name: string;
  base: number;
  /** The live host process using it, if any: pid plus process start time. */
  holder: ProcIdentity | undefined;
  updatedAt: string;
  /** The gateway's config dir, state dir and workspace where they lie outside `<root>/<name>`. */
  paths?: string[];
}

/** A warning of the registry (the host re-emits it as its `warning` event). */
export interface LeaseWarning {
  code: "LEASES_CORRUPT";
  message: string;
  details: Record<string, unknown>;
}

const leaseSchema = z.object({
  root: z.string().min(1),
  name: z.string().min(1),
  base: z.number().int().min(1).max(65535),
  holder: z.object({ pid: z.number().int().positive(), startTime: z.number() }).optional().nullable(),
  updatedAt: z.string(),
  paths: z.array(z.string()).optional(),
});

/** What {@link LeaseRegistry.acquire} returns. */
export interface LeaseGrant {
  base: number;
  /** Set when the gateway's earlier block could not be kept. */
  moved: { from: number; reason: string } | undefined;
}

/**
 * (lease dir, root, name) of every lease a registry of this process holds: a second host in
 * this process on the same root and name is refused like one in another process (the pid
 * in the file cannot tell them apart).
 */
const heldInProcess = new Map<string, LeaseRegistry>();

/** `<root>/<name>` as `path.join` gives it, for a normal absolute root and a plain name. */
function childPath(root: string, name: string): string {
  return root.endsWith("/") ? root + name : `${root}/${name}`;
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
function blockBusy(base: number, listening: Pick<ListenTable, "has">, ownPids: readonly number[] = []): boolean {
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
  readonly #onWarning: (w: LeaseWarning) => void;
  /** The leases this registry holds now, to rebuild a registry file that was lost or corrupt. */
  readonly #held = new Map<string, Lease>();
  /**
   * The registry file as this registry last read or wrote it, its leases (never mutated:
   * every change makes new lists and objects) and their canonical text: each add() reads
   * the whole registry, and a fleet of N gateways parsed and validated N² leases.
   */
  #last: { text: string; leases: Lease[]; canonical: string } | undefined;

  constructor(dir = defaultLeaseDir(), opts: { onWarning?: (w: LeaseWarning) => void } = {}) {
    this.dir = dir;
    this.#file = join(dir, "leases.json");
    this.#lock = join(dir, "leases.lock");
    this.#onWarning = opts.onWarning ?? (() => undefined);
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
    /** Every directory the gateway claims (`<root>/<name>`, config dir, state dir, workspace): refused when another lease's dirs overlap them. */
    claims?: readonly string[];
    /** Those of `claims` outside `<root>/<name>`, recorded in the lease for other hosts to check. */
    paths?: readonly string[];
    signal?: AbortSignal | undefined;
    timeoutMs?: number | undefined;
  }): Promise<LeaseGrant> {
    // The kernel's listener tables, read once and before the lock: the read costs
    // milliseconds (it walks the whole TCP hash), and the lock serialises every host.
    // An explicit port needs none here (the pre-spawn probe checks it).
    const listening = req.requestedBase === undefined ? await readListeningPorts() : new Set<number>();
    return this.#mutate({ signal: req.signal, timeoutMs: req.timeoutMs, gateway: req.name }, (leases) => {
      const me = self();
      const mine = leases.find((l) => l.root === req.root && l.name === req.name);
      const inProcess = heldInProcess.get(this.#processKey(req));
      if (inProcess !== undefined && inProcess !== this) {
        throw new ClawhostError(
          "CLAWHOST_LEASE_HELD",
          `gateway ${JSON.stringify(req.name)} of root ${req.root} is managed by another GatewayHost of this process (pid ${process.pid}).`,
          { gateway: req.name, value: process.pid, fix: "use one host per root, or dispose the other host first." },
        );
      }
      if (mine?.holder && !sameHolder(mine.holder, me) && isAlive(mine.holder)) {
        throw new ClawhostError(
          "CLAWHOST_LEASE_HELD",
          `gateway ${JSON.stringify(req.name)} of root ${req.root} is managed by live process ${mine.holder.pid}.`,
          { gateway: req.name, value: mine.holder.pid, fix: "use one host per root, or stop the other host first." },
        );
      }
      const others = leases.filter((l) => l !== mine);
      const claims = req.claims ?? [];
      // Every add checks every other lease: no allocation per pair (a fleet of N adds makes N² of them).
      const overlapping = (theirs: string): string | undefined => {
        for (const c of claims) if (isInside(c, theirs) || isInside(theirs, c)) return c;
        return undefined;
      };
      for (const other of others) {
        const dirs = other.paths ?? [];
        for (let i = -1; i < dirs.length; i++) {
          const theirs = i < 0 ? childPath(other.root, other.name) : dirs[i]!;
          const claim = overlapping(theirs);
          if (claim !== undefined) {
            throw new ClawhostError(
              "CLAWHOST_PATH_CONFLICT",
              `${claim} overlaps ${theirs}, a directory of gateway ${JSON.stringify(other.name)} of root ${other.root}; two gateways would overwrite each other's state.`,
              { gateway: req.name, value: claim, fix: "give each gateway its own config path, state dir and workspace (or omit `paths`); host.remove() the other gateway to free its directories." },
            );
          }
        }
      }
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
      if (req.paths && req.paths.length > 0) lease.paths = [...req.paths];
      const next = leases.filter((l) => l !== mine && !reclaimed.includes(l));
      next.push(lease);
      this.#held.set(leaseKey(lease), lease);
      heldInProcess.set(this.#processKey(lease), this);
      return { result: { base, moved }, leases: next };
    });
  }

  /** Drop the lease of (root, name): the block is free for anyone. */
  release(root: string, name: string): Promise<void> {
    this.#forget(root, name);
    return this.#mutate({}, (leases) => ({ result: undefined, leases: leases.filter((l) => !(l.root === root && l.name === name)) }));
  }

  /** Keep the leases of `root` (its blocks stay reserved for it) but mark them unheld. */
  detach(root: string, names: readonly string[]): Promise<void> {
    const me = self();
    for (const name of names) this.#forget(root, name);
    return this.#mutate({}, (leases) => ({
      result: undefined,
      leases: leases.map((l) => (l.root === root && names.includes(l.name) && sameHolder(l.holder, me) ? { ...l, holder: undefined } : l)),
    }));
  }

  /** Every lease, after reclaiming those whose root is gone. */
  list(): Promise<Lease[]> {
    return this.#mutate({}, (leases) => ({ result: leases.map((l) => ({ ...l })), leases }));
  }

  #processKey(l: { root: string; name: string }): string {
    return `${this.dir}\u0000${leaseKey(l)}`;
  }

  #forget(root: string, name: string): void {
    this.#held.delete(leaseKey({ root, name }));
    if (heldInProcess.get(this.#processKey({ root, name })) === this) heldInProcess.delete(this.#processKey({ root, name }));
  }

  /** The lowest usable aligned base, and the dormant leases it takes over (if any). */
  #pickFree(
    req: { name: string; range: { from: number; to: number } },
    others: Lease[],
    listening: Pick<ListenTable, "has">,
  ): { base: number; reclaimed: Lease[] } {
    const { from, to } = req.range;
    // The grid's candidates each lease's block overlaps (a block spans less than two
    // strides, so at most two): one pass over the leases, not one per candidate.
    const taken = new Map<number, Lease[]>();
    for (const l of others) {
      const first = Math.max(0, Math.ceil((l.base - (PORT_BLOCK_SPAN - 1) - from) / PORT_BLOCK_STRIDE));
      for (let k = first; from + k * PORT_BLOCK_STRIDE <= l.base + PORT_BLOCK_SPAN - 1; k++) {
        const base = from + k * PORT_BLOCK_STRIDE;
        const list = taken.get(base);
        if (list) list.push(l);
        else taken.set(base, [l]);
      }
    }
    for (const pass of ["free", "dormant"] as const) {
      for (let base = from; base + PORT_BLOCK_SPAN - 1 <= to; base += PORT_BLOCK_STRIDE) {
        const overlapping = taken.get(base) ?? [];
        if (pass === "free" && overlapping.length > 0) continue;
        const block = blockOf(base);
        if (OPENCLAW_DEFAULT_BLOCKS.some((d) => rangesOverlap(d, block))) continue;
        // Second pass: a block kept for a host that died may be given up, never a live one's.
        if (pass === "dormant" && overlapping.some((l) => l.holder && isAlive(l.holder))) continue;
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
    try {
      // Only a directory clawhost creates gets its mode set; the host checked an existing one.
      const created = await mkdir(this.dir, { recursive: true, mode: 0o700 });
      if (created !== undefined && ((await stat(this.dir)).mode & 0o777) !== 0o700) await chmod(this.dir, 0o700);
    } catch (err) {
      throw fsError(err, this.dir, "creating the lease dir", opts.gateway);
    }
    return withLock(
      this.#lock,
      async () => {
        const { leases: stored, rebuilt, canonical } = await this.#read(opts.gateway);
        const roots = new Map<string, boolean>();
        const exists = (root: string): boolean => roots.get(root) ?? roots.set(root, existsSync(root)).get(root)!;
        const live = stored.filter((l) => exists(l.root));
        // What this process holds is live for sure: put back what a lost or corrupt file forgot.
        const keys = new Set(live.map(leaseKey));
        for (const [key, held] of this.#held) if (!keys.has(key) && exists(held.root)) live.push(held);
        const { result, leases } = fn(live);
        const text = `${JSON.stringify(leases, null, 1)}\n`;
        if (rebuilt || text !== canonical) {
          try {
            await writeFileAtomic(this.#file, text);
          } catch (err) {
            throw fsError(err, this.#file, "writing the lease registry", opts.gateway);
          }
          this.#last = { text, leases, canonical: text };
        }
        return result;
      },
      { timeoutMs: opts.timeoutMs ?? 10_000, signal: opts.signal, gateway: opts.gateway },
    );
  }

  /**
   * The stored leases. A file that does not parse, is not a list of leases, or is a
   * directory is moved aside (kept as `leases.json.corrupt-<time>`), reported as a
   * `LEASES_CORRUPT` warning, and rebuilt from its valid entries and the leases this
   * process holds.
   */
  async #read(gateway: string | undefined): Promise<{ leases: Lease[]; rebuilt: boolean; canonical?: string }> {
    let text: string;
    try {
      text = await readFile(this.#file, "utf8");
    } catch (err) {
      const errno = errnoOf(err);
      if (errno === "ENOENT") return { leases: [], rebuilt: false };
      if (errno !== "EISDIR") throw fsError(err, this.#file, "reading the lease registry", gateway);
      return this.#moveAside([], "it is a directory", gateway);
    }
    // Unchanged since this registry last read or wrote it: no parse and no validation of every lease.
    if (this.#last?.text === text) return { leases: this.#last.leases, rebuilt: false, canonical: this.#last.canonical };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return this.#moveAside([], `it does not parse (${(err as Error).message})`, gateway);
    }
    if (!Array.isArray(parsed)) return this.#moveAside([], "it is not a list of leases", gateway);
    const valid = parsed.flatMap((l) => {
      const r = leaseSchema.safeParse(l);
      return r.success ? [{ ...r.data, holder: r.data.holder ?? undefined } as Lease] : [];
    });
    if (valid.length < parsed.length) return this.#moveAside(valid, `${parsed.length - valid.length} of its ${parsed.length} entries are not leases`, gateway);
    this.#last = { text, leases: valid, canonical: `${JSON.stringify(valid, null, 1)}\n` };
    return { leases: valid, rebuilt: false, canonical: this.#last.canonical };
  }

  async #moveAside(valid: Lease[], why: string, gateway: string | undefined): Promise<{ leases: Lease[]; rebuilt: boolean }> {
    const aside = `${this.#file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`;
    try {
      await rename(this.#file, aside);
    } catch (err) {
      throw fsError(err, this.#file, "moving the corrupt lease registry aside", gateway);
    }
    this.#onWarning({
      code: "LEASES_CORRUPT",
      message: `lease registry ${this.#file} was corrupt (${why}); kept as ${aside} and rebuilt from its ${valid.length} valid entr${valid.length === 1 ? "y" : "ies"} and the live leases of this process.`,
      details: { file: this.#file, movedTo: aside, kept: valid.length, reason: why },
    });
    return { leases: valid, rebuilt: true };
  }
}

function leaseKey(l: { root: string; name: string }): string {
  return `${l.root}\u0000${l.name}`;
}
