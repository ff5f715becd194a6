import type { Command } from "commander";
import type { Gateway } from "../../index.js";
import { EXIT } from "../exit.js";
import { withSession } from "../context.js";
import { printJson } from "../output.js";
import { adoptRunning, forgetDeadRun } from "../session.js";
import { startEach } from "./up.js";

const ADOPT_TIMEOUT_MS = 20_000;

type Outcome = { name: string; ok: boolean; code?: string; message?: string };

async function each(gateways: readonly Gateway[], fn: (g: Gateway) => Promise<unknown>): Promise<Outcome[]> {
  const results = await Promise.allSettled(gateways.map(fn));
  return results.map((r, i) => {
    const name = gateways[i]!.name;
    if (r.status === "fulfilled") return { name, ok: true };
    const e = r.reason as { code?: string; message?: string };
    return { name, ok: false, code: e.code, message: e.message };
  });
}

function report(verb: string, outcomes: Outcome[], gateways: readonly Gateway[], json: boolean | undefined): number {
  if (json) printJson({ gateways: outcomes.map((o, i) => ({ name: o.name, ok: o.ok, state: gateways[i]!.state, ...(o.ok ? {} : { error: { code: o.code, message: o.message } }) })) });
  else {
    for (const o of outcomes) {
      if (o.ok) process.stdout.write(`${o.name}  ${verb}\n`);
      else process.stderr.write(`${o.name}  failed: ${o.message}\n`);
    }
  }
  return outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.failed;
}

/** `clawhost start|stop|restart|down`. */
export function lifecycleCommands(program: Command): void {
  program
    .command("start")
    .description("start gateways and leave them running (as up --detach)")
    .argument("[names...]", "gateways to start (default: all)")
    .option("--wait-timeout <ms>", "how long to wait for each gateway to be ready", (v) => Number(v), 90_000)
    .action(async (names: string[], opts: { waitTimeout: number }, cmd: Command) => {
      process.exitCode = await withSession(cmd, names, async (s, g) => {
        const outcomes = await startEach(s.selected, opts.waitTimeout);
        return report("ready", outcomes, s.selected, g.json);
      });
    });

  program
    .command("stop")
    .description("stop gateways; stopping one that is not running succeeds")
    .argument("[names...]", "gateways to stop (default: all)")
    .action(async (names: string[], _opts: unknown, cmd: Command) => {
      process.exitCode = await withSession(cmd, names, async (s, g) => {
        await adoptRunning(s.selected, ADOPT_TIMEOUT_MS);
        return report("stopped", await each(s.selected, async (gw) => (await gw.stop(), await forgetDeadRun(gw))), s.selected, g.json);
      });
    });

  program
    .command("restart")
    .description("restart gateways (a new process); --in-place asks the running gateway to restart itself (same pid)")
    .argument("[names...]", "gateways to restart (default: all)")
    .option("--in-place", "restart inside the running process (gateway.restart.request, or SIGUSR2)")
    .option("--wait-timeout <ms>", "how long to wait for each gateway to be ready again", (v) => Number(v), 90_000)
    .addHelpText("after", "\nExamples:\n  clawhost restart main\n  clawhost restart --in-place     keeps pid and port; fails when a gateway is not running")
    .action(async (names: string[], opts: { inPlace?: boolean; waitTimeout: number }, cmd: Command) => {
      process.exitCode = await withSession(cmd, names, async (s, g) => {
        await adoptRunning(s.selected, ADOPT_TIMEOUT_MS);
        const outcomes = await each(s.selected, (gw) =>
          gw.state === "ready" || opts.inPlace ? gw.restart({ inPlace: opts.inPlace ?? false, timeoutMs: opts.waitTimeout }) : gw.start({ timeoutMs: opts.waitTimeout }),
        );
        return report(opts.inPlace ? "restarted in place" : "restarted", outcomes, s.selected, g.json);
      });
    });

  program
    .command("down")
    .description("stop every gateway of the fleet and release their port leases")
    .addHelpText("after", "\nExample:\n  clawhost down && clawhost ps    # every gateway stopped")
    .action(async (_opts: unknown, cmd: Command) => {
      process.exitCode = await withSession(cmd, [], async (s, g) => {
        await adoptRunning(s.selected, ADOPT_TIMEOUT_MS);
        const outcomes = await each(s.selected, async (gw) => (await s.host.remove(gw.name), await forgetDeadRun(gw)));
        return report("down", outcomes, s.selected, g.json);
      });
    });
}
