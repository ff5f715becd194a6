import { redactSecret } from "../context/secrets.js";
import type { ClawhostError } from "../errors.js";
import type { ExitReason } from "../process/exit.js";
import type { ExitInfo, GatewayProcess } from "../process/spawn.js";
import type { Connection, HelloOk } from "../rpc/connection.js";
import type { GatewayExitInfo } from "./types.js";

const TAIL_LINES = 40;

/** Why clawhost itself ended a run (absent: it ended by itself). */
export type Requested = "stopped" | "unhealthy" | "start-timeout";

/**
 * One spawned (or adopted) run of the gateway process, and everything that belongs to
 * it alone: its process, its protocol connection and hello, its output tail, why
 * clawhost ended it and how it ended. A run is never reused: a restart makes a new one,
 * so a late event of an old run is recognised by `gateway.run !== run`, and
 * `run.signal` aborts whatever still works for it.
 */
export class Run {
  readonly proc: GatewayProcess;
  readonly startedAt = new Date();
  readonly #abort = new AbortController();
  readonly #token: string;
  readonly #tail: string[] = [];
  conn: Connection | undefined;
  /** Why clawhost ended it; the first reason recorded wins. */
  requested: Requested | undefined;
  /** How it ended, once it did. */
  exit: GatewayExitInfo | undefined;
  /** The error naming why it ended (a port or state-dir holder, or the exit itself). */
  exitError: ClawhostError | undefined;
  /** Ready at least once. */
  everReady = false;
  /** `performance.now()` at its latest ready. */
  readySince: number | undefined;

  constructor(proc: GatewayProcess, token: string) {
    this.proc = proc;
    this.#token = token;
  }

  get pid(): number {
    return this.proc.pid;
  }

  get hello(): HelloOk | undefined {
    return this.conn?.hello;
  }

  /** Aborted when the run is retired (ended, released or replaced). */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get ended(): boolean {
    return this.exit !== undefined;
  }

  /** Record why clawhost ends it, unless a reason is already recorded. */
  request(why: Requested): void {
    this.requested ??= why;
  }

  /** One line of output, token redacted, kept in the tail; returns the redacted line. */
  line(stream: "stdout" | "stderr", raw: string): string {
    // Lines fed through the gateway's logs are redacted already; this is the last guard.
    const line = raw.includes(this.#token) ? redactSecret(raw, this.#token) : raw;
    this.#tail.push(`[${stream}] ${line}`);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    return line;
  }

  /** The last lines it wrote. */
  tail(): string[] {
    return [...this.#tail];
  }

  /** Record how it ended. */
  recordExit(info: ExitInfo, reason: ExitReason): GatewayExitInfo {
    const uptimeMs = this.everReady && this.readySince !== undefined ? Math.round(performance.now() - this.readySince) : undefined;
    this.exit = { ...info, reason, phase: this.everReady ? "running" : "starting", uptimeMs, outputTail: this.tail() };
    return this.exit;
  }

  /** Swap in a new connection (after a reconnect or an in-place restart), closing the old. */
  attach(conn: Connection): void {
    if (this.conn !== conn) this.conn?.close();
    this.conn = conn;
  }

  /** Close the connection and abort whatever still works for this run. */
  retire(): void {
    this.#abort.abort();
    this.conn?.close();
    this.conn = undefined;
  }
}
