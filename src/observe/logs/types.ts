/** Severity of a log record, OpenClaw's names (tslog's `silly` counts as `trace`). */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

/** Every level, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(["trace", "debug", "info", "warn", "error", "fatal"]);

/**
 * Where a record came from: a line the gateway process wrote to `stdout` or `stderr`
 * (in outlive and adopted mode both arrive as `stdout`: they share one file), a JSON line
 * of OpenClaw's own log file (`openclaw-file`, `logging.file`), or clawhost itself
 * (`clawhost`: the `gap` records of a reader that fell behind).
 */
export type LogSource = "stdout" | "stderr" | "openclaw-file" | "clawhost";

/** Every source. */
export const LOG_SOURCES: readonly LogSource[] = Object.freeze(["stdout", "stderr", "openclaw-file", "clawhost"]);

/**
 * Records `fromSeq`..`toSeq` left the ring before this reader got them (it resumed too
 * late, or read too slowly).
 */
export interface LogGap {
  fromSeq: number;
  toSeq: number;
  missed: number;
}

/**
 * One log line of a gateway, parsed and redacted (the gateway token and the configured
 * patterns are gone before it is kept, written or yielded). Frozen, JSON-safe.
 *
 * @example
 * ```ts
 * for await (const r of gateway.logs({ tail: 20 })) {
 *   console.log(`${r.time} ${r.level} [${r.subsystem ?? r.source}] ${r.message}`);
 * }
 * ```
 */
export interface LogRecord {
  /** One increasing number per gateway and host process, from 1. Resume after it with `logs({ since: seq })`. */
  seq: number;
  /** The gateway's name. */
  gateway: string;
  /** When it was logged (ISO 8601, UTC): the line's own timestamp when it has one, else when clawhost read it. */
  time: string;
  level: LogLevel;
  /** OpenClaw's subsystem (`gateway`, `gateway/channels`, `plugins`, ...) or module (`cron`), when the line names one. */
  subsystem?: string;
  /** The text, without timestamp, subsystem tag and colour codes; cut at `maxLineChars`. */
  message: string;
  source: LogSource;
  /** Only on a `gap` record (source `clawhost`, level `warn`): what this reader missed. Its `seq` is `toSeq`. */
  gap?: LogGap;
}

/**
 * Options of `gateway.logs()`.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * for await (const r of gateway.logs({ tail: 100, follow: true, signal: ac.signal })) {
 *   if (r.level === "error") ac.abort();
 * }
 * ```
 */
export interface LogsQuery {
  /**
   * At most this many of the kept records come first (the newest ones, oldest first).
   * Default: all kept (with `since`: all kept after it). `0` with `follow`: only new ones.
   */
  tail?: number;
  /** Keep yielding new records as they come, until `signal` aborts or the reader stops. Default `false`. */
  follow?: boolean;
  /**
   * Only records after this `seq` (what is still kept comes first, a `gap` record when some
   * of it is gone). With `tail`: the newest `tail` of those.
   */
  since?: number;
  /** Ends the iteration (without an error) when it aborts. */
  signal?: AbortSignal;
  /** Only records of these sources (`gap` records always come). Default: all. */
  sources?: LogSource[];
}
