import type { Command } from "commander";
import pidusage from "pidusage";
import type { GatewaySnapshot } from "../../index.js";
import { EXIT } from "../exit.js";
import { globals, reportError, withSession } from "../context.js";
import { loadFleet } from "../fleet.js";
import { printJson, renderPs } from "../output.js";
import type { PsRow } from "../output.js";
import { adoptRunning } from "../session.js";
import { readLiveStatus } from "../status.js";

/** A gateway as `ps --json` and `up --json` list it. */
export function gatewayRow(s: GatewaySnapshot): PsRow {
  return {
    name: s.name,
    state: s.state,
    pid: s.pid,
    ports: `${s.ports.block.start}-${s.ports.block.end}`,
    uptimeMs: s.uptimeMs,
    restarts: s.restartsTotal,
    cpuPercent: s.resources?.cpuPercent,
    cpuMs: s.resources?.cpuMs,
    rssBytes: s.resources?.rssBytes,
    adopted: s.adopted,
    lastExit: s.lastExit,
  };
}

/**
 * Uptime of the process itself (adoption restarts the SDK's clock), and its CPU since it
 * started, as Unix `ps` shows it, until the host's sampler has two samples.
 */
async function withProcessAge(row: PsRow): Promise<PsRow> {
  if (row.pid === undefined) return row;
  try {
    const u = await pidusage(row.pid);
    return { ...row, uptimeMs: u.elapsed, cpuPercent: row.cpuPercent ?? (row.cpuMs !== undefined && u.elapsed > 0 ? (row.cpuMs / u.elapsed) * 100 : undefined) };
  } catch {
    return row;
  }
}

function print(rows: PsRow[], json: boolean | undefined, supervisor: number | undefined): void {
  if (json) return printJson({ supervisor: supervisor ?? null, gateways: rows });
  process.stdout.write(`${renderPs(rows, process.stdout.columns ?? (Number(process.env.COLUMNS) || Number.POSITIVE_INFINITY))}\n`);
  if (supervisor !== undefined) process.stdout.write(`(supervised by a foreground clawhost up, pid ${supervisor})\n`);
}

/** `clawhost ps`. */
export function psCommand(program: Command): void {
  program
    .command("ps")
    .description("list the gateways: state, pid, port block, uptime, restarts, cpu, memory")
    .argument("[names...]", "gateways to list (default: all)")
    .addHelpText("after", "\nStates: ready, starting, restarting, unhealthy, backoff, stopping, stopped, failed,\nand exited (a detached gateway whose process ended while no clawhost watched it).\n\nExamples:\n  clawhost ps\n  clawhost ps --json | jq '.gateways[] | {name, state}'")
    .action(async (names: string[], _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      try {
        const fleet = loadFleet(g.file);
        const root = fleet.host.root;
        const status = await readLiveStatus(root);
        if (status) {
          const rows = await Promise.all(status.gateways.filter((s) => names.length === 0 || names.includes(s.name)).map((s) => withProcessAge(gatewayRow(s))));
          print(rows, g.json, status.pid);
          return void (process.exitCode = EXIT.ok);
        }
      } catch (err) {
        return void (process.exitCode = reportError(err, g.json));
      }
      process.exitCode = await withSession(cmd, names, async (s, gl) => {
        const gone = await adoptRunning(s.selected, 20_000);
        const rows = await Promise.all(
          s.selected.map(async (gw) => {
            const row = gatewayRow(gw.snapshot());
            if (gone.has(gw.name)) return { ...row, state: "exited" };
            return withProcessAge(row);
          }),
        );
        print(rows, gl.json, undefined);
        return EXIT.ok;
      });
    });
}
