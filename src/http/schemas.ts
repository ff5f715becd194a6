import * as z from "zod";
import type { ConfigUpdateResult, GatewaySnapshot, GatewayState, LogSource } from "../index.js";

// The shapes of the HTTP API: requests are parsed with them, /openapi.json is generated from them.

const STATES = ["stopped", "starting", "ready", "restarting", "unhealthy", "stopping", "backoff", "failed"] as const satisfies readonly GatewayState[];
const SOURCES = ["stdout", "stderr", "openclaw-file", "clawhost"] as const satisfies readonly LogSource[];
const EVENT_TYPES = ["added", "removed", "state", "ready", "exit", "backoff", "unhealthy", "warning", "config", "lease-moved", "log", "gap"] as const;

const wholeNumber = z.string().regex(/^\d{1,15}$/, "must be a whole number").transform(Number);
const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");
const list = z.string().transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean));

export const nameParams = z.object({ name: z.string().min(1).meta({ description: "The gateway's name." }) }).strict();

export const restartQuery = z.object({ inPlace: flag.optional().meta({ description: "1: ask OpenClaw to restart itself (same pid, new bootId)." }) }).strict();

export const logsQuery = z
  .object({
    tail: wholeNumber.optional().meta({ description: "At most this many of the kept records (the newest)." }),
    since: wholeNumber.optional().meta({ description: "Only records after this seq." }),
    follow: flag.optional().meta({ description: "1: an SSE stream of the records, then new ones as they come." }),
    sources: list.pipe(z.array(z.enum(SOURCES))).optional().meta({ description: "Comma-separated sources (stdout, stderr, openclaw-file)." }),
  })
  .strict();

export const eventsQuery = z
  .object({
    since: wholeNumber.optional().meta({ description: "Start after this seq (0: every record kept). A Last-Event-ID header wins over it. Default: from now." }),
    types: list.pipe(z.array(z.enum(EVENT_TYPES))).optional().meta({ description: "Comma-separated record types (gap records always come)." }),
    gateways: list.optional().meta({ description: "Comma-separated gateway names." }),
  })
  .strict();

/** `Last-Event-ID`: the seq of the last record the client got. */
export const lastEventId = wholeNumber;

export const configPatch = z.record(z.string(), z.json().meta({ id: "JsonValue" })).meta({ description: "A JSON merge patch (RFC 7386): null deletes a key." });

const portBlock = z.object({
  gateway: z.number().int(),
  browserControl: z.number().int(),
  cdp: z.object({ start: z.number().int(), end: z.number().int() }),
  block: z.object({ start: z.number().int(), end: z.number().int() }),
});

export const gatewayView = z
  .looseObject({
    name: z.string(),
    state: z.enum(STATES),
    pid: z.number().int().optional(),
    bootId: z.string().optional(),
    version: z.string().optional(),
    ports: portBlock,
    context: z.record(z.string(), z.unknown()).meta({ description: "Paths and ports (no child env)." }),
    startedAt: z.string().optional(),
    readyAt: z.string().optional(),
    readyMs: z.number().optional(),
    uptimeMs: z.number().optional(),
    restarts: z.number().int(),
    restartsTotal: z.number().int(),
    configHash: z.string().optional(),
    rpcErrors: z.number().int(),
    outlive: z.boolean(),
    adopted: z.boolean(),
    resources: z.object({ rssBytes: z.number(), cpuMs: z.number(), cpuPercent: z.number().optional(), sampledAt: z.string(), processes: z.number().int() }).optional(),
  })
  .meta({ id: "Gateway", description: "A gateway's snapshot (secrets redacted, no child env)." });

export const hostView = z.object({ seq: z.number().int().meta({ description: "The newest event's seq: GET /events?since=<seq> continues without a gap." }), gateways: z.array(gatewayView) }).meta({ id: "Gateways" });

export const configView = z.object({ config: z.record(z.string(), z.unknown()).meta({ description: "Every value under a secret-looking key is [redacted]." }), hash: z.string().optional() }).meta({ id: "Config" });

export const configResult = z.object({ changedPaths: z.array(z.string()), applied: z.enum(["file", "live", "restart", "unchanged"]) }).meta({ id: "ConfigUpdateResult" });

export const logRecord = z
  .object({
    seq: z.number().int(),
    gateway: z.string(),
    time: z.string(),
    level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]),
    subsystem: z.string().optional(),
    message: z.string(),
    source: z.enum(SOURCES),
    gap: z.object({ fromSeq: z.number().int(), toSeq: z.number().int(), missed: z.number().int() }).optional(),
  })
  .meta({ id: "LogRecord" });

export const logsView = z.object({ records: z.array(logRecord) }).meta({ id: "Logs" });

export const eventRecord = z
  .object({ seq: z.number().int(), time: z.string(), gateway: z.string().nullable(), type: z.enum(EVENT_TYPES), data: z.unknown() })
  .meta({ id: "EventRecord", description: "One record of the host's event stream; the SSE `id:` is its seq." });

export const errorBody = z
  .object({ error: z.object({ code: z.string().regex(/^CLAWHOST_[A-Z_]+$/), message: z.string(), fix: z.string().optional(), gateway: z.string().optional() }) })
  .meta({ id: "Error" });

export const metricsText = z.string().meta({ description: "Prometheus text format 0.0.4." });

// The views cannot drift from the SDK's types: each must accept what the SDK returns.
type Accepts<Schema extends z.ZodType, T> = T extends z.input<Schema> ? true : never;
const _checks: [Accepts<typeof configResult, ConfigUpdateResult>, Accepts<typeof gatewayView, Omit<GatewaySnapshot, "context"> & { context: Record<string, unknown> }>] = [true, true];
void _checks;
