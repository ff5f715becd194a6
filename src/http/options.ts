import * as z from "zod";
import { ClawhostError } from "../index.js";

/**
 * How often an SSE stream gets a `: heartbeat` comment, by default (proxies close silent connections).
 *
 * @example
 * ```ts
 * createHttpHandler(host, { heartbeatMs: DEFAULT_HEARTBEAT_MS * 2 });
 * ```
 */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/**
 * The largest request body taken, by default: a config patch is small.
 *
 * @example
 * ```ts
 * createHttpHandler(host, { bodyLimitBytes: 4 * DEFAULT_BODY_LIMIT_BYTES });
 * ```
 */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

const hostName = z.string().min(1).regex(/^[^\s/@]+$/, "must be a host name, optionally with :port (no scheme, no path)");

/** The options of {@link createHttpHandler}, as zod checks them. */
export const httpOptionsSchema = z
  .object({
    token: z.string().min(16, "must be at least 16 characters").optional(),
    tokenFile: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    allowedHosts: z.array(hostName).default([]),
    cors: z.object({ origins: z.array(z.url()).min(1) }).strict().optional(),
    heartbeatMs: z.number().int().min(10).default(DEFAULT_HEARTBEAT_MS),
    bodyLimitBytes: z.number().int().min(1).default(DEFAULT_BODY_LIMIT_BYTES),
    dashboard: z.boolean().default(false),
    onError: z.custom<(err: unknown) => void>((v) => typeof v === "function", "must be a function").optional(),
  })
  .strict()
  .refine((o) => !(o.token !== undefined && o.tokenFile !== undefined), { message: "give token or tokenFile, not both", path: ["token"] });

/**
 * Options of {@link createHttpHandler}. Every field is optional: by default the token comes
 * from `<host root>/.http/token` (created 0600 on first use), only loopback Host headers are
 * taken, no CORS header is sent, and the dashboard is off.
 *
 * @example
 * ```ts
 * const handler = createHttpHandler(host, { port: 7070, tokenFile: "/etc/app/api.token", allowedHosts: ["ops.internal:443"] });
 * ```
 */
export interface HttpHandlerOptions {
  /** The bearer token (16 characters or more). Default: the content of `tokenFile`. */
  token?: string;
  /** Where the token is kept: read when it exists, else created (0600, its directory 0700). Default `<host root>/.http/token`. */
  tokenFile?: string;
  /** The port the server listens on: a loopback Host header must name it. Default: any port. */
  port?: number;
  /**
   * Host header values taken besides `127.0.0.1`, `localhost` and `[::1]`: `name` (any
   * port) or `name:port`. Anything else gets 403 (DNS rebinding).
   */
  allowedHosts?: string[];
  /** Send CORS headers for these origins (`https://ops.example.com`). Default: no CORS at all. */
  cors?: { origins: string[] };
  /** Every SSE stream gets a `: heartbeat` comment this often. Default 15 000. */
  heartbeatMs?: number;
  /** Request bodies over this size get 413. Default 65 536. */
  bodyLimitBytes?: number;
  /** Serve the dashboard page at `/` (static, no data without the token). Default false. */
  dashboard?: boolean;
  /** Told about every error that answers 500 (its text never goes into a response). Default: `console.error`. */
  onError?: (err: unknown) => void;
}

/** {@link HttpHandlerOptions} with every default applied. */
export type NormalizedHttpOptions = z.output<typeof httpOptionsSchema>;

/** Parse the handler's options once, at the boundary. */
export function parseHttpOptions(input: unknown): NormalizedHttpOptions {
  const parsed = httpOptionsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  throw new ClawhostError("CLAWHOST_INVALID_OPTIONS", `createHttpHandler options: ${issues.map((i) => `${i.path || "(options)"} ${i.message}`).join("; ")}.`, {
    value: Object.fromEntries(issues.map((i) => [i.path, i.path === "token" ? "[redacted]" : undefined])),
    fix: "pass { token?, tokenFile?, port?, allowedHosts?, cors?, heartbeatMs?, bodyLimitBytes?, dashboard?, onError? }.",
    details: { issues },
  });
}
