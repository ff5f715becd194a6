import * as z from "zod";
import type { Route } from "./routes.js";
import { errorBody } from "./schemas.js";

const STATUS_TEXT: Record<number, string> = {
  400: "The request breaks the route's schema (CLAWHOST_INVALID_REQUEST, CLAWHOST_CONFIG_INVALID...).",
  401: "No bearer token, or another one (CLAWHOST_UNAUTHORIZED).",
  403: "The Host header is not allowed (CLAWHOST_HOST_NOT_ALLOWED).",
  404: "No gateway of that name (CLAWHOST_UNKNOWN_GATEWAY).",
  409: "Not possible in the gateway's state (CLAWHOST_ILLEGAL_STATE, CLAWHOST_NOT_READY...).",
  413: "The body is over the limit (CLAWHOST_BODY_TOO_LARGE).",
};

type Json = Record<string, unknown>;

/**
 * The OpenAPI 3.1 document of `routes`, every shape generated from the zod schemas the
 * handler parses with: the document and the behaviour cannot disagree.
 */
export function openApiDocument(routes: readonly Route[], version: string): Json {
  const components: Json = {};
  // Schemas with a meta id become components, referenced where they are used.
  const schemaOf = (schema: z.ZodType, io: "input" | "output"): Json => {
    const generated = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any", reused: "inline" });
    const out = JSON.parse(JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
    const defs = (out.$defs ?? {}) as Json;
    for (const [k, v] of Object.entries(defs)) components[k] = v;
    const { $schema: _s, $defs: _d, ...rest } = out;
    const id = (schema.meta() as { id?: string } | undefined)?.id;
    if (id) {
      // A root with an id comes back as a $ref to its own $defs entry, already taken above.
      if (rest.$ref !== `#/components/schemas/${id}`) components[id] = rest;
      return { $ref: `#/components/schemas/${id}` };
    }
    return rest;
  };
  const parameters = (schema: z.ZodObject | undefined, where: "path" | "query"): Json[] => {
    if (!schema) return [];
    const json = schemaOf(schema, "input") as { properties?: Record<string, Json>; required?: string[] };
    return Object.entries(json.properties ?? {}).map(([name, prop]) => {
      const { description, ...propSchema } = prop;
      return { name, in: where, required: where === "path" || (json.required ?? []).includes(name), ...(description ? { description } : {}), schema: propSchema };
    });
  };
  const paths: Record<string, Json> = {};
  const errorRef = schemaOf(errorBody, "output");
  for (const r of routes) {
    const ok = "json" in r.response
      ? { description: "OK", content: { "application/json": { schema: schemaOf(r.response.json, "output") } } }
      : "text" in r.response
        ? { description: "OK", content: { [r.response.contentType.split(";")[0]!]: { schema: schemaOf(r.response.text, "output") } } }
        : { description: "An SSE stream: `id: <seq>`, `data: <record as JSON>`, and `: heartbeat` comments.", content: { "text/event-stream": { schema: { type: "string" }, "x-data-schema": schemaOf(r.response.sse, "output") } } };
    const responses: Json = { 200: ok };
    for (const status of [400, 401, 403, ...r.errors]) responses[status] = { description: STATUS_TEXT[status], content: { "application/json": { schema: errorRef } } };
    const sse = r.path === "/events" || r.operationId === "getLogs";
    const headerParams = sse ? [{ name: "Last-Event-ID", in: "header", required: false, description: "Resume after this seq (what an EventSource sends on reconnect).", schema: { type: "string", pattern: "^\\d+$" } }] : [];
    (paths[r.path] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      parameters: [...parameters(r.params, "path"), ...parameters(r.query, "query"), ...headerParams],
      ...(r.body ? { requestBody: { required: true, content: { "application/merge-patch+json": { schema: schemaOf(r.body, "input") }, "application/json": { schema: schemaOf(r.body, "input") } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "clawhost", version, description: "Control a GatewayHost: snapshots, start/stop/restart, config, logs, events, metrics." },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    paths,
    components: { schemas: components, securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "The token of the server's token file." } } },
  };
}
