import { stripVTControlCharacters } from "node:util";
import type { Redactor } from "./redact.js";
import type { LogLevel, LogSource } from "./types.js";

/** A line as a record, before it gets its `seq` and gateway. */
export interface ParsedLine {
  time: string;
  level: LogLevel;
  subsystem?: string;
  message: string;
}

/** The sources a line can come from (`clawhost` records are made, not parsed). */
export type LineSource = Exclude<LogSource, "clawhost">;

// tslog's level ids (OpenClaw's file: `_meta.logLevelId`) and pino's numbers.
const LEVEL_BY_ID: Record<number, LogLevel> = { 0: "trace", 1: "trace", 2: "debug", 3: "info", 4: "warn", 5: "error", 6: "fatal" };
const LEVEL_BY_PINO: Record<number, LogLevel> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
const LEVEL_BY_NAME: Record<string, LogLevel> = {
  silly: "trace",
  trace: "trace",
  debug: "debug",
  verbose: "debug",
  info: "info",
  log: "info",
  notice: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  err: "error",
  fatal: "fatal",
  critical: "fatal",
  panic: "fatal",
};

// OpenClaw's console prefix in a pipe: `2026-11-27T16:04:08.933+00:00 [gateway] ...`.
const TIMESTAMP_PREFIX = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+/;
const SUBSYSTEM_PREFIX = /^\[([^\]\s]{1,64})\]\s*/;
const FIELDS_MAX_CHARS = 2_048;

/**
 * Parse one raw line into a record: colour codes stripped, secrets redacted (in the raw
 * text, and for a JSON line also in its decoded strings, so that no JSON escape hides a
 * secret), then read as JSON (OpenClaw's file records, the JSON console style) or as text
 * (OpenClaw's console lines: an optional timestamp, an optional `[subsystem]` tag). A text
 * line's level comes from its stream: stdout `info`; stderr `warn` when it says "warn",
 * else `error` (OpenClaw sends warn, error and fatal to stderr).
 *
 * @example
 * ```ts
 * parseLine("2026-11-27T16:04:24.010+00:00 [gateway] ready", "stdout", redactor, new Date());
 * // { time: "2026-11-27T16:04:24.010Z", level: "info", subsystem: "gateway", message: "ready" }
 * ```
 */
export function parseLine(raw: string, source: LineSource, redact: Redactor, receivedAt: Date): ParsedLine {
  return parseClean(cleanLine(raw, redact), source, redact, receivedAt);
}

/** A raw line without colour codes and trailing `\r`, redacted: what is kept of it as text. */
export function cleanLine(raw: string, redact: Redactor): string {
  return redact.text(stripVTControlCharacters(raw).replace(/\r$/, ""));
}

/** {@link parseLine} of a line {@link cleanLine} already cleaned. */
export function parseClean(text: string, source: LineSource, redact: Redactor, receivedAt: Date): ParsedLine {
  const json = text.startsWith("{") ? tryJson(text) : undefined;
  if (json) return fromJson(redact.value(json) as Record<string, unknown>, text, source, receivedAt);
  return fromText(text, source, receivedAt);
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function streamLevel(source: LineSource, text: string): LogLevel {
  if (source === "stderr") return /warn/i.test(text) ? "warn" : "error";
  return "info";
}

function fromText(text: string, source: LineSource, receivedAt: Date): ParsedLine {
  let rest = text;
  let time: string | undefined;
  const ts = TIMESTAMP_PREFIX.exec(rest);
  if (ts) {
    time = isoOf(ts[1]);
    if (time) rest = rest.slice(ts[0].length);
  }
  // A line that starts with a redacted secret has no `[redacted]` subsystem.
  const tag = SUBSYSTEM_PREFIX.exec(rest);
  const subsystem = tag && tag[1] !== "redacted" ? tag[1] : undefined;
  if (subsystem !== undefined) rest = rest.slice(tag![0].length);
  return withSubsystem({ time: time ?? receivedAt.toISOString(), level: streamLevel(source, rest), message: rest }, subsystem);
}

function fromJson(obj: Record<string, unknown>, text: string, source: LineSource, receivedAt: Date): ParsedLine {
  const meta = isRecord(obj._meta) ? obj._meta : undefined;
  const level =
    levelOf(meta?.logLevelName) ?? levelOf(obj.level) ?? levelOf(meta?.logLevelId, LEVEL_BY_ID) ?? levelOf(obj.severity) ?? streamLevel(source, text);
  const time = isoOf(obj.time) ?? isoOf(meta?.date) ?? isoOf(obj.timestamp) ?? isoOf(obj.ts) ?? receivedAt.toISOString();
  const context = contextOf(obj, meta);
  const subsystem = context.subsystem ?? context.module ?? stringOf(obj.subsystem) ?? stringOf(obj.module);
  let message = stringOf(obj.message) ?? stringOf(obj.msg) ?? positionalMessage(obj) ?? text;
  if (level === "warn" || level === "error" || level === "fatal") {
    const fields = structuredFields(obj);
    if (fields) message = `${message} ${fields}`;
  }
  return withSubsystem({ time, level, message }, subsystem);
}

function withSubsystem(line: ParsedLine, subsystem: string | undefined): ParsedLine {
  if (subsystem !== undefined && subsystem !== "") line.subsystem = subsystem;
  return line;
}

function stringOf(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function levelOf(v: unknown, byNumber: Record<number, LogLevel> = LEVEL_BY_PINO): LogLevel | undefined {
  if (typeof v === "string") return LEVEL_BY_NAME[v.trim().toLowerCase()];
  if (typeof v === "number") return byNumber[v];
  return undefined;
}

function isoOf(v: unknown): string | undefined {
  if (typeof v !== "string" && typeof v !== "number") return undefined;
  const ms = typeof v === "number" ? v : Date.parse(v);
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

// OpenClaw's subsystem loggers bind `{"subsystem": ...}` (or `{"module": ...}`) as the
// logger's name and as the first positional argument, both as JSON text.
function contextOf(obj: Record<string, unknown>, meta: Record<string, unknown> | undefined): { subsystem?: string; module?: string } {
  const fromMeta = bindingsOf(meta?.name);
  const fromFirst = meta?.name === obj["0"] ? {} : bindingsOf(obj["0"]);
  return {
    subsystem: stringOf(fromMeta?.subsystem) ?? stringOf(fromFirst?.subsystem),
    module: stringOf(fromMeta?.module) ?? stringOf(fromFirst?.module),
  };
}

function bindingsOf(v: unknown): Record<string, unknown> | undefined {
  if (typeof v !== "string" || !v.trimStart().startsWith("{")) return undefined;
  return tryJson(v);
}

function positionalArgs(obj: Record<string, unknown>): unknown[] {
  return Object.keys(obj)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => obj[k]);
}

function positionalMessage(obj: Record<string, unknown>): string | undefined {
  const parts = positionalArgs(obj)
    .filter((v) => !bindingsOf(v) && v !== null && v !== undefined)
    .map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
  return parts.length > 0 ? parts.join(" ") : undefined;
}

// As OpenClaw's console does for warn and above: the structured argument as `key=value`.
function structuredFields(obj: Record<string, unknown>): string | undefined {
  const structured = positionalArgs(obj).find(isRecord);
  if (!structured) return undefined;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(structured)) {
    if (value === undefined) continue;
    const shown = typeof value === "string" ? (/\s|=/.test(value) || value === "" ? JSON.stringify(value) : value) : JSON.stringify(value);
    parts.push(`${key}=${shown}`);
  }
  const joined = parts.join(" ");
  if (joined === "") return undefined;
  return joined.length > FIELDS_MAX_CHARS ? `${joined.slice(0, FIELDS_MAX_CHARS)}...(truncated)` : joined;
}
