import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ClawhostError } from "../index.js";

/**
 * The API token kept in `path`: read when the file exists, else 32 random bytes (hex)
 * written with mode 0600 into a directory created 0700. A file others may read is refused,
 * not fixed: clawhost never changes the mode of what it did not create.
 *
 * @example
 * ```ts
 * const token = loadOrCreateToken("/var/lib/app/api.token");
 * ```
 */
export function loadOrCreateToken(path: string): string {
  let text: string | undefined;
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new ClawhostError("CLAWHOST_PATH_UNSAFE", `the API token file ${path} can be read by other users.`, { value: path, fix: `chmod 600 ${path}` });
    }
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw tokenError(path, err);
  }
  if (text !== undefined) {
    if (text.length < 16) throw new ClawhostError("CLAWHOST_SECRET_INVALID", `the API token file ${path} holds fewer than 16 characters.`, { value: path, fix: "delete it; a new token is written on the next start." });
    return text;
  }
  const token = randomBytes(32).toString("hex");
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    publishOnce(path, `${token}\n`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return loadOrCreateToken(path);
    throw tokenError(path, err);
  }
  return token;
}

/**
 * `text` at `path`, whole or not at all, unless `path` exists (then EEXIST): written to a
 * private temp file, synced, then hard-linked into place (link never replaces a file). Two
 * servers starting at once never overwrite each other's token, and a crash mid-write
 * leaves no half-written token file.
 */
function publishOnce(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone.
    }
  }
}

function tokenError(path: string, err: unknown): unknown {
  if (err instanceof ClawhostError) return err;
  const e = err as NodeJS.ErrnoException;
  return new ClawhostError("CLAWHOST_FS_ERROR", `the API token file ${path} cannot be used (${e.code ?? "error"}).`, {
    value: path,
    fix: "check the permissions of the file and its directory, or pass another tokenFile.",
    details: { errno: e.code, syscall: e.syscall },
    cause: err,
  });
}

/** A check of `Authorization: Bearer <token>` in constant time (equal-length digests, so the length leaks nothing either). */
export function bearerChecker(token: string): (header: string | undefined) => boolean {
  const expected = createHash("sha256").update(token).digest();
  return (header) => {
    const m = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    const given = createHash("sha256").update(m?.[1] ?? "").digest();
    return timingSafeEqual(given, expected) && m !== null;
  };
}
