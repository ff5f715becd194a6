import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync, statSync } from "node:fs";
import { delimiter, dirname } from "node:path";
import type { InstanceContext } from "../context/context.js";
import type { ResolvedRuntime } from "./runtime.js";
import { followFile, resumeOffset } from "./follow.js";
import type { FreeRead } from "./follow.js";
import { readLines } from "./lines.js";
import { ProcessTree } from "./tree.js";
import type { KillReport } from "./tree.js";
import { catchesSignal, descendantsOf, isAlive, readProc } from "../fs/proc.js";
import type { ProcIdentity } from "../fs/proc.js";
import type { TreeSample } from "./sampler.js";
import { watchdogTrack, watchdogUntrack } from "./watchdog.js";

/** How a gateway process ended. `code` and `signal` are null when it was not our child (adopted). */
export interface ExitInfo {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A gateway process clawhost runs: spawned by it, or adopted from an earlier host. */
export interface GatewayProcess {
  readonly pid: number;
  /** pid plus process start time: survives pid reuse. */
  readonly identity: ProcIdentity;
  /** Resolves once, when the root process ended. */
  readonly exited: Promise<ExitInfo>;
  /** Started to outlive its host: own session, output to a file, no watchdog. */
  readonly outlive: boolean;
  /** Taken over from an earlier host rather than spawned. */
  readonly adopted: boolean;
  /** Random id of this run, in the env of every process of its tree (`CLAWHOST_RUN_ID`). */
  readonly runId: string;
  /** Known members of the tree still alive. */
  alive(): ProcIdentity[];
  /** The last sample of the whole tree (RSS, CPU). */
  sample(): TreeSample | undefined;
  /** Send a signal to the root process. */
  signal(sig: NodeJS.Signals): void;
  /** Whether the root process handles `sig` itself (false once it is gone). */
  catches(sig: NodeJS.Signals): Promise<boolean>;
  /** End the whole tree (see {@link ProcessTree.kill}). */
  terminate(opts: { graceMs: number; deadlineMs?: number; signal?: AbortSignal | undefined }): Promise<KillReport>;
  /** Stop reading its output and watching it (it keeps running). */
  release(): void;
}

/** One spawn request. */
export interface SpawnRequest {
  runtime: ResolvedRuntime;
  ctx: InstanceContext;
  token: string;
  outlive: boolean;
  onLine: LineSink;
  /** Outlive: give back the disk space of `gateway.out` once read. */
  freeOutput?: FreeRead;
}

/** The spawner seam: real processes here, scripted ones in the state machine's unit tests. */
export interface Spawner {
  /** Resolves when the caller may spawn (the real spawner lets one spawn through per event-loop turn). */
  turn?(): Promise<void>;
  spawn(req: SpawnRequest): GatewayProcess;
  /** Take over a gateway an earlier host started with `outlive` (pid, start time and bootId verified). */
  adopt(root: ProcIdentity, runId: string | undefined, ctx: InstanceContext, onLine: LineSink, freeOutput?: FreeRead): GatewayProcess;
}

export type LineSink = (stream: "stdout" | "stderr", line: string) => void;

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

/** The env variable that marks every process of a run's tree. */
export const RUN_ID_VAR = "CLAWHOST_RUN_ID";

function handle(
  tree: ProcessTree,
  exited: Promise<ExitInfo>,
  flags: { outlive: boolean; adopted: boolean; runId: string },
  release: () => void,
): GatewayProcess {
  return {
    runId: flags.runId,
    pid: tree.root.pid,
    identity: tree.root,
    exited,
    outlive: flags.outlive,
    adopted: flags.adopted,
    alive: () => tree.alive(),
    sample: () => tree.sample,
    signal: (sig) => {
      if (!isAlive(tree.root)) return;
      try {
        process.kill(tree.root.pid, sig);
      } catch {
        // Gone.
      }
    },
    catches: async (sig) => isAlive(tree.root) && (await catchesSignal(tree.root.pid, sig)) === true,
    terminate: async (opts) => {
      const report = await tree.kill(opts);
      if (report.survivors.length === 0) untrack(tree);
      return report;
    },
    release: () => {
      release();
      untrack(tree);
      tree.close();
    },
  };
}

/**
 * Spawn `openclaw gateway` for `ctx`, the token delivered through the env only.
 * By default the tree is handed to the watchdog (it dies with this process, even on
 * SIGKILL). With `outlive`, the gateway gets its own session and writes to
 * `ctx.outputFile`, so nothing ties it to this process.
 */
function spawnGateway(req: SpawnRequest): GatewayProcess {
  const { runtime, ctx, token, onLine, outlive } = req;
  const { command, args, env } = openclawCommand(runtime, ctx, token, gatewayArgs(ctx));
  const runId = randomUUID();
  env[RUN_ID_VAR] = runId;
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
  let stopOutput = (): void => undefined;
  if (outlive) {
    child.unref();
    stopOutput = followFile(ctx.outputFile, tailFrom, (line) => onLine("stdout", line), req.freeOutput);
  } else {
    for (const stream of ["stdout", "stderr"] as const) readLines(child[stream]!, (line) => onLine(stream, line));
  }
  // Just spawned: no children to learn yet; the sampler's next ticks find them.
  const tree = new ProcessTree({ pid, startTime: readProc(pid)?.startTime ?? -1 }, { refresh: false, marker: `${RUN_ID_VAR}=${runId}` });
  if (!outlive) {
    liveTrees.add(tree);
    if (tree.root.startTime > 0) watchdogTrack(tree.root);
  }
  return handle(tree, exited, { outlive, adopted: false, runId }, stopOutput);
}

/** Take over a gateway an earlier host started with `outlive`; its end is noticed by the sampler. */
function adoptGateway(root: ProcIdentity, runId: string | undefined, ctx: InstanceContext, onLine: LineSink, freeOutput?: FreeRead): GatewayProcess {
  const tree = new ProcessTree(root, { marker: runId ? `${RUN_ID_VAR}=${runId}` : undefined });
  const exited = new Promise<ExitInfo>((resolve) => {
    tree.onRootGone(() => resolve({ pid: root.pid, code: null, signal: null }));
  });
  // What it wrote while no host was attached is read too (from where the last host stopped).
  const from = resumeOffset(ctx.outputFile);
  return handle(tree, exited, { outlive: true, adopted: true, runId: runId ?? "" }, followFile(ctx.outputFile, from, (line) => onLine("stdout", line), freeOutput));
}

let lastTurn: Promise<void> = Promise.resolve();

/**
 * One spawn per event-loop turn, process-wide: a spawn forks this process synchronously
 * (page tables copied, milliseconds on a loaded host), and a fleet's starts that reach
 * their spawn together would otherwise stall the loop for the sum of them.
 */
function spawnTurn(): Promise<void> {
  const turn = lastTurn.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  lastTurn = turn;
  return turn;
}

/** The real spawner. */
export const processSpawner: Spawner = { turn: spawnTurn, spawn: spawnGateway, adopt: adoptGateway };


const liveTrees = new Set<ProcessTree>();

function untrack(tree: ProcessTree): void {
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
    const targets = isAlive(tree.root) ? descendantsOf(tree.root.pid) : [];
    for (const id of [...targets, ...tree.alive()]) {
      try {
        process.kill(id.pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
  }
}
process.once("exit", reapAll);
