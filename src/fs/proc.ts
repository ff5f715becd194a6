import { readdirSync, readFileSync } from "node:fs";

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
 * Parse the text of `/proc/<pid>/stat`. The fields are read by position, without a
 * string per field: the sampler parses every process of the host at each walk.
 */
export function parseStat(pid: number, raw: string): ProcInfo {
  // comm may contain spaces and parentheses: the fields start after the last ')'.
  const close = raw.lastIndexOf(")");
  const comm = raw.slice(raw.indexOf("(") + 1, close);
  // Field i (0 = state) starts after the i-th space following ") ".
  const fields: number[] = [];
  for (let i = close + 2; i < raw.length && fields.length < 22; i++) {
    if (raw.charCodeAt(i) === 32) fields.push(i + 1);
  }
  const num = (i: number): number => {
    const from = i === 0 ? close + 2 : fields[i - 1];
    if (from === undefined || from >= raw.length) return Number.NaN;
    let n = 0;
    let j = from;
    const neg = raw.charCodeAt(j) === 45;
    if (neg) j++;
    for (let c = raw.charCodeAt(j); c >= 48 && c <= 57; c = raw.charCodeAt(++j)) n = n * 10 + (c - 48);
    return j === from + (neg ? 1 : 0) ? Number.NaN : neg ? -n : n;
  };
  return {
    pid,
    comm,
    state: close + 2 < raw.length ? raw[close + 2]! : "?",
    ppid: num(1),
    pgid: num(2),
    sid: num(3),
    startTime: num(19),
    utime: num(11),
    stime: num(12),
    rssPages: num(21),
  };
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
