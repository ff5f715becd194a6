import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import JSON5 from "json5";
import { ClawhostError } from "../errors.js";
import type { InstanceContext } from "../context/context.js";

/** An OpenClaw config object (JSON5 on disk). */
export type OpenClawConfig = Record<string, unknown>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Deep-merge `patch` into a copy of `base`: objects merge, everything else replaces. */
export function deepMerge(base: OpenClawConfig, patch: OpenClawConfig): OpenClawConfig {
  const out: OpenClawConfig = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    out[k] = isPlainObject(cur) && isPlainObject(v) ? deepMerge(cur, v) : structuredClone(v);
  }
  return out;
}

/** Read and parse the config file (JSON5); `undefined` when it does not exist. */
export async function readConfigFile(ctx: InstanceContext): Promise<OpenClawConfig | undefined> {
  let raw: string;
  try {
    raw = await readFile(ctx.configPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const parsed: unknown = JSON5.parse(raw);
    if (!isPlainObject(parsed)) throw new Error("top level is not an object");
    return parsed;
  } catch (err) {
    throw new ClawhostError("CLAWHOST_CONFIG_INVALID", `config ${ctx.configPath} does not parse: ${(err as Error).message}.`, {
      gateway: ctx.name,
      value: ctx.configPath,
      fix: "repair the file (JSON5) or remove it to let clawhost write a fresh one.",
      cause: err,
    });
  }
}

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
 * Before a start: a new config file gets the spec's initial config; an existing one
 * keeps everything (including OpenClaw's `meta`, so its start-up auto-restore does not
 * revert the file). Either way what clawhost owns is enforced. Writes only when
 * something changes; returns true when it wrote.
 */
export async function ensureInitialConfig(ctx: InstanceContext): Promise<boolean> {
  const current = await readConfigFile(ctx);
  const desired = deepMerge(current ?? (ctx.initialConfig as OpenClawConfig), ownedConfig(ctx));
  if (current && JSON.stringify(current) === JSON.stringify(desired)) return false;
  await writeFileAtomic(ctx.configPath, `${JSON.stringify(desired, null, 2)}\n`);
  return true;
}
