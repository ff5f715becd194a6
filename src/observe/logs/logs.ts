import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ClawhostError } from "../../errors.js";
import { errnoOf, fsError } from "../../fs/errors.js";
import { normalizeLogsOptions, parseLogsQuery } from "./options.js";
import type { LogsOptions } from "./options.js";
import { cleanLine, parseClean, parseLine } from "./parse.js";
import type { LineSource, ParsedLine } from "./parse.js";
import { createRedactor } from "./redact.js";
import type { Redactor } from "./redact.js";
import { LogReader } from "./reader.js";
import { LogRing } from "./ring.js";
import { FileTail } from "./tail.js";
import type { LogRecord, LogsQuery } from "./types.js";
import { OUTPUT_FILE, OutputWriter } from "./writer.js";

/** What a gateway's {@link GatewayLogs} needs. */
export interface GatewayLogsInit {
  /** The gateway's name (in every record, and first in every message about it). */
  gateway: string;
  /** Its logs dir, `<root>/<name>/logs` (created 0700): the captured output goes to `output.log` there. */
  dir: string;
  /** OpenClaw's own log file (`ctx.logFile`, the config's `logging.file`), followed once `open()` ran. */
  openclawLogFile: string;
  /** Options, parsed with `normalizeLogsOptions` (default: every default). */
  options?: LogsOptions;
  /** Secrets known from the start (more with `setSecrets`). */
  secrets?: readonly string[];
  /** Every record, once kept (for a `log` event); must not throw. */
  onRecord?: (record: LogRecord) => void;
  /** A failure to write the output file or follow OpenClaw's file (each kind reported once); the logs go on. */
  onError?: (err: ClawhostError) => void;
}

/**
 * The logs of one gateway: every stdout/stderr line of its process and every JSON line
 * of OpenClaw's own log file, parsed into a {@link LogRecord}, redacted (the token and
 * the configured patterns), kept in a ring of the last `ringSize` records, and (the
 * captured output) written to `<dir>/output.log` with size-based rotation. It outlives
 * the gateway's processes: the same instance is fed by every run (spawned, restarted in
 * place, restarted after a crash, adopted), so a reader following it never notices.
 *
 * @example
 * ```ts
 * const logs = new GatewayLogs({ gateway: "main", dir: join(ctx.dir, "logs"), openclawLogFile: ctx.logFile });
 * logs.setSecrets([token]);
 * await logs.open();
 * spawner.spawn({ ..., onLine: (stream, line) => logs.ingest(stream, line) });
 * for await (const r of logs.logs({ tail: 10, follow: true, signal })) console.log(r.message);
 * await logs.close();
 * ```
 */
export class GatewayLogs {
  readonly gateway: string;
  /** The captured output file (rotated copies `output.1.log` .. beside it). */
  readonly outputFile: string;
  readonly #init: GatewayLogsInit;
  readonly #options: LogsOptions;
  readonly #ring: LogRing;
  readonly #writer: OutputWriter;
  readonly #tail: FileTail;
  readonly #reported = new Set<string>();
  #redactor: Redactor;
  #opening: Promise<void> | undefined;
  #closed = false;

  constructor(init: GatewayLogsInit) {
    this.#init = init;
    this.gateway = init.gateway;
    this.#options = init.options ?? normalizeLogsOptions(undefined);
    this.outputFile = join(init.dir, OUTPUT_FILE);
    this.#ring = new LogRing(this.#options.ringSize);
    this.#redactor = createRedactor(init.secrets ?? [], this.#options.redact);
    this.#writer = new OutputWriter({
      dir: init.dir,
      maxFileBytes: this.#options.maxFileBytes,
      keepFiles: this.#options.keepFiles,
      dropNote: (count) => this.#fileLine("clawhost", {
        time: new Date().toISOString(),
        level: "warn",
        message: `${this.gateway}: ${count} output line${count === 1 ? "" : "s"} could not be written here (the disk failed or did not keep up)`,
      }),
      onError: (err) => this.#report(err, this.outputFile, "writing the output log"),
    });
    this.#tail = new FileTail({
      path: init.openclawLogFile,
      onLine: (line) => this.#ingest("openclaw-file", line),
      onError: (err) => this.#report(err, init.openclawLogFile, "following OpenClaw's log file"),
    });
  }

  /** `text` with the token and the configured patterns replaced by `[redacted]`. */
  redact(text: string): string {
    return this.#redactor.text(text);
  }

  /** A copy of a JSON value with the token and the configured patterns redacted in every string (keys too). */
  redactValue(value: unknown): unknown {
    return this.#redactor.value(value);
  }

  /** The newest `n` records kept (oldest first), without waiting. */
  recent(n: number): LogRecord[] {
    const out: LogRecord[] = [];
    for (let seq = Math.max(this.#ring.firstSeq, this.#ring.lastSeq - n + 1); seq <= this.#ring.lastSeq; seq++) {
      const r = this.#ring.get(seq);
      if (r) out.push(r);
    }
    return out;
  }

  /** `seq` of the newest record (0 before the first). */
  get lastSeq(): number {
    return this.#ring.lastSeq;
  }

  /**
   * Redact these secrets (the gateway token) from now on, besides the configured
   * patterns. Call it whenever the token is (re)read, before the process can print it.
   */
  setSecrets(secrets: readonly string[]): void {
    this.#redactor = createRedactor(secrets, this.#options.redact);
  }

  /**
   * Create the logs dir (0700) and follow OpenClaw's log file from its current end
   * (what it holds from before is not read). Idempotent (a call after a failed one tries
   * again); call it before each spawn or adoption, once the gateway's dirs exist.
   */
  open(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#opening ??= (async () => {
      for (const dir of new Set([this.#init.dir, dirname(this.#init.openclawLogFile)])) {
        await mkdir(dir, { recursive: true, mode: 0o700 }).catch((err) => this.#report(err, dir, "creating the logs dir"));
      }
      await this.#tail.start();
    })().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  /**
   * One line the gateway process wrote (a `LineSink`): parsed, redacted, kept, written to
   * the output file. Returns the record (its message redacted).
   */
  ingest(stream: "stdout" | "stderr", line: string): LogRecord | undefined {
    return this.#ingest(stream, line);
  }

  /**
   * {@link ingest}, also returning the whole line as kept: colour codes and a trailing
   * `\r` removed, redacted (`record` is undefined for a blank line, which is not kept).
   */
  ingestLine(stream: "stdout" | "stderr", raw: string): { record: LogRecord | undefined; line: string } {
    const line = cleanLine(raw, this.#redactor);
    return { record: this.#ingest(stream, line, true), line };
  }

  /**
   * The records: first the kept ones (`tail`, `since`), then with `follow` new ones as
   * they come, until `signal` aborts, the reader stops, or the logs are closed. Bad
   * options throw `CLAWHOST_INVALID_OPTIONS` here, not at the first `next()`.
   *
   * @example
   * ```ts
   * let last = 0;
   * for await (const r of logs.logs({ since: last, follow: true, signal })) last = r.seq;
   * ```
   */
  logs(query?: LogsQuery): AsyncIterableIterator<LogRecord, undefined> {
    return new LogReader(this.#ring, this.gateway, parseLogsQuery(query, this.gateway));
  }

  /** Resolves once what OpenClaw wrote before the call is read and every output line so far is in the file. */
  async flush(): Promise<void> {
    await this.#opening;
    await this.#tail.settled();
    await this.#writer.flush();
  }

  /** Stop following, end every reader, write what is queued and close the files. Idempotent; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#opening;
    this.#closed = true;
    await this.#tail.close();
    this.#ring.close();
    await this.#writer.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #ingest(source: LineSource, line: string, clean = false): LogRecord | undefined {
    if (this.#closed || line.trim() === "") return undefined;
    const parsed = clean ? parseClean(line, source, this.#redactor, new Date()) : parseLine(line, source, this.#redactor, new Date());
    if (source !== "openclaw-file") this.#writer.write(this.#fileLine(source, parsed));
    const record = this.#ring.append((seq) => this.#record(seq, source, parsed));
    try {
      this.#init.onRecord?.(record);
    } catch {
      // A listener's failure is its own.
    }
    return record;
  }

  #record(seq: number, source: LineSource, parsed: ParsedLine): LogRecord {
    const max = this.#options.maxLineChars;
    let message = parsed.message;
    if (message.length > max) {
      // Never leave half of a surrogate pair at the cut.
      const cut = /[\uD800-\uDBFF]/.test(message.charAt(max - 1)) ? max - 1 : max;
      message = `${message.slice(0, cut)}...(truncated)`;
    }
    const record: LogRecord = { seq, gateway: this.gateway, time: parsed.time, level: parsed.level, message, source };
    if (parsed.subsystem !== undefined) record.subsystem = parsed.subsystem;
    return Object.freeze(record);
  }

  // One JSON line per record in the output file: the whole message, its stream and time.
  #fileLine(source: LineSource | "clawhost", parsed: ParsedLine): string {
    const { time, level, subsystem, message } = parsed;
    return JSON.stringify(subsystem === undefined ? { time, level, source, message } : { time, level, source, subsystem, message });
  }

  #report(err: unknown, path: string, doing: string): void {
    const key = `${doing}:${errnoOf(err) ?? String(err)}`;
    if (this.#reported.has(key) || this.#reported.size > 32) return;
    this.#reported.add(key);
    try {
      this.#init.onError?.(fsError(err, path, doing, this.gateway));
    } catch {
      // A listener's failure is its own.
    }
  }
}
