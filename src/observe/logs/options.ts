import * as z from "zod";
import { abortSignalSchema } from "../../context/operation.js";
import { assertOptionsObject, invalidOptions } from "../../context/invalid.js";
import type { LogsSettings } from "../../context/schema.js";
import { LOG_SOURCES } from "./types.js";
import type { LogSource, LogsQuery } from "./types.js";

/** Records kept per gateway, by default. */
export const DEFAULT_RING_SIZE = 1_000;
/** Size at which the captured output file rotates, by default (10 MiB). */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Rotated output files kept beside the active one, by default (as OpenClaw keeps for its own file). */
export const DEFAULT_KEEP_FILES = 5;
/** A kept record's message is cut at this many characters, by default (OpenClaw cuts its file messages at 4,096). */
export const DEFAULT_MAX_LINE_CHARS = 4_096;

function matchesEmpty(re: RegExp): boolean {
  return new RegExp(re.source, re.flags.replace(/[gy]/g, "")).test("");
}

/** A pattern to redact: a string is matched literally, a RegExp as it is (all matches). */
const redactPatternSchema = z.union([
  z.string().min(1, "must not be empty"),
  z.instanceof(RegExp, { message: "must be a string or a RegExp" }).refine((re) => !matchesEmpty(re), {
    message: "must not match the empty string (it would redact between every character)",
  }),
]);

/**
 * A gateway's log options. Every field is optional; the defaults:
 * - `ringSize` 1,000: records kept in memory for `logs()` (memory is bounded by
 *   `ringSize` x `maxLineChars`).
 * - `maxFileBytes` 10 MiB: the captured output file (`<root>/<name>/logs/output.log`)
 *   rotates once it reaches this size; a line is never split across two files.
 * - `keepFiles` 5: rotated output files kept (`output.1.log` newest .. `output.5.log`),
 *   besides the active one.
 * - `maxLineChars` 4,096: a kept record's message is cut there (the file keeps it whole).
 * - `redact` []: more text to redact besides the gateway token; a string is matched
 *   literally, a RegExp as given (every match, whatever its flags), replaced by `[redacted]`.
 *
 * OpenClaw rotates its own `logging.file` at its `logging.maxFileBytes` (default 100 MB,
 * five archives); these options do not change that.
 *
 * @example
 * ```ts
 * host.add({ name: "main", logs: { ringSize: 5_000, redact: ["hunter2", /sk-[A-Za-z0-9]{20,}/] } });
 * ```
 */
export const logsOptionsSchema = z
  .object({
    ringSize: z.number().int("must be a whole number").min(1, "must be at least 1").max(1_000_000, "must be at most 1,000,000").default(DEFAULT_RING_SIZE),
    maxFileBytes: z.number().int("must be a whole number of bytes").min(256, "must be at least 256 bytes").default(DEFAULT_MAX_FILE_BYTES),
    keepFiles: z.number().int("must be a whole number").min(1, "must be at least 1").max(100, "must be at most 100").default(DEFAULT_KEEP_FILES),
    maxLineChars: z.number().int("must be a whole number").min(80, "must be at least 80").max(1_048_576, "must be at most 1,048,576").default(DEFAULT_MAX_LINE_CHARS),
    redact: z.array(redactPatternSchema).default([]),
  })
  .strict();

/** A gateway's log options as given. */
export type LogsOptionsInput = z.input<typeof logsOptionsSchema>;
// The public LogsSettings (context/schema.ts) and this schema must describe the same options.
true satisfies LogsOptionsInput extends LogsSettings ? (LogsSettings extends LogsOptionsInput ? true : false) : false;
/** A gateway's log options, every default applied. */
export type LogsOptions = z.output<typeof logsOptionsSchema>;

/** Parse log options at the boundary (`CLAWHOST_INVALID_OPTIONS` names each bad field). */
export function normalizeLogsOptions(input: unknown, gateway?: string): LogsOptions {
  if (input === undefined) return logsOptionsSchema.parse({});
  assertOptionsObject(input, "the log options must be an object", "pass { ringSize?, maxFileBytes?, keepFiles?, maxLineChars?, redact? } or nothing.");
  const parsed = logsOptionsSchema.safeParse(input);
  if (!parsed.success) throw invalidOptions("log options", parsed.error, input, { gateway, schema: logsOptionsSchema });
  return parsed.data;
}

const logsQuerySchema = z
  .object({
    tail: z.number().int("must be a whole number of records").min(0, "must be 0 or more").optional(),
    follow: z.boolean().optional(),
    since: z.number().int("must be a whole sequence number").min(0, "must be 0 or more").optional(),
    signal: abortSignalSchema.optional(),
    sources: z.array(z.enum(LOG_SOURCES as [LogSource, ...LogSource[]])).optional(),
  })
  .strict();

/** Parse the options of `logs()` at the boundary (`CLAWHOST_INVALID_OPTIONS` names the bad value). */
export function parseLogsQuery(input: unknown, gateway?: string): LogsQuery {
  if (input === undefined) return {};
  assertOptionsObject(input, "logs() takes an options object", "pass { tail?, follow?, since?, signal?, sources? } or nothing.");
  const parsed = logsQuerySchema.safeParse(input);
  if (!parsed.success) throw invalidOptions("logs options", parsed.error, input, { gateway, schema: logsQuerySchema });
  return parsed.data as LogsQuery;
}
