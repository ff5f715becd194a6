import type { InstanceContext } from "../context/context.js";
import { ClawhostError } from "../errors.js";
import type { Connection } from "../rpc/connection.js";
import type { GatewayDeps } from "./deps.js";
import type { Run } from "./run.js";

const REPOLL_MS = 100;

/**
 * Follow an in-place restart (SIGUSR2, or a config change the gateway applies by
 * restarting): the same process, a new boot. Resolves with a connection to the new boot;
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
