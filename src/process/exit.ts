import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isAlive, readProc } from "../fs/proc.js";
import type { ExitInfo } from "./spawn.js";

/**
 * Why a gateway process ended, from its exit status plus what clawhost checked itself
 * (never from the wording of its output):
 * - `stopped`: clawhost's own stop (never a crash);
 * - `crash`: a non-zero exit with no other explanation;
 * - `signal`: killed by a signal clawhost did not send (kill -9, the OOM killer);
 * - `clean-exit`: exit 0 nobody asked for;
 * - `config-invalid`: exit 78 (EX_CONFIG) with no live holder of its state dir;
 * - `state-dir-in-use`: exit 78 while OpenClaw's state-dir lock names another live process;
 * - `port-conflict`: a non-zero exit while another process holds the gateway's port;
 * - `unhealthy`: clawhost ended it after failed liveness probes;
 * - `start-timeout`: clawhost ended it when it missed its readiness deadline.
 */
export type ExitReason =
  | "stopped"
  | "crash"
  | "signal"
  | "clean-exit"
  | "config-invalid"
  | "state-dir-in-use"
  | "port-conflict"
  | "unhealthy"
  | "start-timeout";

/** OpenClaw's EX_CONFIG exit code. */
export const EXIT_CONFIG = 78;

/** A holder of OpenClaw's state-dir lock (`<stateDir>/tmp/openclaw-<uid>/gateway.*.lock`). */
export interface StateDirLock {
  path: string;
  pid: number;
  /** Process start time recorded in the lock (clock ticks since boot), when present. */
  startTime: number | undefined;
  alive: boolean;
}

/** OpenClaw's gateway lock dir for a state dir (mirrors its resolveGatewayLockDir). */
export function gatewayLockDir(stateDir: string): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  return join(stateDir, "tmp", uid === undefined ? "openclaw" : `openclaw-${uid}`);
}

/** Read every gateway lock of a state dir; a lock is alive when its pid (and start time, if recorded) is. */
export function readStateDirLocks(stateDir: string): StateDirLock[] {
  const dir = gatewayLockDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^gateway\..+\.lock$/.test(n));
  } catch {
    return [];
  }
  const locks: StateDirLock[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const raw = JSON.parse(readFileSync(path, "utf8").trim()) as { pid?: unknown; startTime?: unknown };
      if (typeof raw.pid !== "number") continue;
      const startTime = typeof raw.startTime === "number" ? raw.startTime : undefined;
      const alive = startTime === undefined ? readProc(raw.pid) !== undefined : isAlive({ pid: raw.pid, startTime });
      locks.push({ path, pid: raw.pid, startTime, alive });
    } catch {
      // Being written or removed right now.
    }
  }
  return locks;
}

/** Remove locks whose holder is dead (OpenClaw reclaims them too, but leaves them after SIGKILL). */
export function removeStaleStateDirLocks(stateDir: string): string[] {
  const removed: string[] = [];
  for (const lock of readStateDirLocks(stateDir)) {
    if (lock.alive) continue;
    rmSync(lock.path, { force: true });
    removed.push(lock.path);
  }
  return removed;
}

/** What clawhost knew when the process ended. */
export interface ExitFacts {
  /** Set when clawhost itself ended the process, and why. */
  requested: "stopped" | "unhealthy" | "start-timeout" | undefined;
  /** Live pid, other than the exited process, holding the state-dir lock. */
  stateDirHolder: number | undefined;
  /** Live pids, outside the exited tree, holding the gateway or browser-control port. */
  portHolders: number[];
}

/**
 * Classify one exit.
 *
 * @example
 * ```ts
 * classifyExit({ pid: 1, code: 78, signal: null }, { requested: undefined, stateDirHolder: undefined, portHolders: [] });
 * // "config-invalid"
 * ```
 */
export function classifyExit(info: ExitInfo, facts: ExitFacts): ExitReason {
  if (facts.requested) return facts.requested;
  if (info.code === EXIT_CONFIG) return facts.stateDirHolder !== undefined ? "state-dir-in-use" : "config-invalid";
  if (info.signal) return "signal";
  if (info.code === 0) return "clean-exit";
  if (facts.portHolders.length > 0) return "port-conflict";
  return "crash";
}
