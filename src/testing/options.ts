import * as z from "zod";
import { ClawhostError } from "../index.js";
import type { GatewaySpec } from "../index.js";

const absolutePath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith("/"), { message: "must be an absolute path" });

/** zod schema of {@link PoolOptions}. */
export const poolOptionsSchema = z
  .object({
    openclaw: z.object({ bin: absolutePath.optional(), node: absolutePath.optional() }).strict().optional(),
    // Validated by `host.add()`; the pool owns the name, port and paths of each gateway.
    spec: z
      .record(z.string(), z.unknown())
      .refine((s) => !["name", "port", "paths", "profile"].some((k) => k in s), {
        message: "name, port, paths and profile are the pool's (each gateway gets its own)",
      })
      .default({}),
    spares: z.number().int().min(0).max(64).optional(),
    root: absolutePath.optional(),
    ports: z.object({ from: z.number().int().min(1024), to: z.number().int().max(65535) }).strict().optional(),
    readyTimeoutMs: z.number().int().positive().max(3_600_000).default(120_000),
  })
  .strict();

/**
 * Options of {@link createGatewayPool}.
 *
 * @example
 * ```ts
 * const pool = createGatewayPool({ spares: 2, spec: { config: { agents: { defaults: {} } } } });
 * ```
 */
export interface PoolOptions {
  /** Where to find OpenClaw and a Node for it (default: discovered, as `new GatewayHost` does). */
  openclaw?: { bin?: string; node?: string };
  /** What every gateway of the pool is given: a `GatewaySpec` without `name`, `port`, `paths` or `profile`. */
  spec?: Omit<GatewaySpec, "name" | "port" | "paths" | "profile">;
  /** Gateways kept booting or ready ahead of the tests (default: `defaultSpares()` of `clawhost/testing`). 0: each `acquire()` boots its own. */
  spares?: number;
  /** Directory under which this worker's gateways live (default: the run's temp dir). Its `w<worker>-<pid>` child is removed at the end. */
  root?: string;
  /** Port range of this worker's gateways (default: a slice of 20000-31999 chosen by the worker id). */
  ports?: { from: number; to: number };
  /** Deadline of one gateway's boot (default 120000). */
  readyTimeoutMs?: number;
}

export type NormalizedPoolOptions = z.output<typeof poolOptionsSchema>;

/** Options parsed once at the boundary; a bad field is one `CLAWHOST_INVALID_OPTIONS` naming it. */
export function normalizePoolOptions(options: unknown): NormalizedPoolOptions {
  const parsed = poolOptionsSchema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`);
  throw new ClawhostError("CLAWHOST_INVALID_OPTIONS", `createGatewayPool: invalid options (${fields.join("; ")}).`, {
    value: fields,
    fix: "pass { openclaw?, spec?, spares?, root?, ports?, readyTimeoutMs? } as documented for createGatewayPool.",
    details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
  });
}
