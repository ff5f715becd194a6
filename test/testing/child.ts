import { readFileSync } from "node:fs";

// What the kit's child-run tests need from the shared helpers, plus a liveness check by pid.
export { FAKE_OPENCLAW, makeTmp, processesUnder, waitUntil } from "../helpers.js";

/** Whether `pid` is a live, non-zombie process. */
export function isAliveProc(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2)[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
