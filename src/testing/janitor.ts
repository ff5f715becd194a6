import { spawn } from "node:child_process";
import type { Writable } from "node:stream";

/**
 * The janitor: a small Node process in its own session that holds the read end of a pipe
 * from the run's owner. When the pipe closes (the owner ended, even by SIGKILL or Ctrl-C),
 * it waits up to 2.5 s for every process whose cwd lies in the run dir to end (clawhost's
 * watchdog ends the gateway trees), SIGKILLs what is left, and removes the run dir, which
 * is usually gone already: a worker that wrote into it after its owner's cleanup is caught
 * here too. Ctrl-C reaches the whole process group: the janitor ignores it.
 */
const JANITOR_SOURCE = String.raw`
process.title = "clawhost-testing-janitor";
const fs = require("fs");
const dir = process.argv[1];
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
function under(pid) {
  try { const c = fs.readlinkSync("/proc/" + pid + "/cwd"); return c === dir || c.startsWith(dir + "/"); } catch { return false; }
}
function inside() {
  const out = [];
  for (const d of fs.readdirSync("/proc")) if (/^\d+$/.test(d) && Number(d) !== process.pid && under(Number(d))) out.push(Number(d));
  return out;
}
function sweep() {
  const t0 = Date.now();
  const tick = () => {
    const left = inside();
    if (left.length > 0 && Date.now() - t0 < 2500) return setTimeout(tick, 100);
    for (const p of left) { try { process.kill(p, "SIGKILL"); } catch {} }
    setTimeout(() => { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} process.exit(0); }, left.length > 0 ? 200 : 0);
  };
  tick();
}
process.stdin.on("data", () => {});
process.stdin.on("close", sweep);
process.stdin.on("error", () => {});
`;

/** A running janitor (it ends by itself after its owner). */
export interface Janitor {
  readonly pid: number | undefined;
}

/** Start the janitor of `dir` (owned by this process). */
export function startJanitor(dir: string): Janitor {
  const child = spawn(process.execPath, ["-e", JANITOR_SOURCE, dir], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    env: { PATH: process.env.PATH ?? "" },
  });
  child.unref();
  const stdin = child.stdin as Writable;
  // The pipe must not keep the owner's event loop alive; it closes when the owner ends.
  (stdin as unknown as { _handle?: { unref(): void } })._handle?.unref();
  stdin.on("error", () => {});
  return { pid: child.pid };
}
