/**
 * `clawhost/http`: a fetch handler serving a `GatewayHost` over HTTP (snapshots, lifecycle,
 * config, logs and events as SSE, metrics, OpenAPI), secure by default, and the dashboard.
 *
 * @packageDocumentation
 * @module clawhost/http
 */
export { createHttpHandler, HTTP_API_VERSION } from "./handler.js";
export type { HttpHandler } from "./handler.js";
export type { HttpHandlerOptions } from "./options.js";
export { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_HEARTBEAT_MS } from "./options.js";
export { loadOrCreateToken } from "./token.js";
export type { HttpErrorBody } from "./errors.js";
