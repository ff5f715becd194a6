import type { Command } from "commander";
import { loadFleet } from "./fleet.js";
import { errorJson, printJson } from "./output.js";
import { exitCodeOf } from "./exit.js";
import { openSession } from "./session.js";
import type { Session } from "./session.js";

/** Options every command takes (set on the program, read with `optsWithGlobals()`). */
export interface GlobalOptions {
  file?: string;
  json?: boolean;
  lockTimeout: number;
}

/** The global options of the command being run. */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Report an error the way the invocation asked (JSON on stdout, else a line on stderr) and return its exit code. */
export function reportError(err: unknown, json: boolean | undefined): number {
  if (json) printJson(errorJson(err));
  else process.stderr.write(`clawhost: ${err instanceof Error ? err.message : String(err)}\n`);
  return exitCodeOf(err);
}

/**
 * Run one command against the fleet: load the file, open a host on its root (adding every
 * gateway), run `fn`, close the host (adopted gateways keep running). Returns the exit code.
 */
export async function withSession(cmd: Command, names: readonly string[], fn: (s: Session, g: GlobalOptions) => Promise<number>): Promise<number> {
  const g = globals(cmd);
  let session: Session | undefined;
  try {
    session = await openSession(loadFleet(g.file), names, { lockTimeoutMs: g.lockTimeout });
    return await fn(session, g);
  } catch (err) {
    return reportError(err, g.json);
  } finally {
    await session?.close();
  }
}
