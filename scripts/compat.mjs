// npm run test:compat -- <version> [--install-only | --write-lock | vitest args...]
//
// Runs the real-gateway contract, supervision and config suites against another OpenClaw
// release than the pinned devDependency. The release is installed from the npm registry
// into <XDG_CACHE_HOME or ~/.cache>/clawhost/openclaw/<version>, outside node_modules, and
// reused while that install is complete (its marker file is written last, and the directory
// only appears under its final name once the marker is in it). The suites get it through
// CLAWHOST_TEST_OPENCLAW_BIN (test/helpers.ts: REAL_OPENCLAW).
//
// The install is locked: scripts/compat-locks/openclaw-<version>.json is the package-lock of
// that release's whole tree, installed with `npm ci`, so every machine tests the same code.
// `--write-lock` resolves the release afresh (`npm install`) and writes its lock there.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";

const SUITES = ["test/gateway/real.test.ts", "test/gateway/supervision.real.test.ts", "test/config/real.test.ts"];
const MARKER = ".clawhost-install-complete";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const say = (msg) => console.log(`[compat] ${msg}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function fail(msg) {
  console.error(`[compat] ${msg}`);
  process.exit(2);
}

const [version, ...rest] = process.argv.slice(2);
if (!version || !semver.valid(version)) fail(`usage: npm run test:compat -- <openclaw version, e.g. 2026.8.2> [--install-only | --write-lock | vitest args]; got ${version ?? "nothing"}.`);
const installOnly = rest.includes("--install-only") || rest.includes("--write-lock");
const writeLock = rest.includes("--write-lock");
const vitestArgs = rest.filter((a) => a !== "--install-only" && a !== "--write-lock");

// Built by the npm script just before: the range clawhost itself enforces.
const { SUPPORTED_OPENCLAW } = await import(join(root, "dist", "index.js"));
if (!semver.satisfies(version, SUPPORTED_OPENCLAW)) {
  fail(`openclaw ${version} is outside the supported range ${SUPPORTED_OPENCLAW}: clawhost refuses it (CLAWHOST_OPENCLAW_UNSUPPORTED). To measure a new release, widen SUPPORTED_OPENCLAW in src/process/runtime.ts first.`);
}

const cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "clawhost", "openclaw");
const dir = join(cacheRoot, version);
const pkgDir = (base) => join(base, "node_modules", "openclaw");
const installedVersion = (base) => {
  try {
    return JSON.parse(readFileSync(join(pkgDir(base), "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
};
const lockFile = join(root, "scripts", "compat-locks", `openclaw-${version}.json`);
const lockHash = () => (existsSync(lockFile) ? createHash("sha256").update(readFileSync(lockFile)).digest("hex") : null);
const markerOf = (base) => {
  try {
    return JSON.parse(readFileSync(join(base, MARKER), "utf8"));
  } catch {
    return undefined;
  }
};
// Complete, and installed from the lock as it is now (a changed lock installs again).
const complete = (base) => {
  const marker = markerOf(base);
  return !writeLock && installedVersion(base) === version && marker !== undefined && (marker.lock ?? null) === lockHash();
};

/** This process's env without what `npm run` adds about the clawhost package itself. */
function npmEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$|config_(prefix|local_prefix|global_prefix|global|call)$)/i.test(key)) delete env[key];
  }
  return env;
}

/** openclaw's own install scripts, as scripts/openclaw-lifecycle.mjs runs them, with nothing of this machine's OpenClaw state in reach. */
function runLifecycle(base) {
  const manifest = JSON.parse(readFileSync(join(pkgDir(base), "package.json"), "utf8"));
  // 2026.8.2's postinstall deletes legacy dirs under $HOME/.openclaw, $OPENCLAW_STATE_DIR,
  // $STATE_DIRECTORY...: a scratch HOME and no OPENCLAW_* variables keep it in its package.
  const home = mkdtempSync(join(tmpdir(), "clawhost-compat-home-"));
  const env = { PATH: [dirname(process.execPath), process.env.PATH ?? ""].join(delimiter), HOME: home, LANG: process.env.LANG ?? "C.UTF-8" };
  try {
    for (const event of ["preinstall", "install", "postinstall"]) {
      const script = manifest.scripts?.[event];
      if (!script) continue;
      say(`openclaw ${event} on Node ${process.versions.node}: ${script}`);
      const r = spawnSync(script, { cwd: pkgDir(base), shell: true, stdio: "inherit", env });
      if (r.status !== 0) fail(`openclaw ${version} ${event} failed (exit ${r.status ?? r.signal}).`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

function install() {
  mkdirSync(cacheRoot, { recursive: true });
  // Leftovers of installs that were killed half-way.
  for (const name of readdirSync(cacheRoot)) {
    const m = new RegExp(`^${version.replace(/\./g, "\\.")}\\.partial-(\\d+)$`).exec(name);
    if (m && !isAlive(Number(m[1]))) rmSync(join(cacheRoot, name), { recursive: true, force: true });
  }
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial);
  const t0 = performance.now();
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ["npm", []];
  writeFileSync(join(partial, "package.json"), `${JSON.stringify({ name: "clawhost-compat", private: true, dependencies: { openclaw: version } }, null, 2)}\n`);
  const locked = existsSync(lockFile) && !writeLock;
  if (locked) copyFileSync(lockFile, join(partial, "package-lock.json"));
  const command = locked ? "ci" : "install";
  const args = [...npm[1], command, "--prefix", partial, "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel", "warn"];
  say(`installing openclaw@${version} into ${dir} (${locked ? `npm ci from ${lockFile}` : "npm install: not locked"})`);
  const r = spawnSync(npm[0], args, { stdio: "inherit", env: npmEnv() });
  if (r.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    fail(`npm ${command} of openclaw@${version} failed (exit ${r.status ?? r.signal}).`);
  }
  if (writeLock) {
    mkdirSync(dirname(lockFile), { recursive: true });
    copyFileSync(join(partial, "package-lock.json"), lockFile);
    say(`wrote ${lockFile}`);
  }
  if (installedVersion(partial) !== version) fail(`npm installed openclaw ${installedVersion(partial)} instead of ${version}.`);
  runLifecycle(partial);
  const installMs = Math.round(performance.now() - t0);
  writeFileSync(join(partial, MARKER), `${JSON.stringify({ version, lock: lockHash(), node: process.versions.node, installedAt: new Date().toISOString(), installMs }, null, 2)}\n`);
  // An incomplete install by other means (no marker) is replaced; a complete one that a
  // concurrent run renamed into place first wins.
  if (existsSync(dir) && !complete(dir)) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(partial, dir);
  } catch (err) {
    if (!complete(dir)) throw err;
    rmSync(partial, { recursive: true, force: true });
  }
  say(`installed openclaw@${version} in ${seconds(installMs)}`);
}

const t0 = performance.now();
if (complete(dir)) {
  const marker = markerOf(dir);
  say(`reusing openclaw@${version} from ${dir} (installed ${marker.installedAt}), checked in ${seconds(performance.now() - t0)}`);
} else {
  install();
}

const bin = join(dir, "node_modules", ".bin", "openclaw");
if (!existsSync(bin)) fail(`${bin} is missing: remove ${dir} and run again.`);
if (installOnly) process.exit(0);
const vitest = realpathSync(join(root, "node_modules", ".bin", "vitest"));
say(`running ${SUITES.join(", ")} with CLAWHOST_TEST_OPENCLAW_BIN=${bin}`);
const t1 = performance.now();
const r = spawnSync(process.execPath, [vitest, "run", ...SUITES, ...vitestArgs], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CLAWHOST_TEST_OPENCLAW_BIN: bin },
});
say(`openclaw@${version}: suites ${r.status === 0 ? "passed" : "FAILED"} in ${seconds(performance.now() - t1)}`);
process.exit(r.status ?? 1);
