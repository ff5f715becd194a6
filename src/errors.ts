/**
 * Every stable error code clawhost raises. Codes never change meaning; new ones are added.
 *
 * @example
 * ```ts
 * try { host.add({ name: "main" }); }
 * catch (err) { if (err instanceof ClawhostError && err.code === "CLAWHOST_DUPLICATE_NAME") {} }
 * ```
 */
export type ClawhostErrorCode =
  | "CLAWHOST_INVALID_OPTIONS"
  | "CLAWHOST_INVALID_NAME"
  | "CLAWHOST_DUPLICATE_NAME"
  | "CLAWHOST_PORT_OVERLAP"
  | "CLAWHOST_PORT_RANGE"
  | "CLAWHOST_PORTS_EXHAUSTED"
  | "CLAWHOST_PORT_IN_USE"
  | "CLAWHOST_PATH_CONFLICT"
  | "CLAWHOST_OPENCLAW_NOT_FOUND"
  | "CLAWHOST_NODE_UNSUPPORTED"
  | "CLAWHOST_OPENCLAW_UNSUPPORTED"
  | "CLAWHOST_SECRET_INVALID"
  | "CLAWHOST_CONFIG_INVALID"
  | "CLAWHOST_READINESS_TIMEOUT"
  | "CLAWHOST_GATEWAY_EXITED"
  | "CLAWHOST_START_FAILED"
  | "CLAWHOST_STOP_TIMEOUT"
  | "CLAWHOST_ABORTED"
  | "CLAWHOST_NOT_READY"
  | "CLAWHOST_RPC_ERROR"
  | "CLAWHOST_RPC_TIMEOUT"
  | "CLAWHOST_CONNECTION_CLOSED"
  | "CLAWHOST_ILLEGAL_STATE"
  | "CLAWHOST_RESTART_UNSUPPORTED"
  | "CLAWHOST_HOST_DISPOSED"
  | "CLAWHOST_UNKNOWN_GATEWAY"
  | "CLAWHOST_LOCK_TIMEOUT"
  | "CLAWHOST_LEASE_HELD"
  | "CLAWHOST_STATE_DIR_IN_USE"
  | "CLAWHOST_CRASH_LOOP"
  | "CLAWHOST_SCHEMA_UNAVAILABLE"
  | "CLAWHOST_INVALID_ARGUMENT"
  | "CLAWHOST_PATH_UNSAFE"
  | "CLAWHOST_PATH_INVALID"
  | "CLAWHOST_FS_ERROR"
  | "CLAWHOST_FLEET_FILE_NOT_FOUND"
  | "CLAWHOST_FLEET_FILE_INVALID"
  | "CLAWHOST_RENDER_UNSUPPORTED"
  | "CLAWHOST_UNAUTHORIZED"
  | "CLAWHOST_HOST_NOT_ALLOWED"
  | "CLAWHOST_NOT_FOUND"
  | "CLAWHOST_INVALID_REQUEST"
  | "CLAWHOST_BODY_TOO_LARGE"
  | "CLAWHOST_INTERNAL";

/** Fields every {@link ClawhostError} may carry besides its code and message. */
export interface ClawhostErrorInit {
  /** Name of the gateway the error is about, when there is one. */
  gateway?: string;
  /** The offending value (never a secret). */
  value?: unknown;
  /** What to do about it, in one sentence. */
  fix?: string;
  /** Structured, JSON-safe details (issues, exit info, stderr tail, ...). */
  details?: Record<string, unknown>;
  /** The underlying error. */
  cause?: unknown;
}

// A registry symbol, not a module-local one: the ESM and CJS builds each define their own class.
const BRAND = Symbol.for("clawhost.error");

function isBranded(value: unknown): value is ClawhostError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * The one base class of every error clawhost throws. `code` is stable; the message
 * starts with the gateway's name (when there is one) and names the value and the fix.
 *
 * @example
 * ```ts
 * import { ClawhostError } from "clawhost";
 * try { await gateway.start({ timeoutMs: 30_000 }); }
 * catch (err) {
 *   if (err instanceof ClawhostError && err.code === "CLAWHOST_READINESS_TIMEOUT") {
 *     console.error(err.details?.stderrTail);
 *   }
 * }
 * ```
 *
 * `instanceof ClawhostError` and {@link isClawhostError} also recognise errors created
 * by the other module build (an ESM app using a CJS dependency that loaded clawhost).
 */
export class ClawhostError extends Error {
  /** Stable machine-readable code. */
  readonly code: ClawhostErrorCode;
  /** Gateway name, when the error concerns one gateway. */
  readonly gateway: string | undefined;
  /** The offending value, when there is one (never a secret). */
  readonly value: unknown;
  /** A one-sentence fix. */
  readonly fix: string | undefined;
  /** JSON-safe structured details. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ClawhostErrorCode, message: string, init: ClawhostErrorInit = {}) {
    const prefix = init.gateway ? `${init.gateway}: ` : "";
    const fix = init.fix ? ` Fix: ${init.fix}` : "";
    super(`${prefix}${message}${fix}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ClawhostError";
    this.code = code;
    this.gateway = init.gateway;
    this.value = init.value;
    this.fix = init.fix;
    this.details = init.details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * True for any ClawhostError, whichever build (ESM or CJS) created it; subclasses
   * keep the ordinary prototype check.
   *
   * @example
   * ```ts
   * import { ClawhostError } from "clawhost";
   * // `err` may come from a CJS dependency that loaded clawhost's other build.
   * if (err instanceof ClawhostError) console.error(err.code);
   * ```
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== ClawhostError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isBranded(value);
  }

  /** JSON form: code, message, gateway, value, fix, details. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      gateway: this.gateway,
      value: this.value,
      fix: this.fix,
      details: this.details,
    };
  }
}

/**
 * True when `err` is a {@link ClawhostError}, optionally with the given code. Works
 * across the ESM and CJS builds: it checks a brand, not the prototype chain.
 *
 * @example
 * ```ts
 * import { isClawhostError } from "clawhost";
 * try { await host.startAll(); }
 * catch (err) { if (isClawhostError(err, "CLAWHOST_PORT_IN_USE")) console.error(err.fix); }
 * ```
 */
export function isClawhostError(err: unknown, code?: ClawhostErrorCode): err is ClawhostError {
  return isBranded(err) && (code === undefined || err.code === code);
}
