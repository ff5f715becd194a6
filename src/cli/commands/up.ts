import type { Command } from "commander";
import type { Gateway } from "../../index.js";
import { EXIT } from "../exit.js";
import { withSession } from "../context.js";
import { printJson } from "../output.js";
import { gatewayRow } from "./ps.js";
import { runForeground } from "./foreground.js";

/** Start each gateway (adopting one already running); the outcome per gateway. */
export async function startEach(gateways: readonly Gateway[], timeoutMs: number): Promise<Array<{ name: string; ok: boolean; code?: string; message?: string }>> {
  const results = await Promise.allSettled(gateways.map((g) => g.start({ timeoutMs })));
  return results.map((r, i) => {
    const name = gateways[i]!.name;
    if (r.status === "fulfilled") return { name, ok: true };
    const e = r.reason as { code?: string; message?: string };
    return { name, ok: false, code: e.code, message: e.message };
  });
}

/** `clawhost up`. */
export function upCommand(program: Command): void {
  program
    .command("up")
    .description("start the gateways of the fleet file (all, or those named); adopts those already running")
    .argument("[names...]", "gateways to start (default: all)")
    .option("-d, --detach", "return once all are ready and leave them running (each later invocation adopts them)")
    .option("--wait-timeout <ms>", "how long to wait for each gateway to be ready", (v) => Number(v), 90_000)
    .addHelpText("after", "\nExamples:\n  clawhost up --detach            start the whole fleet in the background\n  clawhost up main --detach       only main\n  clawhost up                     run in the foreground; Ctrl-C stops, a second Ctrl-C forces")
    .action(async (names: string[], opts: { detach?: boolean; waitTimeout: number }, cmd: Command) => {
      if (!opts.detach) return void (process.exitCode = await runForeground(cmd, names, opts.waitTimeout));
      process.exitCode = await withSession(cmd, names, async (s, g) => {
        const results = await startEach(s.selected, opts.waitTimeout);
        if (g.json) printJson({ gateways: s.selected.map((gw, i) => ({ ...gatewayRow(gw.snapshot()), ...(results[i]!.ok ? {} : { error: { code: results[i]!.code, message: results[i]!.message } }) })) });
        else {
          for (const [i, gw] of s.selected.entries()) {
            const r = results[i]!;
            if (r.ok) process.stdout.write(`${gw.name}  ready  pid ${gw.pid}  port ${gw.context.ports.gateway}${gw.snapshot().adopted ? "  (already running)" : `  in ${gw.snapshot().readyMs} ms`}\n`);
            else process.stderr.write(`${gw.name}  not ready: ${r.message}\n`);
          }
        }
        return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
      });
    });
}
