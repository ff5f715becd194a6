import { isClawhostError } from "../index.js";

/** The exit codes of the `clawhost` command (docs/cli.md). */
export const EXIT = {
  /** Done: every gateway asked for is in the state asked for. */
  ok: 0,
  /** An operation failed: a gateway not ready, a stop that left processes, an RPC refused. */
  failed: 1,
  /** The command line is wrong: unknown command or option, a bad argument, an unknown gateway name. */
  usage: 2,
  /** The fleet file is missing or invalid. */
  fleetFile: 3,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** Which exit code an error means. */
export function exitCodeOf(err: unknown): number {
  if (!isClawhostError(err)) return EXIT.failed;
  switch (err.code) {
    case "CLAWHOST_FLEET_FILE_NOT_FOUND":
    case "CLAWHOST_FLEET_FILE_INVALID":
      return EXIT.fleetFile;
    case "CLAWHOST_UNKNOWN_GATEWAY":
    case "CLAWHOST_INVALID_ARGUMENT":
      return EXIT.usage;
    default:
      return EXIT.failed;
  }
}
