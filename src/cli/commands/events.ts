import type { Command } from "commander";
import { EXIT } from "../exit.js";
import { withSession } from "../context.js";
import { adoptRunning } from "../session.js";

/** `clawhost events`. */
export function eventsCommand(program: Command): void {
  program
    .command("events")
    .description("the fleet's event stream as this invocation sees it (adoption, state, ready, exit, config, warnings); -f follows")
    .argument("[names...]", "gateways (default: all)")
    .option("-f, --follow", "keep printing new events until Ctrl-C")
    .addHelpText("after", "\nEach invocation is a new host: without -f it prints what adopting the fleet produced;\nwith -f it also prints what happens next while it runs (a crash, a config change...).\n\nExamples:\n  clawhost events -f --json | jq -c 'select(.type == \"exit\")'")
    .action(async (names: string[], opts: { follow?: boolean }, cmd: Command) => {
      process.exitCode = await withSession(cmd, names, async (s, g) => {
        await adoptRunning(s.selected, 20_000);
        const ac = new AbortController();
        const stop = (): void => ac.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        const last = s.host.snapshot().seq;
        try {
          if (!opts.follow && last === 0) return EXIT.ok;
          // Unfiltered, so the record numbered `last` comes even when it is another gateway's.
          for await (const r of s.host.events({ since: 0, signal: ac.signal })) {
            const shown = r.type !== "log" && (names.length === 0 || r.gateway === null || names.includes(r.gateway));
            if (shown && g.json) process.stdout.write(`${JSON.stringify(r)}\n`);
            else if (shown) process.stdout.write(`${r.time} ${r.gateway ?? "host"} ${r.type} ${JSON.stringify(r.data)}\n`);
            if (!opts.follow && r.seq >= last) break;
          }
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
        }
        return EXIT.ok;
      });
    });
}
