import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseStat } from "../fs/proc.js";
import type { ProcIdentity } from "../fs/proc.js";

/** One process of a gateway's tree, as diagnostics show it. */
export interface TreeProcess {
  pid: number;
  ppid: number;
  /** State letter (R, S, D, T, ...). */
  state: string;
  /** The command name (`comm`); never the argv, which could carry secrets of other tools. */
  command: string;
  rssBytes: number;
  cpuMs: number;
}

const PAGE_SIZE = 4096;
const TICKS_PER_SECOND = 100;

/** The members of a tree still alive (same pid and start time), read once each off the event loop. */
export async function describeTree(members: readonly ProcIdentity[]): Promise<TreeProcess[]> {
  const rows = await Promise.all(
    members.map(async (id) => {
      try {
        const info = parseStat(id.pid, await readFile(`/proc/${id.pid}/stat`, "utf8"));
        if (info.startTime !== id.startTime || info.state === "Z") return undefined;
        return {
          pid: info.pid,
          ppid: info.ppid,
          state: info.state,
          command: info.comm,
          rssBytes: info.rssPages * PAGE_SIZE,
          cpuMs: ((info.utime + info.stime) * 1000) / TICKS_PER_SECOND,
        };
      } catch {
        return undefined;
      }
    }),
  );
  return rows.filter((r): r is TreeProcess => r !== undefined);
}

// Keys whose values are credentials in OpenClaw configs (gateway.auth.token, provider
// apiKey, env.vars.*_KEY, channel bot tokens, passwords, cookies, OAuth secrets).
const SECRET_KEY = /token|secret|passw(or)?d|api[_-]?key|(^|[_-])key$|credential|auth|cookie|private[_-]?key/i;

/**
 * A copy of `config` with every value under a secret-looking key (token, secret, password,
 * apiKey, `*_KEY`, credential, auth, cookie, privateKey) replaced by `[redacted]`: booleans
 * and nulls stay, so `auth: { enabled, token }` keeps its shape. What `diagnostics()` and the
 * HTTP API's `GET /gateways/:name/config` show.
 *
 * @example
 * ```ts
 * console.log(redactConfig(await gateway.readConfig()));
 * ```
 */
export function redactConfig(config: unknown): unknown {
  if (Array.isArray(config)) return config.map(redactConfig);
  if (!config || typeof config !== "object") return config;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    out[k] = SECRET_KEY.test(k) ? redactAll(v) : redactConfig(v);
  }
  return out;
}

/** Under a secret key every leaf goes: `auth: { mode, token }` keeps its shape, not its values. */
function redactAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactAll);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAll(v)]));
  return value === null || typeof value === "boolean" ? value : "[redacted]";
}

let version: Promise<string> | undefined;

/** clawhost's own version, from the package.json above this module (dist/ or src/observe/). */
export function clawhostVersion(): Promise<string> {
  return (version ??= (async () => {
    for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
        if (pkg.name === "clawhost" && pkg.version) return pkg.version;
      } catch {
        // not here: one level up
      }
      if (dirname(dir) === dir) return "unknown";
    }
  })());
}
