import type * as z from "zod";
import { ClawhostError } from "../errors.js";
import type { ClawhostErrorCode } from "../errors.js";
import { closestKey } from "./suggest.js";

/**
 * Refuse anything but a plain object where an options object belongs, before zod (which
 * would only say "expected object"): `need` says what the call needs, `fix` how to call it.
 */
export function assertOptionsObject(input: unknown, need: string, fix: string): asserts input is object {
  if (input !== null && typeof input === "object" && !Array.isArray(input)) return;
  throw new ClawhostError("CLAWHOST_INVALID_OPTIONS", `${need}, got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input}.`, {
    value: input === undefined || input === null ? String(input) : typeof input,
    fix,
  });
}

/** One bad field of an options object, as `details.issues` lists it. */
export interface OptionIssue {
  /** Dotted path of the field (of the object holding an unknown key, for `key` issues). */
  path: string;
  /** What is wrong with it. */
  message: string;
  /** What the caller passed there (secret-looking values redacted). */
  value: unknown;
  /** An unknown key, for `unrecognized_keys` issues. */
  key?: string;
  /** The closest valid key, when `key` looks like a typo of one. */
  suggestion?: string;
}

type Def = { type: string; innerType?: ZodLike; shape?: Record<string, ZodLike>; options?: ZodLike[]; in?: ZodLike; valueType?: ZodLike };
type ZodLike = { _zod: { def: Def } };

const SECRET_KEY = /token|secret|password|passwd|api[_-]?key|credential|auth/i;

/** The object schemas a value at `path` may be checked against (wrappers and unions unwrapped). */
function objectsAt(schema: ZodLike | undefined, path: readonly PropertyKey[]): ZodLike[] {
  if (!schema) return [];
  const def = schema._zod.def;
  switch (def.type) {
    case "default":
    case "optional":
    case "nullable":
    case "prefault":
    case "readonly":
    case "catch":
      return objectsAt(def.innerType, path);
    case "pipe":
      return objectsAt(def.in, path);
    case "union":
      return (def.options ?? []).flatMap((o) => objectsAt(o, path));
    case "record":
      return path.length === 0 ? [] : objectsAt(def.valueType, path.slice(1));
    case "object":
      return path.length === 0 ? [schema] : objectsAt(def.shape?.[String(path[0])], path.slice(1));
    default:
      return [];
  }
}

function knownKeys(schema: ZodLike | undefined, path: readonly PropertyKey[]): string[] {
  return objectsAt(schema, path).flatMap((o) => Object.keys(o._zod.def.shape ?? {}));
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur = input;
  for (const key of path) {
    if (cur === null || (typeof cur !== "object" && typeof cur !== "function")) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** A JSON-safe, short rendering of any value (NaN, functions, cycles and secrets included). */
export function showValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean" || typeof value === "symbol") return String(value);
  if (typeof value === "function") return `a function`;
  if (typeof AbortSignal !== "undefined" && value instanceof AbortSignal) return "an AbortSignal";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = `a ${(value as object).constructor?.name ?? "object"} that is not JSON (circular?)`;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** What an error may carry as `value`: JSON-safe, no secret. */
export function safeValue(value: unknown, path: readonly PropertyKey[] = []): unknown {
  const secret = path.some((p) => SECRET_KEY.test(String(p))) || (path[0] === "env" && path.length > 1);
  if (secret && value !== undefined) return "[redacted]";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (value === undefined || value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint" || typeof value === "symbol" || typeof value === "function") return showValue(value);
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return showValue(value);
  }
}

/** zod's issues, flattened (a union's best branch) and with values and suggestions. */
export function describeIssues(error: z.ZodError, input: unknown, schema?: z.ZodType): OptionIssue[] {
  const out: OptionIssue[] = [];
  const visit = (issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): void => {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      if (issue.code === "invalid_union" && issue.errors.length > 0) {
        // The branch whose type matched (its issues lie below the value) says what is wrong.
        const branch = issue.errors.find((b) => b.every((i) => i.path.length > 0 || i.code === "unrecognized_keys" || i.code === "custom"));
        if (branch) {
          visit(branch, path);
          continue;
        }
      }
      if (issue.code === "unrecognized_keys") {
        const known = knownKeys(schema as unknown as ZodLike | undefined, path);
        for (const key of issue.keys) {
          const suggestion = closestKey(key, known);
          out.push({
            path: path.map(String).join("."),
            key,
            message: `has unknown key ${JSON.stringify(key)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ""}`,
            value: safeValue(valueAt(input, [...path, key]), [...path, key]),
            ...(suggestion ? { suggestion } : {}),
          });
        }
        continue;
      }
      const value = valueAt(input, path);
      const shown = safeValue(value, path);
      out.push({ path: path.map(String).join("."), message: `${issue.message}, got ${typeof shown === "string" && shown === "[redacted]" ? shown : showValue(value)}`, value: shown });
    }
  };
  visit(error.issues, []);
  return out;
}

/**
 * The one error for a bad options object: `CLAWHOST_INVALID_OPTIONS` (or `code`), every
 * bad field with its path and the value passed, the closest valid key for an unknown one;
 * `value` maps each bad field's path to what was passed there.
 *
 * @example
 * ```ts
 * const parsed = schema.safeParse(input);
 * if (!parsed.success) throw invalidOptions("host options", parsed.error, input, { schema });
 * ```
 */
export function invalidOptions(
  what: string,
  error: z.ZodError,
  input: unknown,
  opts: { gateway?: string | undefined; schema?: z.ZodType; code?: ClawhostErrorCode; fix?: string } = {},
): ClawhostError {
  const issues = describeIssues(error, input, opts.schema);
  const label = (i: OptionIssue): string => (i.key !== undefined ? (i.path ? `${i.path}.${i.key}` : i.key) : i.path || "(root)");
  const list = issues.map((i) => `${i.key !== undefined ? i.path || "(root)" : label(i)} ${i.message}`).join("; ");
  const renames = issues.filter((i) => i.suggestion !== undefined).map((i) => `${label(i)} to ${i.path ? `${i.path}.` : ""}${i.suggestion}`);
  const fix =
    opts.fix ??
    (renames.length > 0 && renames.length === issues.length
      ? `rename ${renames.join(" and ")}.`
      : `correct the listed field${issues.length > 1 ? "s" : ""} of the ${what}${renames.length > 0 ? ` (rename ${renames.join(", ")})` : ""}.`);
  return new ClawhostError(opts.code ?? "CLAWHOST_INVALID_OPTIONS", `invalid ${what}: ${list}.`, {
    gateway: opts.gateway,
    value: Object.fromEntries(issues.map((i) => [label(i), i.value])),
    fix,
    details: { issues },
  });
}
