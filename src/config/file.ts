import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { ClawhostError } from "../errors.js";
import type { InstanceContext } from "../context/context.js";
import { isPlainObject } from "./merge.js";
import type { ConfigIssue } from "./schema.js";

/** An OpenClaw config object (JSON5 on disk). */
export type OpenClawConfig = Record<string, unknown>;

/**
 * Write a file atomically: a temp file in the same dir, fsync, rename over the target,
 * fsync the dir. Readers see the old bytes or the new, never a mix; mode 0600.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** The keys clawhost owns in every managed config. */
export function ownedConfig(ctx: InstanceContext): OpenClawConfig {
  return {
    gateway: { mode: "local" },
    logging: { file: ctx.logFile },
    agents: { defaults: { workspace: ctx.workspace } },
  };
}

/**
 * The rules for what clawhost owns in a managed config, as a zod schema: `gateway.mode`
 * local, the port and bind (absent, or the values clawhost starts the gateway with), the
 * log file and workspace clawhost set, and `gateway.auth` untouched (the token is
 * clawhost's). Returns the broken rules for an update's result.
 */
export function ownedConfigRules(ctx: InstanceContext): (after: OpenClawConfig, before: OpenClawConfig) => ConfigIssue[] {
  const schema = z.looseObject({
    gateway: z.looseObject({
      mode: z.literal("local"),
      port: z.literal(ctx.ports.gateway).optional(),
      bind: z.literal("loopback").optional(),
    }),
    logging: z.looseObject({ file: z.literal(ctx.logFile) }),
    agents: z.looseObject({ defaults: z.looseObject({ workspace: z.literal(ctx.workspace) }) }),
  });
  return (after, before) => {
    const issues: ConfigIssue[] = [];
    const r = schema.safeParse(after);
    if (!r.success) {
      for (const i of r.error.issues) {
        issues.push({ path: i.path.map(String).join("."), rule: "owned by clawhost", message: `must stay as clawhost set it (${i.message})` });
      }
    }
    const auth = (o: OpenClawConfig): string => JSON.stringify((o.gateway as { auth?: unknown } | undefined)?.auth ?? null);
    if (auth(after) !== auth(before)) {
      issues.push({ path: "gateway.auth", rule: "owned by clawhost", message: "must not be changed through clawhost (the token is clawhost's)" });
    }
    return issues;
  };
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
