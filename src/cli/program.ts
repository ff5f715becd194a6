import { Command, CommanderError, Option } from "commander";
import { configCommand } from "./commands/config.js";
import { doctorCommand } from "./commands/doctor.js";
import { eventsCommand } from "./commands/events.js";
import { lifecycleCommands } from "./commands/lifecycle.js";
import { logsCommand } from "./commands/logs.js";
import { psCommand } from "./commands/ps.js";
import { renderCommand } from "./commands/render.js";
import { serveCommand } from "./commands/serve.js";
import { upCommand } from "./commands/up.js";
import { EXIT } from "./exit.js";
import { DEFAULT_FLEET_FILE } from "./fleet.js";

declare const CLAWHOST_VERSION: string;

/** The `clawhost` program: every command, the global options, usage errors as exit code 2. */
export function buildProgram(): Command {
  const program = new Command("clawhost")
    .description("Run a fleet of OpenClaw gateways from a file: start, watch, change, stop.")
    .version(typeof CLAWHOST_VERSION === "string" ? CLAWHOST_VERSION : "0.0.0")
    .option("-f, --file <path>", `the fleet file (default: ./${DEFAULT_FLEET_FILE})`)
    .option("--json", "print JSON (every command but logs)")
    .addOption(new Option("--lock-timeout <ms>", "how long to wait for another clawhost invocation on the same fleet").default(15_000).argParser((v) => Number(v)))
    .showHelpAfterError("(clawhost --help for usage)")
    // Options after a command are that command's: `logs -f` follows, `-f <file>` before it names the file.
    .enablePositionalOptions()
    .exitOverride()
    .addHelpText(
      "after",
      `
Fleet file (${DEFAULT_FLEET_FILE}, JSON5):
  { root: "./fleet", gateways: { main: {}, rescue: { port: 19789 } } }

Examples:
  clawhost up --detach && clawhost ps && clawhost down
  clawhost -f prod.json5 restart main --in-place
  clawhost config set main env.vars.REGION '"eu"'
  clawhost render kubernetes -o k8s/
  clawhost serve --port 7070          HTTP API and dashboard (token file printed)

Exit codes: 0 done, 1 an operation failed (a gateway not ready...), 2 bad command line or
unknown gateway, 3 fleet file missing or invalid, 130 interrupted.`,
    );
  upCommand(program);
  psCommand(program);
  lifecycleCommands(program);
  logsCommand(program);
  configCommand(program);
  eventsCommand(program);
  doctorCommand(program);
  renderCommand(program);
  serveCommand(program);
  for (const leaf of leaves(program)) withCommonOptions(leaf);
  return program;
}

function leaves(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => (c.commands.length > 0 ? leaves(c) : [c]));
}

/**
 * The program's options again on each command, so `clawhost ps --json -f prod.json5` works
 * as well as `clawhost --json -f prod.json5 ps`; `logs` and `events` keep `-f` for --follow.
 * No defaults here: the program's default applies unless the command line sets one.
 */
function withCommonOptions(cmd: Command): void {
  const follows = cmd.options.some((o) => o.short === "-f");
  cmd.option(follows ? "--file <path>" : "-f, --file <path>", `the fleet file (default: ./${DEFAULT_FLEET_FILE})`);
  if (cmd.name() !== "logs") cmd.option("--json", "print JSON");
  cmd.addOption(new Option("--lock-timeout <ms>", "how long to wait for another clawhost invocation on the same fleet").argParser((v) => Number(v)));
}

/** Run the program on `argv` (as `process.argv`); resolves with the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw err;
  }
  return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
}
