// fs failures become CLAWHOST_FS_ERROR naming the path, the errno and a fix that fits it.
// Permission errors cannot be produced for real when the tests run as root, so the mapping
// is checked here on the errors Node would raise.
import { describe, expect, it } from "vitest";
import { closestKey } from "../../src/context/suggest.js";
import { fsError } from "../../src/fs/errors.js";

function nodeError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, open '${path}'`), { code, syscall: "open", path });
}

describe("fs errors", () => {
  it.each([
    ["EACCES", /access/],
    ["EPERM", /access/],
    ["EISDIR", /directory where a file belongs/],
    ["ENOTDIR", /file where a directory belongs/],
    ["EEXIST", /exists as something else/],
    ["EROFS", /read-only/],
    ["ENOSPC", /full/],
    ["ENOENT", /missing/],
    ["ELOOP", /symlink loop/],
    ["ENAMETOOLONG", /too long/],
    ["EMFILE", /open files/],
    ["EIO", /check/],
  ])("%s -> a fix that says what to do", (code, fix) => {
    const err = fsError(nodeError(code, "/srv/gw/main/config/openclaw.json"), "/srv/gw/main/config/openclaw.json", "writing the config", "main");
    expect(err.code).toBe("CLAWHOST_FS_ERROR");
    expect(err.gateway).toBe("main");
    expect(err.value).toBe("/srv/gw/main/config/openclaw.json");
    expect(err.details?.errno).toBe(code);
    expect(err.message.startsWith("main: writing the config /srv/gw/main/config/openclaw.json failed")).toBe(true);
    expect(err.fix).toMatch(fix);
  });
});

describe("the closest valid key", () => {
  const host = ["root", "openclaw", "ports", "leaseDir", "readyTimeoutMs", "stopTimeoutMs", "startConcurrency", "restart", "liveness", "outlive", "doctor", "profileHome"];
  it.each([
    ["readyTimeout", "readyTimeoutMs"],
    ["stopTimoutMs", "stopTimeoutMs"],
    ["leasedir", "leaseDir"],
    ["concurrency", "startConcurrency"],
    ["timeout", undefined],
    ["rot", "root"],
    ["colour", undefined],
  ])("%s -> %s", (key, expected) => {
    expect(closestKey(key, host)).toBe(expected);
  });
});
