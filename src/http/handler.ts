import { join } from "node:path";
import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import * as z from "zod";
import { ClawhostError } from "../index.js";
import type { GatewayHost } from "../index.js";
import { serveDashboard } from "./dashboard/serve.js";
import { errorResponse, invalidRequest } from "./errors.js";
import { hostChecker } from "./host-check.js";
import { openApiDocument } from "./openapi.js";
import { parseHttpOptions } from "./options.js";
import type { HttpHandlerOptions } from "./options.js";
import { ROUTES } from "./routes.js";
import type { Route } from "./routes.js";
import { SseHub } from "./sse.js";
import { bearerChecker, loadOrCreateToken } from "./token.js";

/**
 * The version of the HTTP API's contract (`info.version` of /openapi.json).
 *
 * @example
 * ```ts
 * const doc = await (await fetch(`${base}/openapi.json`, { headers })).json();
 * if (doc.info.version !== HTTP_API_VERSION) throw new Error("another API version");
 * ```
 */
export const HTTP_API_VERSION = "1.0.0";

/**
 * A fetch handler (`(req: Request) => Promise<Response>`) serving a `GatewayHost` over HTTP.
 * Mount it in any server that speaks the Fetch API (`@hono/node-server`, Bun, Deno, a
 * Hono or itty app). `close()` ends its open event streams.
 *
 * @example
 * ```ts
 * const handler = createHttpHandler(host);
 * const res = await handler(new Request("http://127.0.0.1/gateways", { headers: { authorization: `Bearer ${token}` } }));
 * console.log(handler.tokenFile, handler.openStreams);
 * handler.close();
 * ```
 */
export interface HttpHandler {
  (request: Request): Promise<Response>;
  /** The token file used (undefined when the token was passed in). */
  readonly tokenFile: string | undefined;
  /** SSE streams open now (events and log follows). */
  readonly openStreams: number;
  /** End every open SSE stream (before closing the server). */
  close(): void;
}

function issuesOf(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

async function parseInput(c: Context, route: Route): Promise<{ params: Record<string, unknown>; query: Record<string, unknown>; body: unknown }> {
  const params = route.params ? route.params.safeParse(c.req.param()) : { success: true as const, data: {} };
  if (!params.success) throw invalidRequest("path", issuesOf(params.error));
  const query = (route.query ?? EMPTY_QUERY).safeParse(c.req.query());
  if (!query.success) throw invalidRequest("query", issuesOf(query.error));
  let body: unknown;
  if (route.body) {
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      throw invalidRequest("body", [{ path: "", message: "is not JSON" }]);
    }
    const parsed = route.body.safeParse(raw);
    if (!parsed.success) throw invalidRequest("body", issuesOf(parsed.error));
    body = parsed.data;
  }
  return { params: params.data, query: query.data as Record<string, unknown>, body };
}

const EMPTY_QUERY = z.object({}).strict();

/**
 * Serve `host` over HTTP: snapshots, start/stop/restart, config (JSON merge patch through
 * the gateway's one writer), logs (JSON, or SSE with `follow=1`), the event stream as SSE
 * (`id:` = seq, `Last-Event-ID` resumes), Prometheus metrics and `/openapi.json`.
 *
 * Secure by default: every route but the dashboard's static files needs `Authorization:
 * Bearer <token>` (compared in constant time; the token comes from `tokenFile`, created 0600
 * on first use); a `Host` header other than a loopback name (with `port`) or one of
 * `allowedHosts` gets 403 (DNS rebinding); no CORS header unless `cors` names origins;
 * bodies are size-limited and parsed with zod; errors are `{ error: { code, message, fix } }`
 * with 400/401/403/404/409/413. Responses never carry a gateway token or a child env.
 * Throws `CLAWHOST_INVALID_OPTIONS` for bad options.
 *
 * @example
 * ```ts
 * import { serve } from "@hono/node-server";
 * import { GatewayHost } from "clawhost";
 * import { createHttpHandler } from "clawhost/http";
 *
 * const host = new GatewayHost({ root: "/var/lib/app/gateways" });
 * const handler = createHttpHandler(host, { port: 7070 });
 * serve({ fetch: handler, hostname: "127.0.0.1", port: 7070 });
 * console.log(`token in ${handler.tokenFile}`);
 * ```
 */
export function createHttpHandler(host: GatewayHost, options: HttpHandlerOptions = {}): HttpHandler {
  const o = parseHttpOptions(options);
  const tokenFile = o.token === undefined ? (o.tokenFile ?? join(host.root, ".http", "token")) : undefined;
  const authorized = bearerChecker(o.token ?? loadOrCreateToken(tokenFile!));
  const hostAllowed = hostChecker(o.port, o.allowedHosts);
  const onInternal = o.onError ?? ((err: unknown) => console.error("clawhost/http:", err));
  const hub = new SseHub(o.heartbeatMs);
  let openapi: Record<string, unknown> | undefined;

  const app = new Hono();
  app.onError((err) => errorResponse(err, onInternal));
  app.notFound((c) => errorResponse(new ClawhostError("CLAWHOST_NOT_FOUND", `no route ${c.req.method} ${new URL(c.req.url).pathname}.`, { value: `${c.req.method} ${new URL(c.req.url).pathname}`, fix: "see GET /openapi.json." }), onInternal));
  app.use(async (c, next) => {
    // A Request built in-process has no Host header: its URL's host is what a server would have made of one.
    const header = c.req.header("host") ?? new URL(c.req.url).host;
    if (!hostAllowed(header)) {
      throw new ClawhostError("CLAWHOST_HOST_NOT_ALLOWED", `Host ${JSON.stringify((header ?? "").slice(0, 100))} is not allowed.`, {
        value: (header ?? "").slice(0, 100),
        fix: "reach the API as 127.0.0.1:<port> or localhost:<port>, or add the name to allowedHosts.",
      });
    }
    await next();
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
  });
  if (o.cors) app.use(cors({ origin: o.cors.origins, allowHeaders: ["Authorization", "Content-Type", "Last-Event-ID"], allowMethods: ["GET", "POST", "PATCH"], maxAge: 600 }));
  if (o.dashboard) serveDashboard(app);
  app.use(async (c, next) => {
    if (!authorized(c.req.header("authorization"))) {
      throw new ClawhostError("CLAWHOST_UNAUTHORIZED", "a bearer token is missing or wrong.", { fix: "send Authorization: Bearer <the token of the server's token file>." });
    }
    await next();
  });
  const limit = bodyLimit({
    maxSize: o.bodyLimitBytes,
    onError: () => {
      throw new ClawhostError("CLAWHOST_BODY_TOO_LARGE", `the body is over ${o.bodyLimitBytes} bytes.`, { value: o.bodyLimitBytes, fix: "send a smaller patch." });
    },
  });
  app.get("/openapi.json", (c) => c.json((openapi ??= openApiDocument(ROUTES, HTTP_API_VERSION))));
  for (const route of ROUTES) {
    const path = route.path.replace(/\{(\w+)\}/g, ":$1");
    app.on(route.method.toUpperCase(), path, limit, async (c) => {
      const input = await parseInput(c, route);
      const result = await route.handle({ host, hub, request: c.req.raw, ...input });
      if (result instanceof Response) return result;
      if (typeof result === "string" && "text" in route.response) return c.body(result, 200, { "content-type": route.response.contentType });
      return c.json(result as object);
    });
  }

  const handler = ((request: Request) => Promise.resolve(app.fetch(request))) as HttpHandler;
  Object.defineProperty(handler, "tokenFile", { value: tokenFile, enumerable: true });
  Object.defineProperty(handler, "openStreams", { get: () => hub.size, enumerable: true });
  Object.defineProperty(handler, "close", { value: () => hub.closeAll() });
  return handler;
}
