import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { delimiter, dirname } from "node:path";
import { createInterface } from "node:readline";
import type { InstanceContext } from "../context/context.js";
import type { ResolvedRuntime } from "./runtime.js";
import { ProcessTree } from "./tree.js";
import { descendantsOf, isAlive } from "./proc.js";
import type { ProcIdentity } from "./proc.js";
import { watchdogTrack, watchdogUntrack } from "./watchdog.js";

/** How a gateway process ended. `code` and `signal` are null when it was not our child (adopted). */
export interface ExitInfo {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A gateway process clawhost runs: spawned by it, or adopted from an earlier host. */
export interface SpawnedGateway {
  pid: number;
  tree: ProcessTree;
  exited: Promise<ExitInfo>;
  /** Started to outlive its host: own session, output to a file, no watchdog. */
  outlive: boolean;
  /** Stop reading its output and watching it (it keeps running). */
  release(): void;
}

type LineSink = (stream: "stdout" | "stderr", line: string) => void;

/**
 * The argv of `openclaw gateway` in the embedding preset. The token is never on it:
 * argv is world-readable through /proc/<pid>/cmdline and `ps`.
 */
export function gatewayArgs(ctx: InstanceContext): string[] {
  return ["gateway", "--allow-unconfigured", "--port", String(ctx.ports.gateway), "--bind", "loopback"];
}

/** Command, argv and env (token included) of any `openclaw` subcommand for `ctx`. */
export function openclawCommand(
  runtime: ResolvedRuntime,
  ctx: InstanceContext,
  token: string,
  args: string[],
): { command: string; args: string[]; env: Record<string, string> } {
  const env: Record<string, string> = { ...ctx.env, OPENCLAW_GATEWAY_TOKEN: token };
  env.PATH = [dirname(runtime.node), env.PATH ?? ""].filter(Boolean).join(delimiter);
  return runtime.entryIsScript
    ? { command: runtime.node, args: [runtime.entry, ...args], env }
    : { command: runtime.entry, args, env };
}

/**
 * Spawn `openclaw gateway` for `ctx`, the token delivered through the env only.
 * By default the tree is handed to the watchdog (it dies with this process, even on
 * SIGKILL). With `outlive`, the gateway gets its own session and writes to
 * `ctx.outputFile`, so nothing ties it to this process.
 */
export function spawnGateway(
  runtime: ResolvedRuntime,
  ctx: InstanceContext,
  token: string,
  onLine: LineSink,
  opts: { outlive?: boolean } = {},
): SpawnedGateway {
  const { command, args, env } = openclawCommand(runtime, ctx, token, gatewayArgs(ctx));
  const outlive = opts.outlive === true;
  let outFd: number | undefined;
  let tailFrom = 0;
  if (outlive) {
    outFd = openSync(ctx.outputFile, "a", 0o600);
    tailFrom = statSync(ctx.outputFile).size;
  }
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: ctx.cwd,
      env,
      detached: outlive,
      stdio: outlive ? ["ignore", outFd!, outFd!] : ["ignore", "pipe", "pipe"],
    });
  } finally {
    // The child holds its own copy; ours is closed even when spawn throws.
    if (outFd !== undefined) closeSync(outFd);
  }
  const pid = child.pid ?? -1;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => resolve({ pid, code, signal }));
    child.once("error", () => resolve({ pid, code: null, signal: null }));
  });
  let release = (): void => undefined;
  if (outlive) {
    child.unref();
    release = tailFile(ctx.outputFile, tailFrom, onLine);
  } else {
    for (const stream of ["stdout", "stderr"] as const) {
      const rl = createInterface({ input: child[stream]!, crlfDelay: Infinity });
      rl.on("line", (line) => onLine(stream, line));
    }
  }
  const tree = new ProcessTree(pid);
  // Learn children while the root lives: after a crash they are re-parented to init
  // (the spawn broker and terminals have their own sessions) and only this list finds them.
  const refresher = setInterval(() => tree.refresh(), TREE_REFRESH_MS);
  refresher.unref();
  void exited.then(() => clearInterval(refresher));
  if (!outlive) {
    liveTrees.add(tree);
    if (tree.root.startTime > 0) watchdogTrack(tree.root);
  }
  void exited.then(() => {
    // The tree stays registered until its last member is gone (see reapAll).
    if (tree.alive().length === 0) untrackTree(tree);
  });
  return { pid, tree, exited, outlive, release };
}

/**
 * Take over a gateway an earlier host started with `outlive` (the caller verified pid,
 * start time and bootId). Its exit is noticed by polling, since it is not our child.
 */
export function adoptGateway(root: ProcIdentity, ctx: InstanceContext, onLine: LineSink): SpawnedGateway {
  const tree = new ProcessTree(root.pid);
  tree.refresh();
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    timer = setInterval(() => {
      tree.refresh();
      if (isAlive(root)) return;
      clearInterval(timer);
      resolve({ pid: root.pid, code: null, signal: null });
    }, ADOPTED_POLL_MS);
    timer.unref();
  });
  let size = 0;
  try {
    size = statSync(ctx.outputFile).size;
  } catch {
    // No output yet.
  }
  const stopTail = tailFile(ctx.outputFile, size, onLine);
  return {
    pid: root.pid,
    tree,
    exited,
    outlive: true,
    release: () => {
      stopTail();
      clearInterval(timer);
    },
  };
}

const ADOPTED_POLL_MS = 250;
const TREE_REFRESH_MS = 500;
const TAIL_POLL_MS = 200;

/** Follow a file from `offset`, line by line, until the returned function is called. */
function tailFile(path: string, offset: number, onLine: LineSink): () => void {
  let pos = offset;
  let partial = "";
  const buf = Buffer.alloc(64 * 1024);
  const timer = setInterval(() => {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return;
    }
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        pos += n;
        partial += buf.subarray(0, n).toString("utf8");
      }
    } finally {
      closeSync(fd);
    }
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine("stdout", line);
  }, TAIL_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

const liveTrees = new Set<ProcessTree>();

/** Forget a tree once it has been ended (or handed over to outlive this process). */
export function untrackTree(tree: ProcessTree): void {
  liveTrees.delete(tree);
  watchdogUntrack(tree.root.pid);
}

/**
 * Last resort when this process exits with gateways still running (an uncaught
 * exception, `process.exit()`): SIGKILL every known member of every live tree,
 * synchronously. On SIGKILL of this process the watchdog does it instead.
 */
function reapAll(): void {
  for (const tree of liveTrees) {
    if (isAlive(tree.root)) {
      for (const p of descendantsOf(tree.root.pid)) {
        try {
          process.kill(p.pid, "SIGKILL");
        } catch {
          // Gone.
        }
      }
    }
    for (const id of tree.alive()) {
      try {
        process.kill(id.pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
  }
}
process.once("exit", reapAll);
