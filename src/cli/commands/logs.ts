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

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO 8601 time, or a duration ago; epoch ms. */
function parseSince(text: string): number {
  const ago = /^(\d+)([smhd])$/.exec(text);
  if (ago) return Date.now() - Number(ago[1]) * UNIT_MS[ago[2]!]!;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `--since ${JSON.stringify(text)} is neither a time nor a duration.`, { value: text, fix: "pass an ISO 8601 time (2026-11-27T17:00:00Z) or a duration ago (90s, 10m, 2h, 1d)." });
  }
  return at;
}

/** `clawhost logs`. */
export function logsCommand(program: Command): void {
  program
    .command("logs")
    .description("print gateways' captured output (as kept in <root>/<name>/logs/output.log); -f follows")
    .argument("[names...]", "gateways (default: all)")
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("-n, --tail <n>", "only the last n lines of each gateway", (v) => Number(v))
    .option("--since <time>", "only lines from then on: an ISO 8601 time, or a duration ago (90s, 10m, 2h, 1d)")
    .addHelpText("after", "\nExamples:\n  clawhost logs main --tail 20\n  clawhost logs -f")
    .action(async (names: string[], opts: { follow?: boolean; tail?: number; since?: string }, cmd: Command) => {
      process.exitCode = await withSession(cmd, names, async (s) => {
        const since = opts.since === undefined ? undefined : parseSince(opts.since);
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
              const kept = await logHistory(gw, since === undefined ? opts.tail : undefined);
              const shown = since === undefined ? kept : kept.filter((r) => Date.parse(r.time) >= since);
              for (const r of opts.tail !== undefined && since !== undefined ? shown.slice(Math.max(0, shown.length - opts.tail)) : shown) process.stdout.write(line(r, prefix));
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
