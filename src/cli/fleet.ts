import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import JSON5 from "json5";
import { fleetSchema } from "./fleet-schema.js";
import { ClawhostError, GATEWAY_NAME_PATTERN } from "../index.js";
import type { GatewaySpec, HostOptions } from "../index.js";

/** The fleet file looked for in the working directory when `-f` is not given. */
export const DEFAULT_FLEET_FILE = "clawhost.json5";

/** A fleet file, read and checked: host options plus one spec per gateway name. */
export interface Fleet {
  /** Absolute path of the file. */
  file: string;
  /** Host options (`root` resolved against the file's directory). */
  host: HostOptions;
  /** Gateway specs by name, in the file's order, each with its `name`. */
  gateways: Map<string, GatewaySpec>;
}

function invalid(file: string, issues: Array<{ path: string; message: string; value?: unknown }>, fix: string): ClawhostError {
  const list = issues.map((i) => `${i.path || "(top level)"}: ${i.message}`).join("; ");
  return new ClawhostError("CLAWHOST_FLEET_FILE_INVALID", `${file}: ${list}.`, {
    value: Object.fromEntries(issues.map((i) => [i.path, i.value])),
    fix,
    details: { file, issues },
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/**
 * Read and check a fleet file: JSON5, `gateways` a map of valid names to specs, `root`
 * defaulting to `.clawhost` beside the file. Throws `CLAWHOST_FLEET_FILE_NOT_FOUND` or
 * `CLAWHOST_FLEET_FILE_INVALID` naming the file and the path in it.
 */
export function loadFleet(path: string | undefined, cwd = process.cwd()): Fleet {
  const file = resolve(cwd, path ?? DEFAULT_FLEET_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClawhostError("CLAWHOST_FLEET_FILE_NOT_FOUND", `fleet file ${file} cannot be read (${code ?? "error"}).`, {
      value: file,
      fix: path === undefined ? `create ${DEFAULT_FLEET_FILE} here (see docs/cli.md), or pass -f <file>.` : "check the path given to -f.",
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = JSON5.parse(text);
  } catch (err) {
    const e = err as { lineNumber?: number; columnNumber?: number; message: string };
    throw invalid(file, [{ path: `line ${e.lineNumber ?? "?"}, column ${e.columnNumber ?? "?"}`, message: e.message.replace(/^JSON5: /, "") }], "make the file valid JSON5 (comments, trailing commas and unquoted keys are fine).");
  }
  const parsed = fleetSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, value: valueAt(raw, i.path) }));
    throw invalid(file, issues, 'the file holds host options (root, ports, openclaw, ...) and gateways: { name: spec }, e.g. { root: "./fleet", gateways: { main: {} } }.');
  }
  const { $schema: _schema, gateways, root, ...rest } = parsed.data;
  const base = dirname(file);
  const at = (p: unknown): unknown => (typeof p === "string" && p !== "" && !isAbsolute(p) ? resolve(base, p) : p);
  const oc = rest.openclaw !== null && typeof rest.openclaw === "object" ? (rest.openclaw as Record<string, unknown>) : undefined;
  // Paths in the file are relative to it; openclaw is looked for from the file's directory up.
  const host = {
    ...rest,
    root: resolve(base, root ?? ".clawhost"),
    ...(rest.openclaw === undefined ? { openclaw: { searchFrom: base } } : {}),
    ...(oc ? { openclaw: { ...oc, ...Object.fromEntries(["bin", "node", "searchFrom"].filter((k) => k in oc).map((k) => [k, at(oc[k])])) } } : {}),
    ...("leaseDir" in rest ? { leaseDir: at(rest.leaseDir) } : {}),
    ...("profileHome" in rest ? { profileHome: at(rest.profileHome) } : {}),
  } as HostOptions;
  const specs = new Map<string, GatewaySpec>();
  for (const [name, spec] of Object.entries(gateways)) {
    if (!GATEWAY_NAME_PATTERN.test(name)) {
      throw invalid(file, [{ path: `gateways.${name}`, message: "is not a gateway name", value: name }], "name gateways with up to 64 letters, digits, '-' and '_', starting with a letter or digit.");
    }
    if (spec && "name" in spec && spec.name !== name) {
      throw invalid(file, [{ path: `gateways.${name}.name`, message: `differs from its key ${JSON.stringify(name)}`, value: spec.name }], "omit `name` in a spec: the key is the name.");
    }
    specs.set(name, { ...(spec ?? {}), name } as GatewaySpec);
  }
  return { file, host, gateways: specs };
}

/**
 * An SDK options error (`CLAWHOST_INVALID_OPTIONS`, `details.issues`) restated against the
 * fleet file: the file, the path in it (`gateways.<name>.` for a spec) and the SDK's fix.
 */
export function fleetError(fleet: Fleet, err: unknown, gateway?: string): unknown {
  if (!(err instanceof ClawhostError) || err.code !== "CLAWHOST_INVALID_OPTIONS") return err;
  const prefix = gateway === undefined ? "" : `gateways.${gateway}.`;
  const sdkIssues = (err.details?.issues as Array<{ path: string; message: string; value: unknown; key?: string }> | undefined) ?? [];
  const issues = sdkIssues.length > 0
    ? sdkIssues.map((i) => ({ path: `${prefix}${[i.path, i.key].filter((p) => p !== undefined && p !== "").join(".")}`, message: i.message, value: i.value }))
    : [{ path: prefix.replace(/\.$/, ""), message: err.message, value: err.value }];
  return invalid(fleet.file, issues, err.fix ?? "correct the key named.");
}
