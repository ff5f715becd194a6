import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { delimiter, dirname } from "node:path";
import { createInterface } from "node:readline";
import type { InstanceContext } from "../context/context.js";
import type { ResolvedRuntime } from "./runtime.js";
import { ProcessTree } from "./tree.js";
import { descendantsOf, isAlive } from "./proc.js";

/** How a gateway process ended. */
export interface ExitInfo {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned gateway: the child, its tree, and its exit. */
export interface SpawnedGateway {
  child: ChildProcess;
  tree: ProcessTree;
  exited: Promise<ExitInfo>;
}

/**
 * The argv of `openclaw gateway` in the embedding preset. The token is never on it:
 * argv is world-readable through /proc/<pid>/cmdline and `ps`.
 */
export function gatewayArgs(ctx: InstanceContext): string[] {
  return ["gateway", "--allow-unconfigured", "--port", String(ctx.ports.gateway), "--bind", "loopback"];
}

/** Spawn `openclaw gateway` for `ctx`, the token delivered through the env only. */
export function spawnGateway(
  runtime: ResolvedRuntime,
  ctx: InstanceContext,
  token: string,
  onLine: (stream: "stdout" | "stderr", line: string) => void,
): SpawnedGateway {
  const env: Record<string, string> = { ...ctx.env, OPENCLAW_GATEWAY_TOKEN: token };
  env.PATH = [dirname(runtime.node), env.PATH ?? ""].filter(Boolean).join(delimiter);
  const [command, args] = runtime.entryIsScript
    ? [runtime.node, [runtime.entry, ...gatewayArgs(ctx)]]
    : [runtime.entry, gatewayArgs(ctx)];
  const child = spawn(command, args, { cwd: ctx.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => resolve({ pid: child.pid ?? -1, code, signal }));
    child.once("error", () => resolve({ pid: child.pid ?? -1, code: null, signal: null }));
  });
  for (const stream of ["stdout", "stderr"] as const) {
    const rl = createInterface({ input: child[stream]!, crlfDelay: Infinity });
    rl.on("line", (line) => onLine(stream, line));
  }
  const tree = new ProcessTree(child.pid ?? -1);
  liveTrees.add(tree);
  void exited.then(() => {
    // The tree stays registered until its last member is gone (see reapAll).
    if (tree.alive().length === 0) liveTrees.delete(tree);
  });
  return { child, tree, exited };
}

const liveTrees = new Set<ProcessTree>();

/** Forget a tree once it has been ended. */
export function untrackTree(tree: ProcessTree): void {
  liveTrees.delete(tree);
}

/**
 * Last resort when this process exits with gateways still running (an uncaught
 * exception, `process.exit()`): SIGKILL every known member of every live tree,
 * synchronously. It cannot run on SIGKILL of this process.
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
