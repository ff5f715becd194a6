import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, delimiter, dirname, join } from "node:path";
import semver from "semver";
import { ClawhostError } from "../errors.js";

/**
 * The OpenClaw releases clawhost runs (a semver range; prereleases excluded). OpenClaw's
 * versions are dates, so the minor is the month: 2026.8.2 and 2026.9.6 are tested (`npm run
 * test:compat`), the releases between them share every behaviour clawhost relies on or are
 * told apart by capability, and 2026.10 is not measured yet. docs/openclaw-compat.md has the
 * table. `new GatewayHost()` refuses an OpenClaw outside it with `CLAWHOST_OPENCLAW_UNSUPPORTED`.
 *
 * @example
 * ```ts
 * import { SUPPORTED_OPENCLAW } from "clawhost";
 * console.log(`npm install openclaw@"${SUPPORTED_OPENCLAW}"`);
 * ```
 */
export const SUPPORTED_OPENCLAW = ">=2026.8.2 <2026.10.0";

/**
 * True when `version` is an OpenClaw release in {@link SUPPORTED_OPENCLAW}.
 *
 * @example
 * ```ts
 * isSupportedOpenclaw("2026.9.6"); // true
 * isSupportedOpenclaw("2026.9.7-beta.1"); // false: prereleases are not
 * ```
 */
export function isSupportedOpenclaw(version: string): boolean {
  return semver.satisfies(version, SUPPORTED_OPENCLAW);
}

/** What clawhost runs a gateway with. */
export interface ResolvedRuntime {
  /** Node binary that satisfies OpenClaw's engines. */
  node: string;
  /** Its version, e.g. `24.21.0`. */
  nodeVersion: string;
  /** The script to run (`openclaw.mjs`), or the executable itself when it is not a JS file. */
  entry: string;
  /** True when `entry` is run as `node <entry>`. */
  entryIsScript: boolean;
  /** OpenClaw package directory. */
  packageDir: string;
  /** OpenClaw version from its package.json. */
  openclawVersion: string;
  /** OpenClaw's `engines.node`. */
  engines: string;
}

/** Where to look; every field optional. */
export interface RuntimeQuery {
  bin?: string | undefined;
  node?: string | undefined;
  searchFrom?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * Check a Node version against an `engines.node` range with npm's own semantics
 * (`semver`): `||` alternatives, hyphen ranges, `~`, `^`, `x`/`*` and partial versions.
 * Prereleases count (a `24.2.0-nightly` Node satisfies `>=24`). An invalid version or
 * range never satisfies.
 *
 * @example
 * ```ts
 * satisfiesEngines("24.21.0", ">=24.16.0 <25 || >=26.1.0"); // true
 * satisfiesEngines("24.1.3", "~24.1"); // true
 * satisfiesEngines("1.0.0", "nonsense"); // false
 * ```
 */
export function satisfiesEngines(version: string, range: string): boolean {
  // False, not a throw: resolveRuntime then tries the next Node and names them all.
  return semver.satisfies(version, range, { includePrerelease: true });
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function whichAll(name: string, env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((d) => join(d, name))
    .filter(isExecutable);
}

function findPackageDir(file: string): string | undefined {
  let dir = dirname(file);
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, "utf8")).name === "openclaw") return dir;
      } catch {
        // Keep walking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function ancestors(from: string): string[] {
  const out: string[] = [];
  let dir = from;
  for (;;) {
    out.push(dir);
    const parent = dirname(dir);
    if (parent === dir) return out;
    dir = parent;
  }
}

const versionCache = new Map<string, string | undefined>();

function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * The version of a Node installed from npm's `node` package (`npm install node@24`: its
 * `bin/node` is the release binary of the package's version), read from that package's
 * manifest; undefined for any other file, or one that is not executable.
 */
function npmNodeVersion(node: string): string | undefined {
  try {
    const real = realpathSync(node);
    if (basename(real) !== "node" || basename(dirname(real)) !== "bin" || !isExecutable(real)) return undefined;
    const manifest = JSON.parse(readFileSync(join(dirname(dirname(real)), "package.json"), "utf8")) as { name?: unknown; version?: unknown };
    return manifest.name === "node" && typeof manifest.version === "string" && /^\d+\.\d+\.\d+$/.test(manifest.version) ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

function runForVersion(node: string): string | undefined {
  const r = spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8", timeout: 15_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * A Node's version, once per process and file: this process's own, or an npm `node`
 * package's from its manifest; any other Node is run once (`node -p`, synchronous, ~40 ms).
 */
function nodeVersionOf(node: string): string | undefined {
  if (versionCache.has(node)) return versionCache.get(node);
  // The same file as this process's Node (node_modules/.bin/node is often a link to it), or
  // the app's `node` package (the usual case when the app runs on another Node): no child Node to wait for.
  const version = node === process.execPath || sameFile(node, process.execPath) ? process.versions.node : (npmNodeVersion(node) ?? runForVersion(node));
  versionCache.set(node, version);
  return version;
}

const INSTALL_FIX =
  "install it in the app (`npm install --save-dev openclaw node@24`, with openclaw's install scripts run on Node 24) or pass `openclaw: { bin, node }` to GatewayHost.";

/**
 * Find the `openclaw` executable (explicit `bin`, then `node_modules/.bin` from
 * `searchFrom` upwards, then PATH) and a Node that satisfies its engines (explicit
 * `node`, then `node_modules/.bin/node` beside the package, then this process's Node,
 * then PATH). Throws `CLAWHOST_OPENCLAW_NOT_FOUND`, `CLAWHOST_OPENCLAW_UNSUPPORTED` (a
 * version outside {@link SUPPORTED_OPENCLAW}) or `CLAWHOST_NODE_UNSUPPORTED`.
 *
 * @example
 * ```ts
 * const rt = resolveRuntime({ searchFrom: process.cwd() });
 * console.log(rt.openclawVersion, rt.nodeVersion);
 * ```
 */
export function resolveRuntime(query: RuntimeQuery = {}): ResolvedRuntime {
  const env = query.env ?? process.env;
  const searchFrom = query.searchFrom ?? process.cwd();
  const binCandidates = query.bin
    ? [query.bin]
    : [
        ...ancestors(searchFrom)
          .map((d) => join(d, "node_modules", ".bin", "openclaw"))
          .filter(existsSync),
        ...whichAll("openclaw", env),
      ];
  let bin: string | undefined;
  let packageDir: string | undefined;
  for (const candidate of binCandidates) {
    if (!existsSync(candidate)) continue;
    let real: string;
    try {
      real = realpathSync(candidate);
      // A directory inside the package is no executable, however close to one.
      if (!statSync(real).isFile()) continue;
    } catch {
      continue; // A symlink loop, or unreadable on the way.
    }
    const dir = findPackageDir(real);
    if (dir) {
      bin = real;
      packageDir = dir;
      break;
    }
  }
  if (!bin || !packageDir) {
    throw new ClawhostError(
      "CLAWHOST_OPENCLAW_NOT_FOUND",
      query.bin
        ? `openclaw executable ${query.bin} was not found, is not a file, or is not inside an openclaw package.`
        : `no openclaw executable in node_modules/.bin (searched up from ${searchFrom}) or on PATH.`,
      { value: query.bin ?? searchFrom, fix: INSTALL_FIX },
    );
  }
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    version?: string;
    engines?: { node?: string };
  };
  const openclawVersion = manifest.version ?? "unknown";
  if (!isSupportedOpenclaw(openclawVersion)) {
    throw new ClawhostError("CLAWHOST_OPENCLAW_UNSUPPORTED", `openclaw ${openclawVersion} (${packageDir}) is outside the supported range ${SUPPORTED_OPENCLAW}.`, {
      value: openclawVersion,
      fix: `install a supported release (\`npm install --save-dev openclaw@2026.9.6\`) or point openclaw.bin at one; the range is in docs/openclaw-compat.md.`,
      details: { version: openclawVersion, range: SUPPORTED_OPENCLAW, packageDir },
    });
  }
  const engines = manifest.engines?.node ?? ">=0";
  const nodeCandidates = query.node
    ? [query.node]
    : [
        ...ancestors(packageDir)
          .map((d) => join(d, "node_modules", ".bin", "node"))
          .filter(isExecutable),
        process.execPath,
        ...whichAll("node", env),
      ];
  const seen: string[] = [];
  for (const candidate of nodeCandidates) {
    const version = nodeVersionOf(candidate);
    seen.push(`${candidate} (${version ?? "not runnable"})`);
    if (version && satisfiesEngines(version, engines)) {
      const entryIsScript = /\.(c|m)?js$/.test(bin);
      return {
        node: candidate,
        nodeVersion: version,
        entry: bin,
        entryIsScript,
        packageDir,
        openclawVersion,
        engines,
      };
    }
  }
  throw new ClawhostError(
    "CLAWHOST_NODE_UNSUPPORTED",
    `openclaw ${openclawVersion} needs Node ${engines}; none found among ${seen.join(", ")}.`,
    {
      value: seen,
      fix: "install a matching Node in the app (`npm install --save-dev node@24`) or pass `openclaw: { node: '/path/to/node' }`.",
    },
  );
}
