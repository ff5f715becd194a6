import type * as z from "zod";
import { ClawhostError, METRICS_CONTENT_TYPE } from "../index.js";
import type { Gateway, GatewayHost } from "../index.js";
import * as s from "./schemas.js";
import type { SseHub } from "./sse.js";
import { configView, gatewayView, hostView } from "./views.js";

/** What a route's handler gets: the request parsed by the route's schemas. */
export interface RouteInput {
  host: GatewayHost;
  hub: SseHub;
  request: Request;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

/** One route: its shapes (parsed on the way in, documented in /openapi.json) and its work. */
export interface Route {
  method: "get" | "post" | "patch";
  /** OpenAPI style: `/gateways/{name}`. */
  path: string;
  operationId: string;
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The 200 answer: JSON of this schema, Prometheus text, or an SSE stream of these records. */
  response: { json: z.ZodType } | { text: z.ZodType; contentType: string } | { sse: z.ZodType };
  /** Error statuses the route can answer besides 400, 401, 403. */
  errors: number[];
  handle(input: RouteInput): Promise<unknown>;
}

function gatewayOf(host: GatewayHost, name: unknown): Gateway {
  const gw = host.get(name as string);
  if (gw) return gw;
  throw new ClawhostError("CLAWHOST_UNKNOWN_GATEWAY", `no gateway named ${JSON.stringify(name)}.`, {
    value: name,
    fix: `use one of ${host.list().map((g) => g.name).join(", ") || "(none: the host has no gateways)"}.`,
  });
}

const lifecycle = (op: "start" | "stop" | "restart", summary: string): Route => ({
  method: "post",
  path: `/gateways/{name}/${op}`,
  operationId: `${op}Gateway`,
  summary,
  params: s.nameParams,
  ...(op === "restart" ? { query: s.restartQuery } : {}),
  response: { json: s.gatewayView },
  errors: [404, 409],
  async handle({ host, params, query }) {
    const gw = gatewayOf(host, params.name);
    if (op === "start") await gw.start();
    else if (op === "stop") await gw.stop();
    else await gw.restart({ inPlace: query.inPlace === true });
    return gatewayView(gw.snapshot());
  },
});

/** Every route of the API, in the order /openapi.json lists them. */
export const ROUTES: readonly Route[] = [
  {
    method: "get",
    path: "/gateways",
    operationId: "listGateways",
    summary: "Every gateway's snapshot, and the newest event's seq.",
    response: { json: s.hostView },
    errors: [],
    handle: async ({ host }) => hostView(host),
  },
  {
    method: "get",
    path: "/gateways/{name}",
    operationId: "getGateway",
    summary: "One gateway's snapshot.",
    params: s.nameParams,
    response: { json: s.gatewayView },
    errors: [404],
    handle: async ({ host, params }) => gatewayView(gatewayOf(host, params.name).snapshot()),
  },
  lifecycle("start", "Start the gateway; answers once it is ready."),
  lifecycle("stop", "Stop the gateway's whole process tree; answers once it is stopped."),
  lifecycle("restart", "Restart the gateway (a new process; with inPlace=1 the same one); answers once it is ready."),
  {
    method: "get",
    path: "/gateways/{name}/config",
    operationId: "getConfig",
    summary: "The gateway's config file, secret-looking values redacted.",
    params: s.nameParams,
    response: { json: s.configView },
    errors: [404],
    handle: async ({ host, params }) => configView(gatewayOf(host, params.name)),
  },
  {
    method: "patch",
    path: "/gateways/{name}/config",
    operationId: "patchConfig",
    summary: "Change the config with a JSON merge patch, through the gateway's one config writer (live when it runs).",
    params: s.nameParams,
    body: s.configPatch,
    response: { json: s.configResult },
    errors: [404, 409, 413],
    handle: async ({ host, params, body }) => gatewayOf(host, params.name).updateConfig(body as Record<string, never>),
  },
  {
    method: "get",
    path: "/gateways/{name}/logs",
    operationId: "getLogs",
    summary: "The gateway's kept log records (redacted); with follow=1 an SSE stream (id: the record's seq; Last-Event-ID resumes).",
    params: s.nameParams,
    query: s.logsQuery,
    response: { json: s.logsView },
    errors: [404],
    async handle({ host, hub, request, params, query }) {
      const gw = gatewayOf(host, params.name);
      const base = {
        ...(query.tail === undefined ? {} : { tail: query.tail as number }),
        ...(query.sources === undefined ? {} : { sources: query.sources as never }),
      };
      if (query.follow === true) {
        const since = lastEventIdOf(request) ?? (query.since as number | undefined);
        return hub.response(request, (signal) => gw.logs({ ...base, ...(since === undefined ? {} : { since }), follow: true, signal }), (r) => r.seq);
      }
      const records = [];
      for await (const r of gw.logs({ ...base, ...(query.since === undefined ? {} : { since: query.since as number }) })) records.push(r);
      return { records };
    },
  },
  {
    method: "get",
    path: "/events",
    operationId: "streamEvents",
    summary: "The host's event stream as SSE: id is the record's seq; reconnect with Last-Event-ID to get what came since, once; a ': heartbeat' comment every 15 s.",
    query: s.eventsQuery,
    response: { sse: s.eventRecord },
    errors: [],
    async handle({ host, hub, request, query }) {
      const since = lastEventIdOf(request) ?? (query.since as number | undefined);
      const options = {
        ...(since === undefined ? {} : { since }),
        ...(query.types === undefined ? {} : { types: query.types as string[] }),
        ...(query.gateways === undefined ? {} : { gateways: query.gateways as string[] }),
      };
      return hub.response(request, (signal) => host.events({ ...options, signal }), (r) => r.seq);
    },
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "getMetrics",
    summary: "Prometheus metrics of the host and every gateway.",
    response: { text: s.metricsText, contentType: METRICS_CONTENT_TYPE },
    errors: [],
    handle: async ({ host }) => host.metrics(),
  },
];

/** The `Last-Event-ID` header as a seq (400 when it is no whole number). */
function lastEventIdOf(request: Request): number | undefined {
  const header = request.headers.get("last-event-id");
  if (header === null || header === "") return undefined;
  const parsed = s.lastEventId.safeParse(header.trim());
  if (parsed.success) return parsed.data;
  throw new ClawhostError("CLAWHOST_INVALID_REQUEST", `Last-Event-ID ${JSON.stringify(header.slice(0, 40))} is no seq.`, {
    value: header.slice(0, 40),
    fix: "send the id: of the last record received (a whole number), or no Last-Event-ID.",
  });
}
