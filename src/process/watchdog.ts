import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import type { ProcIdentity } from "../fs/proc.js";

/**
 * The watchdog: a small Node process, in its own session, that reads the gateways this
 * process started from a pipe. When the pipe closes (this process died, even by SIGKILL,
 * which runs no exit hook) it ends every tracked gateway's whole tree: SIGTERM, then
 * SIGKILL 2 s later, all gone within ~2.5 s. Node has no PDEATHSIG; a pipe's EOF is
 * the one death notice that needs no cooperation from the dying process.
 *
 * Protocol, one line each: `+ <pid> <startTime>` to track, `- <pid>` to forget.
 */
const WATCHDOG_SOURCE = String.raw`
process.title = "clawhost-watchdog";
const fs = require("fs");
const roots = new Map();
let buf = "";
function stat(pid) {
  try {
    const raw = fs.readFileSync("/proc/" + pid + "/stat", "utf8");
    const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    if (f[0] === "Z" || f[0] === "X") return null;
    return { ppid: Number(f[1]), start: Number(f[19]) };
  } catch { return null; }
}
function alive(pid, start) { const s = stat(pid); return s !== null && s.start === start; }
function reap() {
  const procs = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const s = stat(Number(d));
    if (s) procs.set(Number(d), s);
  }
  const targets = new Map();
  for (const [pid, start] of roots) {
    if (!alive(pid, start)) continue;
    targets.set(pid, start);
    let frontier = new Set([pid]);
    while (frontier.size > 0) {
      const next = new Set();
      for (const [p, s] of procs) if (frontier.has(s.ppid) && !targets.has(p)) { targets.set(p, s.start); next.add(p); }
      frontier = next;
    }
  }
  const send = (sig) => { for (const [p, start] of targets) if (alive(p, start)) { try { process.kill(p, sig); } catch {} } };
  send("SIGTERM");
  const t0 = Date.now();
  let killed = false;
  setInterval(() => {
    let left = 0;
    for (const [p, start] of targets) if (alive(p, start)) left++;
    if (left === 0 || Date.now() - t0 > 4000) process.exit(0);
    if (!killed && Date.now() - t0 > 2000) { killed = true; send("SIGCONT"); send("SIGKILL"); }
  }, 50);
}
process.stdin.on("data", (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf("\n")) >= 0) {
    const [op, pid, start] = buf.slice(0, i).split(" ");
    buf = buf.slice(i + 1);
    if (op === "+") roots.set(Number(pid), Number(start));
    else if (op === "-") roots.delete(Number(pid));
  }
});
process.stdin.on("end", reap);
process.stdin.on("error", reap);
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
`;

let watchdog: { child: ChildProcess; stdin: Socket } | undefined;
const tracked = new Map<number, number>();

function ensureWatchdog(): { child: ChildProcess; stdin: Socket } | undefined {
  if (watchdog && watchdog.child.exitCode === null && !watchdog.stdin.destroyed) return watchdog;
  const child = spawn(process.execPath, ["-e", WATCHDOG_SOURCE], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    env: { PATH: process.env.PATH ?? "" },
  });
  const stdin = child.stdin as Socket;
  stdin.on("error", () => {
    // The watchdog died: the next track() starts another.
    watchdog = undefined;
  });
  child.once("exit", () => {
    if (watchdog?.child === child) watchdog = undefined;
  });
  child.unref();
  stdin.unref();
  watchdog = { child, stdin };
  // A fresh watchdog learns every tree that is still tracked.
  for (const [pid, start] of tracked) stdin.write(`+ ${pid} ${start}\n`);
  return watchdog;
}

/** Have the watchdog end this tree if this process dies first. */
export function watchdogTrack(root: ProcIdentity): void {
  const w = ensureWatchdog();
  tracked.set(root.pid, root.startTime);
  w?.stdin.write(`+ ${root.pid} ${root.startTime}\n`);
}

/** The tree was ended (or handed over to outlive the host): the watchdog forgets it. */
export function watchdogUntrack(pid: number): void {
  if (!tracked.delete(pid)) return;
  if (watchdog && !watchdog.stdin.destroyed) watchdog.stdin.write(`- ${pid}\n`);
}

/** Pid of the running watchdog, if any (for diagnostics and tests). */
export function watchdogPid(): number | undefined {
  return watchdog?.child.pid;
}
