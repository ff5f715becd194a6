import type { Command } from "commander";
import { ClawhostError } from "../../index.js";
import type { Gateway, LogRecord } from "../../index.js";
import { EXIT } from "../exit.js";
import { withSession } from "../context.js";
import { logHistory } from "../history.js";
import { adoptRunning } from "../session.js";

function line(r: LogRecord, prefix: boolean): string {
  return `${prefix ? `${r.gateway} | ` : ""}${r.time} ${r.level.padEnd(5)} ${r.subsystem ? `[${r.subsystem}] ` : ""}${r.message}\n`;
}

/** `clawhost logs`. */
export function logsCommand(program: Command): void {
  program
    .command("logs")
    .description("print gateways' captured output (as kept in <root>/<name>/logs/output.log); -f follows")
    .argument("[names...]", "gateways (default: all)")
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("-n, --tail <n>", "only the last n lines of each gateway", (v) => Number(v))
    .addHelpText("after", "\nExamples:\n  clawhost logs main --tail 20\n  clawhost logs -f")
    .action(async (names: string[], opts: { follow?: boolean; tail?: number }, cmd: Command) => {
      process.exitCode = await withSession(cmd, names, async (s) => {
        if (opts.tail !== undefined && (!Number.isInteger(opts.tail) || opts.tail < 0)) {
          throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `--tail ${String(opts.tail)} is not a count.`, { value: opts.tail, fix: "pass a whole number >= 0, e.g. --tail 20." });
        }
        if (opts.follow) await adoptRunning(s.selected, 20_000);
        const ac = new AbortController();
        const stop = (): void => ac.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        try {
          const prefix = s.selected.length > 1;
          await Promise.all(
            s.selected.map(async (gw: Gateway) => {
              for (const r of await logHistory(gw, opts.tail)) process.stdout.write(line(r, prefix));
              if (!opts.follow) return;
              for await (const r of gw.logs({ tail: 0, follow: true, signal: ac.signal })) process.stdout.write(line(r, prefix));
            }),
          );
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
        }
        return EXIT.ok;
      });
    });
}
