import { ClawhostError, isClawhostError } from "../index.js";
import type { ClawhostErrorCode } from "../index.js";

// The HTTP status a code means; anything not listed is a failed operation (500).
const STATUS: Partial<Record<ClawhostErrorCode, number>> = {
  CLAWHOST_INVALID_REQUEST: 400,
  CLAWHOST_INVALID_ARGUMENT: 400,
  CLAWHOST_INVALID_OPTIONS: 400,
  CLAWHOST_CONFIG_INVALID: 400,
  CLAWHOST_UNAUTHORIZED: 401,
  CLAWHOST_HOST_NOT_ALLOWED: 403,
  CLAWHOST_NOT_FOUND: 404,
  CLAWHOST_UNKNOWN_GATEWAY: 404,
  CLAWHOST_ILLEGAL_STATE: 409,
  CLAWHOST_NOT_READY: 409,
  CLAWHOST_RESTART_UNSUPPORTED: 409,
  CLAWHOST_HOST_DISPOSED: 409,
  CLAWHOST_STATE_DIR_IN_USE: 409,
  CLAWHOST_PORT_IN_USE: 409,
  CLAWHOST_BODY_TOO_LARGE: 413,
  CLAWHOST_READINESS_TIMEOUT: 504,
  CLAWHOST_RPC_TIMEOUT: 504,
  CLAWHOST_LOCK_TIMEOUT: 504,
};

/**
 * The JSON body of every error answer (status 400, 401, 403, 404, 409, 413, 500, 504).
 *
 * @example
 * ```ts
 * const res = await fetch(`${base}/gateways/nosuch`, { headers });
 * if (!res.ok) console.error(((await res.json()) as HttpErrorBody).error.code); // CLAWHOST_UNKNOWN_GATEWAY
 * ```
 */
export interface HttpErrorBody {
  error: { code: ClawhostErrorCode; message: string; fix?: string; gateway?: string };
}

/** An error as the API answers it: its status and `{ error: { code, message, fix } }`. Not a ClawhostError: 500, no text of it. */
export function errorResponse(err: unknown, onInternal: (err: unknown) => void): Response {
  if (!isClawhostError(err)) {
    onInternal(err);
    err = new ClawhostError("CLAWHOST_INTERNAL", "internal error; the server's log has its text.", { fix: "report it with the server's log." });
  }
  const e = err as ClawhostError;
  const body: HttpErrorBody = { error: { code: e.code, message: e.message, ...(e.fix ? { fix: e.fix } : {}), ...(e.gateway ? { gateway: e.gateway } : {}) } };
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (e.code === "CLAWHOST_UNAUTHORIZED") headers["www-authenticate"] = 'Bearer realm="clawhost"';
  return new Response(JSON.stringify(body), { status: STATUS[e.code] ?? 500, headers });
}

/** 400 for a request that breaks a route's schema. */
export function invalidRequest(what: string, issues: Array<{ path: string; message: string }>): ClawhostError {
  return new ClawhostError("CLAWHOST_INVALID_REQUEST", `${what}: ${issues.map((i) => `${i.path || "(body)"} ${i.message}`).join("; ")}.`, {
    value: Object.fromEntries(issues.map((i) => [i.path, i.message])),
    fix: "send what GET /openapi.json describes for this route.",
    details: { issues },
  });
}
