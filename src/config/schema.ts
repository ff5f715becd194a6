import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedRuntime } from "../process/runtime.js";
import { ValidatorProcess } from "./validator-process.js";

/** One rule the config breaks: the dotted path and what the schema says. */
export interface ConfigIssue {
  path: string;
  rule: string;
  message: string;
}

/** Validates a whole OpenClaw config; resolves to the issues (empty when valid). */
export type ConfigValidator = (config: unknown) => Promise<ConfigIssue[]>;

/** Where the schema of one installed OpenClaw is cached (per version and package dir). */
export function schemaCacheFile(runtime: ResolvedRuntime): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  const key = createHash("sha256").update(runtime.packageDir).digest("hex").slice(0, 8);
  return join(tmpdir(), `clawhost-cache-${uid}`, `openclaw-config-schema-${runtime.openclawVersion}-${key}.json`);
}

const validators = new Map<string, ConfigValidator>();

/** A validator process with nothing to check for this long is ended. */
const VALIDATOR_IDLE_MS = 30_000;

/**
 * A validator for the installed OpenClaw's own config schema (`openclaw config schema`,
 * JSON Schema draft-07, ~2.4 MB), run in a child process so that neither loading,
 * compiling nor checking blocks the host's event loop, and so that the compile's memory
 * (hundreds of MB) never lands in the host process. One validator per process and schema,
 * started on first use, unref'd (it never keeps a process alive), and ended after
 * `idleMs` without a request (see {@link ValidatorProcess}).
 *
 * @example
 * ```ts
 * const validate = openClawValidator(resolveRuntime());
 * const issues = await validate({ gateway: { mode: "local" }, env: { vars: { A: 1 } } });
 * // [{ path: "env.vars.A", rule: "schema: type", message: "must be string" }]
 * ```
 */
export function openClawValidator(runtime: ResolvedRuntime, idleMs = VALIDATOR_IDLE_MS): ConfigValidator {
  const file = schemaCacheFile(runtime);
  const existing = validators.get(file);
  if (existing) return existing;
  const child = new ValidatorProcess(file, runtime, idleMs);
  const validator: ConfigValidator = (config) => child.validate(config);
  validators.set(file, validator);
  return validator;
}
