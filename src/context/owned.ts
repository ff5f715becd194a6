import type { InstanceContext } from "./context.js";

/**
 * One config key clawhost owns in every managed gateway's config, defined once: what
 * clawhost writes there (if anything), what an update may leave there, and what a spec's
 * `config` may hold there.
 */
export interface OwnedConfigKey {
  /** Dotted path. */
  path: string;
  /** Why clawhost owns it (named in refusals). */
  why: string;
  /** The value clawhost writes into every config, when it writes one. */
  write?: (ctx: InstanceContext) => unknown;
  /** True when a config may hold `value` here (`before`: the value before an update). */
  accepts: (value: unknown, ctx: InstanceContext, before: unknown) => boolean;
  /** True when a spec's initial `config` may hold `value` here. */
  specMay: (value: unknown) => boolean;
}

const absent = (v: unknown): boolean => v === undefined;

/** Every key clawhost owns; `config/` enforces them on writes, `context/` on specs. */
export const OWNED_CONFIG_KEYS: readonly OwnedConfigKey[] = Object.freeze([
  {
    path: "gateway.mode",
    why: "clawhost runs local gateways",
    write: () => "local",
    accepts: (v) => v === "local",
    specMay: (v) => absent(v) || v === "local",
  },
  {
    path: "gateway.port",
    why: "the port is the gateway's leased block (set it with the spec's `port`)",
    accepts: (v, ctx) => absent(v) || v === ctx.ports.gateway,
    specMay: absent,
  },
  {
    path: "gateway.bind",
    why: "clawhost binds gateways to loopback",
    accepts: (v) => absent(v) || v === "loopback",
    specMay: absent,
  },
  {
    path: "gateway.auth",
    why: "the gateway token is clawhost's",
    accepts: (v, _ctx, before) => JSON.stringify(v ?? null) === JSON.stringify(before ?? null),
    specMay: absent,
  },
  {
    path: "logging.file",
    why: "each gateway has its own log file",
    write: (ctx) => ctx.logFile,
    accepts: (v, ctx) => v === ctx.logFile,
    specMay: absent,
  },
  {
    path: "agents.defaults.workspace",
    why: "the workspace is the context's (name it in the spec's `paths.workspace` or here)",
    write: (ctx) => ctx.workspace,
    accepts: (v, ctx) => v === ctx.workspace,
    specMay: (v) => absent(v) || typeof v === "string",
  },
]);

/** The value at a dotted path of a plain object tree. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
