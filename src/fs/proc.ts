import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { constants } from "node:os";

/** One process as `/proc/<pid>/stat` describes it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Process start time in clock ticks since boot: with `pid`, identifies a process. */
  startTime: number;
  /** State letter: R, S, D, Z (zombie), T (stopped), ... */
  state: string;
  comm: string;
  /** CPU time in user and kernel mode, clock ticks. */
  utime: number;
  stime: number;
  /** Resident set size, pages. */
  rssPages: number;
}

/** Identity of a process that survives pid reuse. */
export interface ProcIdentity {
  pid: number;
  startTime: number;
}

/** Parse `/proc/<pid>/stat`, or `undefined` when the process is gone. */
export function readProc(pid: number): ProcInfo | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  return parseStat(pid, raw);
}

/**
 * Parse the text of `/proc/<pid>/stat`. The fields are read in one pass, without a
 * string or an array per field: the sampler parses every process of the host at each walk.
 */
export function parseStat(pid: number, raw: string): ProcInfo {
  // comm may contain spaces and parentheses: the fields start after the last ')'.
  const close = raw.lastIndexOf(")");
  const comm = raw.slice(raw.indexOf("(") + 1, close);
  const start = close + 2;
  let ppid = Number.NaN;
  let pgid = Number.NaN;
  let sid = Number.NaN;
  let utime = Number.NaN;
  let stime = Number.NaN;
  let startTime = Number.NaN;
  let rssPages = Number.NaN;
  // Field 0 is the state; field i starts after the i-th space.
  let field = 0;
  for (let i = start; i < raw.length && field <= 21; i++) {
    if (raw.charCodeAt(i) === 32) {
      field++;
      if (field !== 1 && field !== 2 && field !== 3 && field !== 11 && field !== 12 && field !== 19 && field !== 21) continue;
      const n = numberAt(raw, i + 1);
      if (field === 1) ppid = n;
      else if (field === 2) pgid = n;
      else if (field === 3) sid = n;
      else if (field === 11) utime = n;
      else if (field === 12) stime = n;
      else if (field === 19) startTime = n;
      else rssPages = n;
    }
  }
  return { pid, comm, state: start < raw.length ? raw[start]! : "?", ppid, pgid, sid, startTime, utime, stime, rssPages };
}

/** The (possibly negative) decimal integer at `from`, or NaN. */
function numberAt(raw: string, from: number): number {
  let j = from;
  const negative = raw.charCodeAt(j) === 45;
  if (negative) j++;
  const digits = j;
  let n = 0;
  for (let c = raw.charCodeAt(j); c >= 48 && c <= 57; c = raw.charCodeAt(++j)) n = n * 10 + (c - 48);
  if (j === digits) return Number.NaN;
  return negative ? -n : n;
}

/** Every process visible in `/proc`. */
export function listProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProc(Number(entry));
    if (info) out.push(info);
  }
  return out;
}

/** True while the process with this identity exists and is not a zombie. */
export function isAlive(id: ProcIdentity): boolean {
  const info = readProc(id.pid);
  return info !== undefined && info.startTime === id.startTime && info.state !== "Z" && info.state !== "X";
}

/**
 * The descendants of `root` (root excluded), found through ppid links. Children that a
 * process put in their own session or process group are included: only ppid counts.
 */
export function descendantsOf(root: number, procs: readonly ProcInfo[] = listProcs()): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = byParent.get(p.ppid);
    if (list) list.push(p);
    else byParent.set(p.ppid, [p]);
  }
  const out: ProcInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of byParent.get(pid) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** The command line of a process (arguments joined by spaces), or `undefined`. */
export function readCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return undefined;
  }
}

/**
 * Whether the process handles `sig` itself: the signal's bit in the `SigCgt` mask of
 * `/proc/<pid>/status`. `undefined` when the process is gone or the mask unreadable.
 * (Every Node process catches SIGUSR1 for its inspector; SIGUSR2 only with a listener.)
 */
export async function catchesSignal(pid: number, sig: NodeJS.Signals): Promise<boolean | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const n = constants.signals[sig];
  if (!mask || !n) return undefined;
  return ((BigInt(`0x${mask}`) >> BigInt(n - 1)) & 1n) === 1n;
}
