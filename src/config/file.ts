import type { InstanceContext } from "../context/context.js";
import { getPath, OWNED_CONFIG_KEYS } from "../context/owned.js";
import { isPlainObject } from "./merge.js";
import type { ConfigIssue } from "./schema.js";

/** An OpenClaw config object (JSON5 on disk). */
export type OpenClawConfig = Record<string, unknown>;

/** What clawhost writes into every managed config (see `context/owned.ts`). */
export function ownedConfig(ctx: InstanceContext): OpenClawConfig {
  const out: OpenClawConfig = {};
  for (const key of OWNED_CONFIG_KEYS) {
    if (!key.write) continue;
    const parts = key.path.split(".");
    let cur = out;
    for (const part of parts.slice(0, -1)) cur = (cur[part] ??= {}) as OpenClawConfig;
    cur[parts.at(-1)!] = key.write(ctx);
  }
  return out;
}

/**
 * The rules for what clawhost owns in a managed config (`context/owned.ts`): returns the
 * broken ones for an update's result, given the config before it.
 */
export function ownedConfigRules(ctx: InstanceContext): (after: OpenClawConfig, before: OpenClawConfig) => ConfigIssue[] {
  return (after, before) =>
    OWNED_CONFIG_KEYS.filter((key) => !key.accepts(getPath(after, key.path), ctx, getPath(before, key.path))).map((key) => ({
      path: key.path,
      rule: "owned by clawhost",
      message: `must stay as clawhost set it: ${key.why}`,
    }));
}

/** `base` with `fill`'s values added where `base` has none (existing values win). */
export function fillMissing(base: OpenClawConfig, fill: OpenClawConfig): OpenClawConfig {
  const out: OpenClawConfig = { ...base };
  for (const [k, v] of Object.entries(fill)) {
    const cur = out[k];
    if (cur === undefined) out[k] = structuredClone(v);
    else if (isPlainObject(cur) && isPlainObject(v)) out[k] = fillMissing(cur, v);
  }
  return out;
}
