import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { descendantsOf, isAlive, readProc } from "../src/process/proc.js";
import type { ProcIdentity } from "../src/process/proc.js";
import { canBind } from "../src/ports/probe.js";

/** A fresh directory for one test file; the returned function removes it. */
export function makeTmp(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `clawhost-${prefix}-`));
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

/** Ports of `start..end` that cannot be bound on 127.0.0.1 or ::1. */
export async function unbindablePorts(start: number, end: number): Promise<number[]> {
  const busy: number[] = [];
  for (let port = start; port <= end; port++) {
    if (!(await canBind(port, "127.0.0.1")) || !(await canBind(port, "::1"))) busy.push(port);
  }
  return busy;
}
