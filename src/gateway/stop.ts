import type { InstanceContext } from "../context/context.js";
import { essentialPorts } from "../ports/block.js";
import type { KillReport } from "../process/tree.js";
import type { PortProber } from "./deps.js";
import type { Requested, Run } from "./run.js";

const PORT_FREE_POLL_MS = 50;
/** After the tree is gone its ports free at once; longer means another process holds them. */
const PORT_FREE_WAIT_MS = 2_000;
/** SIGKILLed processes are reaped within milliseconds; this bounds the wait for the exit status. */
const EXIT_STATUS_WAIT_MS = 2_000;

/**
 * End a run's whole tree: SIGTERM, SIGKILL after `graceMs`, never past `deadlineMs`.
 * Resolves with what survived (normally nothing); the run is released once its tree is
 * gone, so its output and sampling stop. An aborted `signal` skips the rest of the grace.
 */
export async function endRun(run: Run, why: Requested, graceMs: number, deadlineMs: number, signal?: AbortSignal): Promise<KillReport> {
  if (!run.exit) run.request(why);
  run.retire();
  const report = await run.proc.terminate({ graceMs, deadlineMs, signal });
  if (report.survivors.length > 0) return report;
  // The root is gone, so its exit status arrives at once (bounded for an adopted root, which is not our child,
  // whose end the unref'd sampler notices): this timer is ref'd so a process with nothing else alive waits for it.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([run.proc.exited, new Promise((r) => (timer = setTimeout(r, EXIT_STATUS_WAIT_MS)))]);
  clearTimeout(timer);
  run.proc.release();
  return report;
}

/** Wait (bounded) until the gateway's essential ports bind again; returns those still busy. */
export async function waitForPortsFree(ctx: InstanceContext, ports: PortProber, signal?: AbortSignal): Promise<number[]> {
  const wanted = essentialPorts(ctx.ports.gateway);
  const deadline = Date.now() + PORT_FREE_WAIT_MS;
  for (;;) {
    const busy = await ports.busy(wanted);
    if (busy.length === 0 || Date.now() >= deadline || signal?.aborted) return busy;
    await new Promise((r) => setTimeout(r, PORT_FREE_POLL_MS));
  }
}
