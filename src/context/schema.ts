import { isAbsolute, resolve } from "node:path";
import * as z from "zod";
import { ClawhostError } from "../errors.js";
import { MAX_BASE_PORT, PORT_BLOCK_SPAN } from "../ports/block.js";
import { assertOptionsObject, invalidOptions } from "./invalid.js";
import { getPath, OWNED_CONFIG_KEYS } from "./owned.js";
import { livenessSchema, restartPolicySchema } from "./supervision.js";
import type { LivenessOptions, RestartPolicy } from "./supervision.js";

/** OpenClaw's own profile-name rule, which clawhost applies to gateway names. */
export const GATEWAY_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/**
 * Env keys clawhost owns in the child: a spec may not set them, because each one would
 * break isolation or leak the token.
 */
export const OWNED_ENV_KEYS: ReadonlySet<string> = new Set([
  "OPENCLAW_STATE_DIR",
  "OPENCLAW_CONFIG_PATH",
  "OPENCLAW_GATEWAY_TOKEN",
  "OPENCLAW_GATEWAY_PORT",
  "OPENCLAW_GATEWAY_PASSWORD",
  "OPENCLAW_PROFILE",
  "OPENCLAW_HOME",
  "OPENCLAW_WORKSPACE_DIR",
  "OPENCLAW_NO_RESPAWN",
  "HOME",
  "TMPDIR",
  "XDG_CONFIG_HOME",
  "XDG_CACHE_HOME",
  "XDG_DATA_HOME",
  "XDG_STATE_HOME",
  "NODE_COMPILE_CACHE",
  "CLAWHOST_RUN_ID",
]);

const noNul = (p: string): boolean => !p.includes("\0");

const absolutePath = z
  .string()
  .min(1)
  .refine(noNul, { message: "must not contain a NUL byte" })
  .refine((p) => isAbsolute(p), { message: "must be an absolute path" });

const msField = (def: number) => z.number().int().positive().max(3_600_000).default(def);

/** zod schema of {@link HostOptions}. */
export const hostOptionsSchema = z
  .object({
    root: z.string().min(1, "must not be empty").refine(noNul, { message: "must not contain a NUL byte" }),
    openclaw: z
      .object({
        bin: absolutePath.optional(),
        node: absolutePath.optional(),
        searchFrom: absolutePath.optional(),
      })
      .strict()
      .default({}),
    ports: z
      .object({
        from: z.number().int().min(1024).max(MAX_BASE_PORT),
        to: z.number().int().min(1024).max(65535),
      })
      .strict()
      .refine((r) => r.to - r.from + 1 >= PORT_BLOCK_SPAN, {
        message: `range must hold at least one block of ${PORT_BLOCK_SPAN} ports`,
      })
      .optional(),
    leaseDir: absolutePath.optional(),
    readyTimeoutMs: msField(120_000),
    stopTimeoutMs: msField(15_000),
    startConcurrency: z.number().int().min(1).max(64).default(8),
    restart: restartPolicySchema.default({}),
    liveness: livenessSchema.default({}),
    outlive: z.boolean().default(false),
    doctor: z.boolean().default(true),
    profileHome: absolutePath.optional(),
    events: z
      .object({ replay: z.number().int().min(1).max(1_000_000).default(1_000) })
      .strict()
      .default({ replay: 1_000 }),
    // Parsed by observe/logs (its own schema) when the host is built and at each add().
    logs: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/**
 * Options of `new GatewayHost(options)`.
 *
 * @example
 * ```ts
 * const host = new GatewayHost({ root: "/var/lib/app/gateways", readyTimeoutMs: 60_000 });
 * ```
 */
export interface HostOptions {
  /** Directory under which every gateway gets `<root>/<name>/`. Relative paths resolve against cwd. */
  root: string;
  /** Where to find OpenClaw and a Node that satisfies its engines (default: discovered). */
  openclaw?: {
    /** The `openclaw` executable or its `openclaw.mjs`. */
    bin?: string;
    /** A Node binary to run it with. */
    node?: string;
    /** Directory to start the node_modules search from (default: `process.cwd()`). */
    searchFrom?: string;
  };
  /** Range automatic port blocks are allocated from (default: 20000 up to the kernel's ephemeral range). */
  ports?: { from: number; to: number };
  /** Directory of the host-wide lease registry (default: `$XDG_RUNTIME_DIR/clawhost` or `<tmpdir>/clawhost-leases-<uid>`). Hosts that must never collide share it. */
  leaseDir?: string;
  /** Default deadline for a gateway to become ready (default 120000). */
  readyTimeoutMs?: number;
  /** Default time between SIGTERM and SIGKILL of the process tree (default 15000). */
  stopTimeoutMs?: number;
  /**
   * How many gateways `startAll()` starts at once (default 8). A boot waits on I/O and
   * on OpenClaw's startup sidecars as well as on the CPU, so several boots at once finish a
   * fleet sooner even on 2 cores; more than ~4 per core mostly lengthens the host's
   * event-loop stalls (each spawn forks the host and waits for the child's exec) for little
   * gain (bench/reports/scale.md). Each real gateway needs ~1 GB while it boots: lower it
   * on a small host, or to get the first gateway ready sooner.
   */
  startConcurrency?: number;
  /** Default restart policy of every gateway (see {@link RestartPolicy} for the defaults and why). */
  restart?: Partial<RestartPolicy>;
  /** Default liveness probing (`false`: off; see {@link LivenessOptions}). */
  liveness?: Partial<LivenessOptions> | false;
  /**
   * Default for every gateway: let it outlive this host process (own session, output to
   * a file, no watchdog); `host[Symbol.asyncDispose]()` then leaves ready gateways running
   * and a later host on the same root adopts them without a restart (default false:
   * gateways die with the host, even when it is SIGKILLed).
   */
  outlive?: boolean;
  /** On exit 78, run `openclaw doctor --fix --yes --non-interactive` once and retry once (default true). */
  doctor?: boolean;
  /** Home under which `profile: true` gateways find `.openclaw-<name>` (default: `OPENCLAW_HOME`, else the user's home). */
  profileHome?: string;
  /**
   * The event stream (`host.events()`): `replay` is how many of the latest records are
   * kept for consumers that resume with `since` (default 1000, ~0.5 KB each).
   */
  events?: { replay?: number };
  /** Default log settings of every gateway (see {@link LogsSettings}). */
  logs?: LogsSettings;
}

/**
 * How a gateway's logs are kept (`gateway.logs()`, `<root>/<name>/logs/output.log`).
 *
 * @example
 * ```ts
 * new GatewayHost({ root, logs: { ringSize: 5_000, maxFileBytes: 1 << 20, redact: [/sk-[A-Za-z0-9]+/] } });
 * ```
 */
export interface LogsSettings {
  /** Records kept in memory per gateway for `logs()` (default 1000). */
  ringSize?: number;
  /** Size at which `output.log` (the captured stdout/stderr) is rotated (default 10 MiB). */
  maxFileBytes?: number;
  /** Rotated output files kept besides the active one (default 5). */
  keepFiles?: number;
  /** A message longer than this is cut in the records (the file keeps it whole; default 4096). */
  maxLineChars?: number;
  /** Redacted from every record, file line, event and diagnostics, besides the token: strings literally, RegExps every match. */
  redact?: Array<string | RegExp>;
}

/** Host options after parsing, with defaults applied. */
export type NormalizedHostOptions = z.output<typeof hostOptionsSchema> & { root: string };

/** zod schema of {@link GatewaySpec}. */
export const gatewaySpecSchema = z
  .object({
    name: z.string(),
    port: z.number().int().min(1024).max(65535).optional(),
    env: z
      .record(z.string(), z.string())
      .superRefine((env, ctx) => {
        for (const key of Object.keys(env)) {
          if (OWNED_ENV_KEYS.has(key)) {
            ctx.addIssue({
              code: "custom",
              path: [key],
              message: `is set by clawhost for isolation; use the spec's paths/port instead`,
            });
          }
        }
      })
      .default({}),
    config: z
      .record(z.string(), z.unknown())
      .superRefine((cfg, ctx) => {
        for (const key of OWNED_CONFIG_KEYS) {
          const value = getPath(cfg, key.path);
          if (!key.specMay(value)) {
            // The value is named by the error itself (redacted where it may be a secret, as in gateway.auth).
            ctx.addIssue({ code: "custom", path: key.path.split("."), message: `is owned by clawhost (${key.why})` });
          }
        }
      })
      .default({}),
    paths: z
      .object({
        configPath: absolutePath.optional(),
        stateDir: absolutePath.optional(),
        workspace: absolutePath.optional(),
      })
      .strict()
      .default({}),
    restart: restartPolicySchema.optional(),
    liveness: livenessSchema.optional(),
    outlive: z.boolean().optional(),
    logs: z.record(z.string(), z.unknown()).optional(),
    profile: z.boolean().default(false),
  })
  .strict()
  .refine((s) => !s.profile || (s.paths.configPath === undefined && s.paths.stateDir === undefined && s.paths.workspace === undefined), {
    message: "profile: true takes its paths from the profile (~/.openclaw-<name>); do not also give paths",
    path: ["paths"],
  })
  .superRefine((s, ctx) => {
    // No silent overrides: the workspace named in the config must be the one the gateway gets.
    const ws = getPath(s.config, "agents.defaults.workspace");
    if (typeof ws !== "string") return;
    if (!isAbsolute(ws)) {
      ctx.addIssue({ code: "custom", path: ["config", "agents", "defaults", "workspace"], message: "must be an absolute path" });
    } else if (s.paths.workspace !== undefined && resolve(s.paths.workspace) !== resolve(ws)) {
      ctx.addIssue({
        code: "custom",
        path: ["config", "agents", "defaults", "workspace"],
        message: `differs from paths.workspace ${JSON.stringify(s.paths.workspace)}, which clawhost would write over it; give the workspace once`,
      });
    }
  });

/**
 * What `host.add(spec)` takes: one gateway.
 *
 * @example
 * ```ts
 * host.add({ name: "rescue", port: 19789, env: { OPENCLAW_EAGER_BROWSER_CONTROL_SERVER: "1" } });
 * ```
 */
export interface GatewaySpec {
  /** Gateway name, OpenClaw's profile rule: `/^[a-z0-9][a-z0-9_-]{0,63}$/i`. */
  name: string;
  /** Base port; the block is base..base+110. Default: leased automatically. */
  port?: number;
  /** Extra env for the child (owned keys such as `OPENCLAW_STATE_DIR` or `HOME` are refused). */
  env?: Record<string, string>;
  /** Initial OpenClaw config merged under what clawhost owns (`gateway.port`/`bind`/`auth`, `logging.file`). */
  config?: Record<string, unknown>;
  /** Override where the config file, state dir or workspace live (default: under `<root>/<name>/`). */
  paths?: { configPath?: string; stateDir?: string; workspace?: string };
  /** Restart policy of this gateway, over the host's default. */
  restart?: Partial<RestartPolicy>;
  /** Liveness probing of this gateway, over the host's default (`false`: off). */
  liveness?: Partial<LivenessOptions> | false;
  /** Let this gateway outlive the host (see `HostOptions.outlive`). */
  outlive?: boolean;
  /** Log settings of this gateway, over the host's (see {@link LogsSettings}). */
  logs?: LogsSettings;
  /**
   * Take over the layout `openclaw --profile <name>` uses: state dir
   * `<profileHome>/.openclaw-<name>`, its `openclaw.json`, the workspace the config names
   * (else `<stateDir>/workspace`), the port the config names (else OpenClaw's hashed
   * profile port), and a token already in the config. The port is leased and checked like
   * any other; clawhost's owned config keys are enforced in that file.
   */
  profile?: boolean;
}

/** Gateway spec after parsing, with defaults applied. */
export type NormalizedGatewaySpec = z.output<typeof gatewaySpecSchema>;

/**
 * Parse host options once at the boundary. Throws `CLAWHOST_INVALID_OPTIONS` listing each bad field.
 *
 * @example
 * ```ts
 * const opts = normalizeHostOptions({ root: "./gateways" }); // root made absolute, defaults applied
 * ```
 */
export function normalizeHostOptions(input: HostOptions): NormalizedHostOptions {
  assertOptionsObject(input, "new GatewayHost() needs an options object", 'pass the options, at least the root: new GatewayHost({ root: "/var/lib/app/gateways" }).');
  const parsed = hostOptionsSchema.safeParse(input);
  if (!parsed.success) throw invalidOptions("host options", parsed.error, input, { schema: hostOptionsSchema });
  return { ...parsed.data, root: resolve(parsed.data.root) };
}

/**
 * Check a gateway name against OpenClaw's profile rule. Throws `CLAWHOST_INVALID_NAME`.
 *
 * @example
 * ```ts
 * validateGatewayName("rescue"); // ok
 * validateGatewayName("../x");   // throws CLAWHOST_INVALID_NAME
 * ```
 */
export function validateGatewayName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !GATEWAY_NAME_PATTERN.test(name)) {
    const shown = typeof name === "string" ? JSON.stringify(name) : String(name);
    const why =
      typeof name !== "string"
        ? "is not a string"
        : name.length === 0
          ? "is empty"
          : name.length > 64
            ? "is longer than 64 characters"
            : /[/\\]/.test(name) || name.includes("..")
              ? "contains a path separator or '..'"
              : "has characters outside [a-z0-9_-] or does not start with a letter or digit";
    throw new ClawhostError("CLAWHOST_INVALID_NAME", `gateway name ${shown} ${why}.`, {
      value: typeof name === "string" ? name : String(name),
      fix: "use 1-64 characters of letters, digits, '_' or '-', starting with a letter or digit (OpenClaw's profile rule).",
    });
  }
}

/**
 * Parse a gateway spec once at the boundary: the name first (`CLAWHOST_INVALID_NAME`),
 * then every other field (`CLAWHOST_INVALID_OPTIONS`, listing each bad field's path).
 *
 * @example
 * ```ts
 * const spec = normalizeGatewaySpec({ name: "main", port: 20000 });
 * ```
 */
export function normalizeGatewaySpec(input: GatewaySpec): NormalizedGatewaySpec {
  validateGatewayName((input as { name?: unknown } | undefined)?.name);
  const parsed = gatewaySpecSchema.safeParse(input);
  if (!parsed.success) throw invalidOptions("gateway spec", parsed.error, input, { gateway: input.name, schema: gatewaySpecSchema });
  if (parsed.data.port !== undefined && parsed.data.port > MAX_BASE_PORT) {
    throw new ClawhostError(
      "CLAWHOST_PORT_RANGE",
      `port block ${parsed.data.port}..${parsed.data.port + PORT_BLOCK_SPAN - 1} does not fit below 65536.`,
      { gateway: input.name, value: parsed.data.port, fix: `use a base port of at most ${MAX_BASE_PORT}.` },
    );
  }
  return parsed.data;
}
