import { randomBytes } from "node:crypto";
import { chmod, link, open, readFile, rm, stat } from "node:fs/promises";
import { ClawhostError } from "../errors.js";
import { ensureOwnDir } from "../fs/safety.js";
import type { InstanceContext } from "./context.js";

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Read the gateway's token, creating it on first use: 32 random bytes as hex, in a
 * 0600 file inside a 0700 dir, written to a temp file and linked into place so a
 * concurrent creator never sees a partial token. The token survives host restarts.
 */
export async function loadOrCreateToken(ctx: InstanceContext): Promise<string> {
  // The secrets dir lies in the gateway's own <root>/<name>: clawhost keeps it 0700.
  await ensureOwnDir(ctx.secretsDir, ctx.dir, ctx.name);
  const existing = await readTokenFile(ctx);
  if (existing !== undefined) return existing;
  const token = randomBytes(32).toString("hex");
  const tmp = `${ctx.tokenFile}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(`${token}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, ctx.tokenFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  const winner = await readTokenFile(ctx);
  if (winner === undefined) throw invalidToken(ctx);
  return winner;
}

/**
 * The token in `ctx.tokenFile`, or undefined when there is none; changes nothing (render
 * reads a fleet's tokens this way). Throws `CLAWHOST_SECRET_INVALID` for a malformed file.
 */
export async function readToken(ctx: InstanceContext): Promise<string | undefined> {
  let raw: string;
  try {
    raw = await readFile(ctx.tokenFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const token = raw.trim();
  if (!TOKEN_PATTERN.test(token)) throw invalidToken(ctx);
  return token;
}

/** True for a token of the form clawhost writes: 64 hex digits. */
export function isTokenShaped(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

async function readTokenFile(ctx: InstanceContext): Promise<string | undefined> {
  const token = await readToken(ctx);
  if (token === undefined) return undefined;
  const st = await stat(ctx.tokenFile);
  if ((st.mode & 0o777) !== 0o600) await chmod(ctx.tokenFile, 0o600);
  return token;
}

function invalidToken(ctx: InstanceContext): ClawhostError {
  return new ClawhostError("CLAWHOST_SECRET_INVALID", `the token file ${ctx.tokenFile} does not hold a 64-hex-digit token.`, {
    gateway: ctx.name,
    value: ctx.tokenFile,
    fix: "delete the file; clawhost writes a new token on the next start (clients holding the old one must reconnect with the new).",
  });
}

/** Replace every occurrence of `secret` in `text` by `[redacted]`. */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret || !text.includes(secret)) return text;
  return text.split(secret).join("[redacted]");
}
