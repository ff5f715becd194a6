import type { InstanceContext } from "../context/context.js";
import { ClawhostError, isClawhostError } from "../errors.js";
import type { Connection } from "../rpc/connection.js";
import type { GatewayDeps } from "./deps.js";
import { restartUnsupported } from "./errors.js";
import type { Run } from "./run.js";

const REPOLL_MS = 100;

/** The RPC OpenClaw restarts itself in place with (its signal changed between releases; this did not). */
export const RESTART_METHOD = "gateway.restart.request";

/** How a run can be asked to restart in place. */
export type InPlaceRestartWay = "rpc" | "SIGUSR2";

/**
 * Pick how to ask `run` for an in-place restart from what it tells about itself, never from
 * its version: the RPC when its hello-ok lists it, else SIGUSR2 when the process handles
 * that signal (an unhandled SIGUSR2 kills a Node process). Throws
 * `CLAWHOST_RESTART_UNSUPPORTED` when neither holds.
 */
export async function inPlaceRestartWay(name: string, run: Run): Promise<InPlaceRestartWay> {
  if (run.hello?.features?.methods?.includes(RESTART_METHOD)) return "rpc";
  if (await run.proc.catches("SIGUSR2")) return "SIGUSR2";
  throw restartUnsupported(name, run.hello?.server.version ?? "unknown", run.pid);
}

/**
 * Ask `run` to restart in place, the way {@link inPlaceRestartWay} chose. Resolves once
 * asked; the restart itself is followed through the gateway's `shutdown` event. Over the
 * RPC, `skipDeferral` skips OpenClaw's wait for active work (up to 5 min), so the new boot
 * comes within the caller's deadline; a socket that closes under the request means the
 * restart began.
 */
export async function askInPlaceRestart(run: Run, way: InPlaceRestartWay, call: (method: string, params: unknown) => Promise<unknown>): Promise<void> {
  if (way === "SIGUSR2") return run.proc.signal("SIGUSR2");
  try {
    await call(RESTART_METHOD, { reason: "clawhost restart({ inPlace: true })", skipDeferral: true });
  } catch (err) {
    if (isClawhostError(err, "CLAWHOST_CONNECTION_CLOSED")) return;
    throw err;
  }
}

/**
 * Follow an in-place restart (asked for by clawhost or anyone else, or a config change the
 * gateway applies by restarting): the same process, a new boot. Resolves with a connection to the new boot;
 * the draining old boot may still answer for a moment, so only a new `bootId` counts.
 * Rejects when the run ends, is retired, or misses `deadline`.
 */
export async function followInPlaceRestart(ctx: InstanceContext, deps: GatewayDeps, run: Run, token: string, oldBoot: string, deadline: number): Promise<Connection> {
  for (;;) {
    const next = await deps.readiness({
      port: ctx.ports.gateway,
      token,
      gateway: ctx.name,
      deadline,
      signal: run.signal,
      check: () => {
        if (run.exit) throw new ClawhostError("CLAWHOST_ABORTED", "the process ended during its in-place restart.", { gateway: ctx.name, value: run.pid, fix: "read the exit event; the restart policy decides what happens next." });
      },
    });
    if (next.hello.server.bootId !== oldBoot) return next;
    next.close();
    await new Promise((r) => setTimeout(r, REPOLL_MS));
  }
}
