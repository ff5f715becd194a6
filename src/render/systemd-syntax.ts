// systemd's unit-file syntax (systemd.syntax(7), systemd.service(7)): what a value may hold and how it is quoted.
import { renderUnsupported } from "./errors.js";

/** Refuses a value no unit line can carry (the value itself is not named: it may be a secret). */
function assertOneLine(value: string, what: string): void {
  if (/[\r\n\0]/.test(value)) throw renderUnsupported("systemd", undefined, `${what} holds a line break or NUL, which a unit file cannot carry.`, what, "remove the line break from that value.");
}

/** `%` is a specifier in every setting; `$` expands variables in `ExecStart=` words. */
function escapeSpecifiers(value: string, dollars: boolean): string {
  // Replacement functions: in a replacement string, "$$" itself means one "$".
  const s = value.replaceAll("%", () => "%%");
  return dollars ? s.replaceAll("$", () => "$$") : s;
}

/** One word of `ExecStart=`: specifiers and `$` escaped, quoted when it holds blanks, quotes or backslashes. */
export function execWord(value: string): string {
  assertOneLine(value, "ExecStart word");
  const s = escapeSpecifiers(value, true);
  if (s !== "" && !/[\s"'\\;]/.test(s)) return s;
  return `"${quoteInner(s)}"`;
}

/** Inside double quotes: backslash and quote escaped (C-style, as systemd unescapes). */
function quoteInner(s: string): string {
  return s.replaceAll("\\", () => "\\\\").replaceAll('"', () => '\\"');
}

/** An `Environment=` assignment, quoted as one word. */
export function environmentLine(key: string, value: string): string {
  assertOneLine(key, "env key");
  assertOneLine(value, `env ${key}`);
  const s = escapeSpecifiers(`${key}=${value}`, false);
  const word = /[\s"'\\]/.test(s) ? `"${quoteInner(s)}"` : s;
  return `Environment=${word}`;
}

/** A path setting (`WorkingDirectory=`, `EnvironmentFile=`, `LoadCredential=`): specifiers escaped. */
export function pathValue(path: string): string {
  assertOneLine(path, "path");
  return escapeSpecifiers(path, false);
}

/** A line of an `EnvironmentFile=` (systemd.exec(7)): `KEY="value"` with `\`, `"` and `$` escaped. */
export function environmentFileLine(key: string, value: string): string {
  assertOneLine(key, "env key");
  assertOneLine(value, `env ${key}`);
  return `${key}="${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

/** A word for `/bin/sh`: single-quoted. */
export function shWord(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
