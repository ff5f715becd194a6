import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import AjvModule from "ajv";
import type { ValidateFunction } from "ajv";
import { ClawhostError } from "../errors.js";
import type { ResolvedRuntime } from "../process/runtime.js";

// ajv ships CommonJS with a default export; under ESM interop it may arrive wrapped.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as typeof AjvModule;

/** One rule the config breaks: the dotted path and what the schema says. */
export interface ConfigIssue {
  path: string;
  rule: string;
  message: string;
}

/** Validates a whole OpenClaw config; returns the issues (empty when valid). */
export type ConfigValidator = (config: unknown) => ConfigIssue[];

type JsonNode = Record<string, unknown>;

/**
 * Plugin schemas inside OpenClaw's schema keep `$defs` of their own but point at them
 * with root-relative `#/$defs/x`: move them to the root (renamed, refs rewritten) so a
 * validator can resolve them.
 */
export function hoistNestedDefs(schema: JsonNode): JsonNode {
  let n = 0;
  const rootDefs = ((schema.definitions as JsonNode | undefined) ??= {});
  const rewrite = (node: unknown, map: Map<string, string>): void => {
    if (Array.isArray(node)) return node.forEach((v) => rewrite(v, map));
    if (!node || typeof node !== "object") return;
    const o = node as JsonNode;
    if (typeof o.$ref === "string") {
      const m = /^#\/\$defs\/(.+)$/.exec(o.$ref);
      if (m && map.has(m[1]!)) o.$ref = `#/definitions/${map.get(m[1]!)}`;
    }
    for (const v of Object.values(o)) rewrite(v, map);
  };
  const hoist = (node: unknown, isRoot: boolean): void => {
    if (Array.isArray(node)) return node.forEach((v) => hoist(v, false));
    if (!node || typeof node !== "object") return;
    const o = node as JsonNode;
    for (const v of Object.values(o)) hoist(v, false);
    const defs = o.$defs;
    if (!isRoot && defs && typeof defs === "object" && !Array.isArray(defs)) {
      const map = new Map(Object.keys(defs).map((name) => [name, `nested${n++}_${name}`]));
      rewrite(o, map);
      for (const [name, def] of Object.entries(defs)) rootDefs[map.get(name)!] = def;
      delete o.$defs;
    }
  };
  hoist(schema, true);
  return schema;
}

function cacheFile(runtime: ResolvedRuntime): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  const key = createHash("sha256").update(runtime.packageDir).digest("hex").slice(0, 8);
  return join(tmpdir(), `clawhost-cache-${uid}`, `openclaw-config-schema-${runtime.openclawVersion}-${key}.json`);
}

/**
 * OpenClaw's own config schema (`openclaw config schema`, JSON Schema draft-07, ~2.4 MB),
 * cached on disk per installed version and package dir. Runs the CLI in a scratch
 * environment so no gateway's state is touched.
 */
export function loadOpenClawSchema(runtime: ResolvedRuntime): JsonNode {
  const file = cacheFile(runtime);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as JsonNode;
  } catch {
    // Not cached yet.
  }
  const scratch = join(dirname(file), `scratch-${process.pid}`);
  mkdirSync(join(scratch, "state"), { recursive: true, mode: 0o700 });
  const env: Record<string, string> = {
    PATH: [dirname(runtime.node), process.env.PATH ?? ""].join(delimiter),
    HOME: scratch,
    TMPDIR: scratch,
    OPENCLAW_STATE_DIR: join(scratch, "state"),
    OPENCLAW_CONFIG_PATH: join(scratch, "state", "openclaw.json"),
  };
  const [cmd, args] = runtime.entryIsScript
    ? [runtime.node, [runtime.entry, "config", "schema"]]
    : [runtime.entry, ["config", "schema"]];
  const r = spawnSync(cmd, args, { env, cwd: scratch, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  let schema: JsonNode;
  try {
    schema = JSON.parse(r.stdout) as JsonNode;
  } catch {
    throw new ClawhostError("CLAWHOST_START_FAILED", `\`openclaw config schema\` gave no JSON (exit ${r.status}).`, {
      value: r.status,
      fix: "check the openclaw installation (`npx openclaw config schema`).",
      details: { stderr: (r.stderr ?? "").split("\n").slice(-10) },
    });
  }
  hoistNestedDefs(schema);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(schema));
  renameSync(tmp, file);
  return schema;
}

const compiled = new Map<string, ValidateFunction>();

/** Compile (once per process and schema) a validator for OpenClaw's schema. */
export function openClawValidator(runtime: ResolvedRuntime): ConfigValidator {
  const key = cacheFile(runtime);
  let validate = compiled.get(key);
  if (!validate) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    validate = ajv.compile(loadOpenClawSchema(runtime));
    compiled.set(key, validate);
  }
  const fn = validate;
  return (config) => {
    if (fn(config)) return [];
    return (fn.errors ?? []).slice(0, 10).map((e) => {
      const base = e.instancePath.split("/").filter(Boolean).join(".");
      const extra = (e.params as { additionalProperty?: string }).additionalProperty;
      const path = extra ? (base ? `${base}.${extra}` : extra) : base || "(root)";
      return { path, rule: `schema: ${e.keyword}`, message: extra ? "is not a known key" : (e.message ?? e.keyword) };
    });
  };
}
