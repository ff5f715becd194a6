import { accessSync, constants, realpathSync, statSync } from "node:fs";
import type { Stats } from "node:fs";
import { chmod, mkdir, stat } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { ClawhostError } from "../errors.js";
import { wrapFs } from "./errors.js";

/** Trees clawhost never writes into: kernel interfaces (where `mkdir -p` even spins) and the OS. */
export const SYSTEM_TREES: readonly string[] = ["/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot"];

let shared: { key: string; dirs: ReadonlySet<string> } | undefined;

/** Shared directories that may hold a gateway's dirs but never be one. */
function sharedDirs(): ReadonlySet<string> {
  // Built again only when TMPDIR or HOME changed: every start checks several paths.
  const key = `${tmpdir()}\0${homedir()}`;
  if (shared?.key !== key) {
    const dirs = ["/", "/home", "/root", "/tmp", "/var", "/var/lib", "/var/tmp", "/var/log", "/var/run", "/run", "/run/user", "/opt", "/srv", "/mnt", "/media", tmpdir(), homedir()];
    shared = { key, dirs: new Set(dirs.map((p) => resolve(p))) };
  }
  return shared.dirs;
}

// An absolute path with no `.`/`..` segment, no `//` and no trailing `/`: resolve() would return it unchanged.
const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)/;

/** `resolve(path)`, without rebuilding a path that is already absolute and normal (every start checks several). */
function normalAbsolute(path: string): string {
  return path.startsWith("/") && !NOT_NORMAL.test(path) && (path.length === 1 || !path.endsWith("/")) ? path : resolve(path);
}

/** True when `child` is `parent` or lies below it (lexically, as `path.resolve` sees them). */
export function isInside(parent: string, child: string): boolean {
  // A prefix test on normal paths: add() checks every pair of gateways' paths (O(N²) calls).
  const p = normalAbsolute(parent);
  const c = normalAbsolute(child);
  return c === p || (c.startsWith(p) && (p.length === 1 || c.charCodeAt(p.length) === 47));
}

/** How strictly an existing directory is checked. */
export interface DirUse {
  /** In the gateway's own `<root>/<name>`: clawhost sets its modes itself, only the kind is checked. */
  own?: boolean;
  /** It holds secrets (state dir, config dir, lease dir): it must belong to this user. */
  private?: boolean;
}

/** What a path is for, named in errors. */
export interface PathRole {
  /** e.g. "root", "paths.stateDir", "lease dir". */
  what: string;
  gateway?: string | undefined;
}

function myUid(): number | undefined {
  return typeof process.getuid === "function" ? process.getuid() : undefined;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    // A missing path is the common case at a first start: no error object built for it.
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The deepest existing ancestor of `path` (itself when it exists). */
export function nearestExisting(path: string): string {
  let cur = normalAbsolute(path);
  while (!statOrUndefined(cur)) {
    const parent = dirname(cur);
    if (parent === cur) return cur;
    cur = parent;
  }
  return cur;
}

/** `path` with its existing part resolved through symlinks. */
function realish(path: string): string {
  const abs = normalAbsolute(path);
  const base = nearestExisting(abs);
  let real = base;
  try {
    // One realpath(3) call (the JS realpathSync walks every component with lstat).
    real = realpathSync.native(base);
  } catch {
    // Unreadable on the way: the lexical path is all there is.
  }
  return join(real, relative(base, abs));
}

function unsafe(role: PathRole, path: string, why: string, fix: string): ClawhostError {
  return new ClawhostError("CLAWHOST_PATH_UNSAFE", `${role.what} ${path} ${why}.`, { gateway: role.gateway, value: path, fix });
}

function invalid(role: PathRole, path: string, why: string, fix: string): ClawhostError {
  return new ClawhostError("CLAWHOST_PATH_INVALID", `${role.what} ${path} ${why}.`, { gateway: role.gateway, value: path, fix });
}

/**
 * Refuse a path that is, or (through symlinks) leads into, a system location: `/`, a
 * shared top-level directory (`/tmp`, `/home`, the user's home...) itself, or anything
 * under `/proc`, `/sys`, `/dev`, `/etc`, `/usr`, `/boot` and the like. Throws
 * `CLAWHOST_PATH_UNSAFE`.
 *
 * @example
 * ```ts
 * assertNotSystemPath("/etc/passwd", { what: "paths.configPath", gateway: "main" }); // throws
 * ```
 */
export function assertNotSystemPath(path: string, role: PathRole): void {
  const shared = sharedDirs();
  const lexical = normalAbsolute(path);
  const real = realish(lexical);
  for (const p of real === lexical ? [lexical] : [lexical, real]) {
    const tree = SYSTEM_TREES.find((t) => isInside(t, p));
    if (tree || shared.has(p)) {
      const via = p === lexical ? "" : ` (through a symlink: ${p})`;
      throw unsafe(
        role,
        path,
        tree ? `lies in ${tree}${via}, a system location clawhost never writes into` : `is a shared system directory${via}; clawhost would create and own files directly in it`,
        `use a directory of its own, e.g. ${join(tree ? join(tmpdir(), "clawhost") : p, "gateways")}, or omit it for the default.`,
      );
    }
  }
}

function assertPrivateEnough(path: string, st: Stats, role: PathRole, use: DirUse): void {
  const uid = myUid();
  if (use.private && uid !== undefined && st.uid !== uid) {
    throw unsafe(
      role,
      path,
      `exists and belongs to uid ${st.uid}, not to this user (uid ${uid}); clawhost never changes the owner of what it did not create`,
      `choose a directory this user owns, or a path that does not exist yet (clawhost then creates it, mode 0700).`,
    );
  }
  if ((st.mode & 0o002) !== 0) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
    throw unsafe(
      role,
      path,
      `exists with mode ${mode}, writable by other users; clawhost never changes the mode of what it did not create, and another user could swap its files`,
      `chmod o-w ${path} yourself, or choose a path that does not exist yet (clawhost then creates it, mode 0700).`,
    );
  }
}

/**
 * Check a directory clawhost will use but may not have created: an existing one must be
 * a directory this user can write and no other user can (it is never chmod'ed), and one
 * holding secrets (`private`) must belong to this user; a missing one must be creatable
 * (its nearest existing ancestor a directory this user can write). With `own` (a path in
 * the gateway's own `<root>/<name>`) only the kind is checked. Throws
 * `CLAWHOST_PATH_INVALID` or `CLAWHOST_PATH_UNSAFE`, naming the path.
 *
 * @example
 * ```ts
 * assertUsableDir("/srv/shared/ws", { what: "paths.workspace", gateway: "main" });
 * ```
 */
export function assertUsableDir(path: string, role: PathRole, use: DirUse = {}): void {
  assertNotSystemPath(path, role);
  const st = statOrUndefined(path);
  if (st) {
    if (!st.isDirectory()) {
      throw invalid(role, path, "is a file, where a directory belongs", `move the file away, or choose a directory path.`);
    }
    // Inside the gateway's own <root>/<name>, clawhost sets the modes itself.
    if (!use.own) assertPrivateEnough(path, st, role, use);
    assertWritable(path, path, role);
    return;
  }
  assertCreatable(path, role);
}

/**
 * Check a file clawhost will read and replace (the config): not a directory or a special
 * file, and its directory usable as in {@link assertUsableDir}.
 *
 * @example
 * ```ts
 * assertUsableFile("/srv/gw/main.json", { what: "paths.configPath", gateway: "main" });
 * ```
 */
export function assertUsableFile(path: string, role: PathRole, use: DirUse = {}): void {
  assertFileKind(path, role);
  assertUsableDir(dirname(normalAbsolute(path)), { ...role, what: `directory of ${role.what}` }, use);
}

/**
 * A file path that is not a system location, a directory or a special file (it may not
 * exist yet). Throws `CLAWHOST_PATH_UNSAFE` or `CLAWHOST_PATH_INVALID`.
 *
 * @example
 * ```ts
 * assertFileKind("/srv/gw/main.json", { what: "configPath" });
 * ```
 */
export function assertFileKind(path: string, role: PathRole): void {
  assertNotSystemPath(path, role);
  const st = statOrUndefined(path);
  if (st && st.isDirectory()) {
    throw invalid(role, path, "is a directory, where a file belongs", `give the path of a file (e.g. ${join(path, "openclaw.json")}).`);
  }
  if (st && !st.isFile()) {
    throw invalid(role, path, "is not a regular file (a socket, FIFO or device)", "give the path of a regular file, or of one that does not exist yet.");
  }
}

function assertCreatable(path: string, role: PathRole): void {
  const base = nearestExisting(path);
  const st = statOrUndefined(base);
  if (!st?.isDirectory()) {
    throw invalid(role, path, `cannot be created: ${base} is a file, where a directory belongs`, `move ${base} away, or choose another path.`);
  }
  assertWritable(base, path, role);
}

function assertWritable(dir: string, path: string, role: PathRole): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw invalid(
      role,
      path,
      `is not writable by this user${dir === path ? "" : ` (${dir} is not)`}`,
      `give uid ${myUid() ?? "?"} write access to ${dir}, or choose a path this user can write.`,
    );
  }
}

/**
 * Create `dir` (and missing parents) for clawhost's own use: what it creates is made 0700;
 * an existing directory is chmod'ed only when it lies in `own` (the gateway's own
 * `<root>/<name>`), never elsewhere. fs failures become `CLAWHOST_FS_ERROR`.
 *
 * @example
 * ```ts
 * await ensureOwnDir("/srv/gw/main/state", "/srv/gw/main", "main");
 * ```
 */
export async function ensureOwnDir(dir: string, own: string, gateway?: string): Promise<void> {
  await wrapFs(
    async () => {
      const created = await mkdir(dir, { recursive: true, mode: 0o700 });
      const mayChmod = created !== undefined || isInside(own, dir);
      if (!mayChmod) return;
      const st = await stat(dir);
      if ((st.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
    },
    dir,
    "creating directory",
    gateway,
  );
}
