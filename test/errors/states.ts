// A gateway brought into each lifecycle state on the fake world's seams (no process), for
// the rows that call every operation in every state.
import { existsSync } from "node:fs";
import type { Gateway } from "clawhost";
import { waitUntil } from "../helpers.js";
import type { KillReport } from "../../src/process/tree.js";
import { nextState, settle } from "./harness.js";
import type { Env } from "./harness.js";

export type StateName = "stopped" | "starting" | "ready" | "restarting" | "unhealthy" | "backoff" | "stopping" | "failed" | "removed";

/** A terminate() that does not end the process until the row is cleaned up. */
function holdTermination(env: Env): void {
  const proc = env.world.last;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  proc.terminate = async (): Promise<KillReport> => {
    proc.signals.push("SIGTERM");
    await released;
    proc.exit(null, "SIGTERM");
    return { escalated: false, survivors: [] };
  };
  env.onCleanup(() => release());
}

export const STATES: Record<StateName, (env: Env) => Promise<Gateway>> = {
  stopped: (env) => env.gateway(),
  async starting(env) {
    env.world.defaultBoot = { kind: "manual" };
    const gw = await env.gateway();
    void gw.start().catch(() => undefined);
    await nextState(gw, "starting");
    await env.world.waiting();
    return gw;
  },
  async ready(env) {
    const gw = await env.gateway();
    await gw.start();
    return gw;
  },
  async restarting(env) {
    const gw = await env.gateway();
    await gw.start();
    const proc = env.world.last;
    proc.onRestart = () => {
      env.world.conns.at(-1)!.push("shutdown", { restartExpectedMs: 1500 });
      proc.boot = { kind: "manual" };
      proc.ready = false;
    };
    proc.signal("SIGUSR2");
    await nextState(gw, "restarting");
    return gw;
  },
  async unhealthy(env) {
    const gw = await env.gateway({ liveness: { failures: 1 } });
    await gw.start();
    holdTermination(env);
    env.world.conns.at(-1)!.pong = false;
    env.world.scheduler.fire();
    await nextState(gw, "unhealthy");
    return gw;
  },
  async backoff(env) {
    const gw = await env.gateway({ restart: { initialDelayMs: 60_000 } });
    await gw.start();
    env.world.last.exit(1);
    await nextState(gw, "backoff");
    // The crashed run's record is removed in the background: let it finish before the row looks.
    await waitUntil(() => !existsSync(gw.context.runFile), "the run record of the crashed run removed", 5_000);
    await settle();
    return gw;
  },
  async stopping(env) {
    const gw = await env.gateway();
    await gw.start();
    holdTermination(env);
    void gw.stop().catch(() => undefined);
    await nextState(gw, "stopping");
    return gw;
  },
  async failed(env) {
    env.world.boots = [{ kind: "exit", code: 1 }];
    const gw = await env.gateway();
    await gw.start().catch(() => undefined);
    return gw;
  },
  async removed(env) {
    const gw = await env.gateway();
    await env.hosts[0]!.remove(gw.name);
    return gw;
  },
};

export const STATE_NAMES = Object.keys(STATES) as StateName[];
