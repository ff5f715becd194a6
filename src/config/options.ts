import { isAbsolute } from "node:path";
import * as z from "zod";
import { assertOptionsObject, invalidOptions, showValue } from "../context/invalid.js";
import { operationOptionsSchema } from "../context/operation.js";
import { ClawhostError } from "../errors.js";
import { isPlainObject } from "./merge.js";
import type { ConfigStoreOptions, ConfigUpdate, UpdateConfigOptions } from "./store.js";

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", { message: "must be a function" });

/** zod schema of {@link ConfigStoreOptions}. */
export const configStoreOptionsSchema = z
  .object({
    name: z.string().min(1, "must name the gateway (a non-empty string)"),
    configPath: z
      .string()
      .min(1)
      .refine((p) => !p.includes("\0"), { message: "must not contain a NUL byte" })
      .refine((p) => isAbsolute(p), { message: "must be an absolute path" }),
    gatewayDir: z
      .string()
      .min(1)
      .refine((p) => !p.includes("\0"), { message: "must not contain a NUL byte" })
      .refine((p) => isAbsolute(p), { message: "must be an absolute path" })
      .optional(),
    schema: fn.optional(),
    owned: fn.optional(),
    target: z.object({ mode: fn, changed: fn, call: fn }).strict().optional(),
    baseline: fn.optional(),
  })
  .strict();

/**
 * Parse `new ConfigStore(options)` at the boundary. Throws `CLAWHOST_INVALID_OPTIONS`
 * naming each bad field and its value.
 *
 * @example
 * ```ts
 * const opts = parseConfigStoreOptions({ name: "main", configPath: "/srv/gw/main/openclaw.json" });
 * ```
 */
export function parseConfigStoreOptions(input: unknown): ConfigStoreOptions {
  assertOptionsObject(
    input,
    "new ConfigStore() needs an options object",
    'pass at least the gateway name and the config path: new ConfigStore({ name: "main", configPath: "/srv/gw/main/config/openclaw.json" }).',
  );
  const parsed = configStoreOptionsSchema.safeParse(input);
  const name = (input as { name?: unknown }).name;
  if (!parsed.success) throw invalidOptions("config store options", parsed.error, input, { gateway: typeof name === "string" && name ? name : undefined, schema: configStoreOptionsSchema });
  return parsed.data as ConfigStoreOptions;
}

/**
 * Check an update and its options at the boundary: a function, or a plain JSON object (a
 * merge patch: no cycles, no class instances, no BigInts); options `{ signal, timeoutMs }`.
 * Throws `CLAWHOST_INVALID_ARGUMENT` (the update) or `CLAWHOST_INVALID_OPTIONS` (the options).
 *
 * @example
 * ```ts
 * const opts = validateUpdate("main", { env: { vars: { A: "1" } } }, { timeoutMs: 5_000 });
 * ```
 */
export function validateUpdate(gateway: string, update: unknown, opts: unknown): UpdateConfigOptions {
  if (typeof update !== "function") {
    let json: string | undefined;
    try {
      json = isPlainObject(update) ? JSON.stringify(update) : undefined;
    } catch {
      // A cycle or a BigInt: not a merge patch.
    }
    if (json === undefined) {
      throw new ClawhostError(
        "CLAWHOST_INVALID_ARGUMENT",
        `a config update must be a function or a merge-patch object of plain JSON, got ${showValue(update)}; nothing was written.`,
        {
          gateway,
          value: showValue(update),
          fix: "pass (cfg) => { ... } to change the config in place, or a plain object such as { env: { vars: { A: \"1\" } } } (null deletes a key).",
        },
      );
    }
  }
  const parsed = operationOptionsSchema.safeParse(opts ?? {});
  if (!parsed.success) throw invalidOptions("update options", parsed.error, opts, { gateway, schema: operationOptionsSchema });
  return parsed.data as UpdateConfigOptions;
}
