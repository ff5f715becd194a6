import { describe, expect, test } from "vitest";
import { normalizeLogsOptions } from "../../../src/observe/logs/options.js";
import { parseLine } from "../../../src/observe/logs/parse.js";
import { createRedactor, REDACTED } from "../../../src/observe/logs/redact.js";

const TOKEN = "0f3c9a1b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

describe("createRedactor", () => {
  test("the token as is, in upper case, and every occurrence", () => {
    const r = createRedactor([TOKEN]);
    expect(r.text(`auth ${TOKEN} and again ${TOKEN.toUpperCase()}.`)).toBe(`auth ${REDACTED} and again ${REDACTED}.`);
  });

  test("a secret URL-encoded and JSON-escaped", () => {
    const secret = 'p@ss/w"rd\\x';
    const r = createRedactor([secret]);
    expect(r.text(`GET /?t=${encodeURIComponent(secret)}&x=1`)).toBe(`GET /?t=${REDACTED}&x=1`);
    expect(r.text(`{"t":${JSON.stringify(secret)}}`)).toBe(`{"t":"${REDACTED}"}`);
  });

  test("a string pattern is literal; a RegExp replaces every match and stays untouched", () => {
    const re = /sk-[a-z0-9]{8}/;
    const r = createRedactor([], ["a.b", re]);
    expect(r.text("a.b axb sk-abcdefgh sk-12345678")).toBe(`${REDACTED} axb ${REDACTED} ${REDACTED}`);
    expect(re.flags).toBe("");
    expect(re.lastIndex).toBe(0);
  });

  test("value(): strings and keys anywhere in a JSON value; the same object when nothing matched", () => {
    const r = createRedactor([TOKEN]);
    const clean = { a: [1, { b: "x" }] };
    expect(r.value(clean)).toBe(clean);
    expect(r.value({ [TOKEN]: [{ deep: `Bearer ${TOKEN}` }], n: 1 })).toEqual({ [REDACTED]: [{ deep: `Bearer ${REDACTED}` }], n: 1 });
  });

  test("no secrets and no patterns: text passes through", () => {
    expect(createRedactor([""]).text("abc")).toBe("abc");
  });
});

describe("redaction while parsing", () => {
  const r = createRedactor([TOKEN], [/hunter\d/]);
  const at = new Date();

  test("a token hidden by JSON unicode escapes is found in the decoded message", () => {
    const escaped = [...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
    const line = `{"time":"2026-11-27T16:04:24.010Z","level":"info","message":"token=${escaped}"}`;
    expect(line).not.toContain(TOKEN);
    expect(parseLine(line, "openclaw-file", r, at).message).toBe(`token=${REDACTED}`);
  });

  test("in a text line, in a subsystem tag, and a user pattern", () => {
    expect(parseLine(`[gateway] connect ws://127.0.0.1:1/?token=${TOKEN} pw hunter2`, "stdout", r, at)).toMatchObject({
      subsystem: "gateway",
      message: `connect ws://127.0.0.1:1/?token=${REDACTED} pw ${REDACTED}`,
    });
    expect(parseLine(`${TOKEN} at the start`, "stdout", r, at)).toEqual({ time: at.toISOString(), level: "info", message: `${REDACTED} at the start` });
    expect(parseLine(`{"0":"{\\"subsystem\\":\\"${TOKEN}\\"}","message":"m"}`, "openclaw-file", r, at).subsystem).toBe(REDACTED);
  });
});

describe("options", () => {
  test("defaults", () => {
    expect(normalizeLogsOptions(undefined)).toEqual({ ringSize: 1000, maxFileBytes: 10 * 1024 * 1024, keepFiles: 5, maxLineChars: 4096, redact: [] });
  });

  test("a pattern that matches the empty string, a bad type, an unknown key: CLAWHOST_INVALID_OPTIONS naming them", () => {
    expect(() => normalizeLogsOptions({ redact: [/x*/] }, "main")).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS", message: expect.stringContaining("redact.0") }));
    expect(() => normalizeLogsOptions({ redact: [""] })).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
    expect(() => normalizeLogsOptions({ ringSize: 0 })).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS", message: expect.stringContaining("ringSize") }));
    expect(() => normalizeLogsOptions({ ringSise: 10 })).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS", fix: expect.stringContaining("ringSize") }));
    expect(() => normalizeLogsOptions("big")).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
  });
});
