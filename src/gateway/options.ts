import * as z from "zod";
import { invalidOptions, showValue } from "../context/invalid.js";
import { abortSignalSchema, MAX_TIMEOUT_MS, operationOptionsSchema, timeoutMsSchema } from "../context/operation.js";
import { ClawhostError } from "../errors.js";
import type { OperationOptions, RestartOptions } from "./types.js";

export { abortSignalSchema, MAX_TIMEOUT_MS, operationOptionsSchema, timeoutMsSchema };

/** zod schema of {@link RestartOptions}. */
export const restartOptionsSchema = operationOptionsSchema.extend({ inPlace: z.boolean().optional() }).strict();

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string, gateway: string | undefined): T {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) throw invalidOptions(what, parsed.error, input, { gateway, schema });
  return parsed.data;
}

/**
 * Parse the `{ signal, timeoutMs }` of a long operation at the boundary: a NaN, negative
 * or infinite timeout, a signal that is no AbortSignal, or an unknown key (with the
 * closest valid one) is refused with `CLAWHOST_INVALID_OPTIONS` naming the value.
 *
 * @example
 * ```ts
 * const opts = parseOperationOptions({ timeoutMs: 5_000 }, "start options", "main");
 * ```
 */
export function parseOperationOptions(input: unknown, what: string, gateway?: string): OperationOptions {
  return parse(operationOptionsSchema, input, what, gateway) as OperationOptions;
}

/** {@link parseOperationOptions} for `restart()` (also takes `inPlace`). */
export function parseRestartOptions(input: unknown, gateway?: string): RestartOptions {
  return parse(restartOptionsSchema, input, "restart options", gateway) as RestartOptions;
}

/**
 * Check `call()`'s method and params at the boundary: the method a non-empty string, the
 * params a JSON value (no cycles, BigInts or functions). Throws `CLAWHOST_INVALID_ARGUMENT`.
 */
export function validateCallArgs(gateway: string, method: unknown, params: unknown): void {
  if (typeof method !== "string" || method.trim() === "") {
    throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `call() needs a method name (a non-empty string), got ${showValue(method)}.`, {
      gateway,
      value: showValue(method),
      fix: 'pass the RPC method as a string, e.g. gateway.call("health", {}).',
    });
  }
  let text: string | undefined;
  let why = "is not a JSON value";
  try {
    text = JSON.stringify(params);
  } catch (err) {
    why = `cannot be sent as JSON (${(err as Error).message.split("\n")[0]})`;
  }
  if (text === undefined) {
    throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `the params of ${method} ${why}.`, {
      gateway,
      value: showValue(params),
      fix: "pass plain JSON data as params: objects, arrays, strings, finite numbers, booleans and null, without cycles.",
    });
  }
}
