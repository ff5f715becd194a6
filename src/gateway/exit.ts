import type { InstanceContext } from "../context/context.js";
import type { ClawhostError } from "../errors.js";
import { essentialPorts } from "../ports/block.js";
import { classifyExit, EXIT_CONFIG, readStateDirLocks } from "../process/exit.js";
import type { ExitInfo } from "../process/spawn.js";
import type { PortProber } from "./deps.js";
import { exitedUnexpectedly, portInUse, stateDirInUse } from "./errors.js";
import type { Run } from "./run.js";
import type { GatewayExitInfo } from "./types.js";

/**
 * Why a run ended, and the error that names the cause. What clawhost checks itself is
 * read only where the exit status leaves it open: a state-dir holder explains a 78, a
 * port holder another non-zero code; clawhost's own ends need neither.
 */
export function explainExit(ctx: InstanceContext, run: Run, info: ExitInfo, ports: PortProber): { exit: GatewayExitInfo; error: ClawhostError } {
  const requested = run.requested;
  const unexplained = requested === undefined && info.code !== 0 && info.code !== null;
  const mine = unexplained ? new Set([info.pid, ...run.proc.alive().map((m) => m.pid)]) : new Set<number>();
  const holder = unexplained && info.code === EXIT_CONFIG ? readStateDirLocks(ctx.stateDir).find((l) => l.alive && !mine.has(l.pid)) : undefined;
  const portHolders =
    unexplained && info.code !== EXIT_CONFIG ? ports.holders(essentialPorts(ctx.ports.gateway)).filter((h) => h.pid !== undefined && !mine.has(h.pid)) : [];
  const reason = classifyExit(info, { requested, stateDirHolder: holder?.pid, portHolders: portHolders.map((h) => h.pid!) });
  const exit = run.recordExit(info, reason);
  let error: ClawhostError;
  if (reason === "state-dir-in-use" && holder) error = stateDirInUse(ctx, holder.pid, holder.path);
  else if (reason === "port-conflict") error = portInUse(ctx, portHolders.map((h) => h.port), portHolders, "the gateway exited");
  else error = exitedUnexpectedly(ctx.name, exit);
  return { exit, error };
}
