// /proc readers shared by the scale bench's parent and worker: CPU ticks, RSS, children,
// and the processes whose environment carries a marker (a run's own temp dir).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second (utime/stime in /proc/<pid>/stat are in these). */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the command name: [0] state, [1] ppid, [11] utime, [12] stime, [19] start time. */
export function statFields(pid: number | "self"): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    return raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** utime + stime in clock ticks, or undefined when the process is gone. */
export function cpuTicks(pid: number | "self"): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[11]) + Number(f[12]) : undefined;
}

/** A /proc/<pid>/status field in kB (VmRSS, VmHWM). */
export function statusKb(pid: number | "self", field: "VmRSS" | "VmHWM" | "RssAnon" | "RssFile"): number | undefined {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  const s = statFields(pid)?.[0];
  return s !== undefined && s !== "Z" && s !== "X";
}

function numericPids(): number[] {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
}

/** Direct children of `pid` (by ppid, so those in their own session count too). */
export function childrenOf(pid: number): number[] {
  return numericPids().filter((p) => statFields(p)?.[1] === String(pid) && isAlive(p));
}

/** The command line, NULs as spaces. */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

/** Live processes whose environment contains `marker` (e.g. `=/tmp/run-dir/`). */
export function pidsWithEnv(marker: string): number[] {
  const out: number[] = [];
  for (const p of numericPids()) {
    if (p === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/environ`, "latin1").includes(marker) && isAlive(p)) out.push(p);
    } catch {
      // Gone, or not ours.
    }
  }
  return out;
}

/** Sum of CPU ticks of `pids` (the gone ones count 0). */
export function sumTicks(pids: readonly number[]): number {
  return pids.reduce((a, p) => a + (cpuTicks(p) ?? 0), 0);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
