import { ClawhostError, isClawhostError } from "../errors.js";

/** The errno of a Node fs error, if it is one. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : undefined;
}

function uid(): string {
  return typeof process.getuid === "function" ? `uid ${process.getuid()}` : "this user";
}

/** What to do about an fs failure at `path`, by errno. */
export function fsFix(errno: string | undefined, path: string): string {
  switch (errno) {
    case "EACCES":
    case "EPERM":
      return `give ${uid()} read and write access to ${path} (and search access to its parents), or choose a path this user owns.`;
    case "EISDIR":
      return `${path} is a directory where a file belongs: move it away, or choose another path.`;
    case "ENOTDIR":
      return `a component of ${path} is a file where a directory belongs: move that file away, or choose another path.`;
    case "EEXIST":
      return `${path} exists as something else (a file where a directory belongs): move it away, or choose another path.`;
    case "EROFS":
      return `${path} is on a read-only filesystem: choose a path on a writable one.`;
    case "ENOSPC":
    case "EDQUOT":
      return `the filesystem of ${path} is full (or the user's quota is spent): free space, or choose another path.`;
    case "ENOENT":
      return `a directory on the way to ${path} is missing (removed while in use?): create it again, or choose another path.`;
    case "ELOOP":
      return `${path} goes through a symlink loop: fix the symlinks, or choose another path.`;
    case "ENAMETOOLONG":
      return `${path} is too long for the filesystem: choose a shorter root or path.`;
    case "EMFILE":
    case "ENFILE":
      return "too many open files: raise the file-descriptor limit (ulimit -n) or close files.";
    default:
      return `check ${path} (it must be a regular file or directory this user can read and write), or choose another path.`;
  }
}

/**
 * An fs failure as a typed error naming the path, what clawhost was doing and the fix
 * (`CLAWHOST_FS_ERROR`; `value` is the path, `details.errno` Node's code). A ClawhostError
 * passes through unchanged.
 *
 * @example
 * ```ts
 * try { await mkdir(dir, { recursive: true }); }
 * catch (err) { throw fsError(err, dir, "creating the state dir", "main"); }
 * ```
 */
export function fsError(err: unknown, path: string, doing: string, gateway?: string): ClawhostError {
  if (isClawhostError(err)) return err;
  const errno = errnoOf(err);
  const e = err as NodeJS.ErrnoException | undefined;
  return new ClawhostError("CLAWHOST_FS_ERROR", `${doing} ${path} failed: ${errno ?? "error"} (${e?.message ?? String(err)}).`, {
    gateway,
    value: path,
    fix: fsFix(errno, path),
    details: { errno, syscall: e?.syscall, fsPath: e?.path },
    cause: err,
  });
}

/**
 * Run `fn` and turn any fs failure into {@link fsError}.
 *
 * @example
 * ```ts
 * await wrapFs(() => writeFileAtomic(path, text), path, "writing the config", "main");
 * ```
 */
export async function wrapFs<T>(fn: () => Promise<T>, path: string, doing: string, gateway?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fsError(err, path, doing, gateway);
  }
}
