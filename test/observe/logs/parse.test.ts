import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseLine } from "../../../src/observe/logs/parse.js";
import { createRedactor } from "../../../src/observe/logs/redact.js";

// Lines of a real openclaw 2026.9.6 gateway (boot, SIGUSR2 restart, SIGTERM), stdout not a TTY,
// `logging.file` set, `logging.maxFileBytes` 4000; paths rewritten.
const fixture = (name: string): string[] =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8").split("\n").filter(Boolean);
const STDOUT = fixture("openclaw-stdout.txt");
const FILE = fixture("openclaw-file.jsonl");

const none = createRedactor([]);
const received = new Date("2030-01-01T00:00:00.000Z");

describe("OpenClaw's console lines (stdout in a pipe)", () => {
  test("every real line yields its timestamp, subsystem tag and the bare message", () => {
    for (const line of STDOUT) {
      const m = /^(\S+) \[([^\]]+)\] (.*)$/.exec(line)!;
      expect(m, line).not.toBeNull();
      const r = parseLine(line, "stdout", none, received);
      expect(r).toEqual({ time: new Date(m[1]!).toISOString(), level: "info", subsystem: m[2], message: m[3] });
    }
  });

  test("a nested subsystem and a line with brackets later in it", () => {
    expect(parseLine(STDOUT.find((l) => l.includes("[gateway/channels]"))!, "stdout", none, received)).toMatchObject({
      subsystem: "gateway/channels",
      message: "skipping channel start (OPENCLAW_SKIP_CHANNELS=1 or OPENCLAW_SKIP_PROVIDERS=1)",
    });
    expect(parseLine("plain [not a tag] text", "stdout", none, received)).toEqual({
      time: received.toISOString(),
      level: "info",
      message: "plain [not a tag] text",
    });
  });

  test("colour codes and a CR are stripped", () => {
    const line = "\u001b[90m2026-11-27T16:04:24.010+00:00\u001b[39m \u001b[36m[gateway]\u001b[39m \u001b[36mready\u001b[39m\r";
    expect(parseLine(line, "stdout", none, received)).toEqual({ time: "2026-11-27T16:04:24.010Z", level: "info", subsystem: "gateway", message: "ready" });
  });

  test("a text line's level comes from its stream", () => {
    expect(parseLine("Error: boom", "stderr", none, received).level).toBe("error");
    expect(parseLine("(node:12) [DEP0040] DeprecationWarning: punycode", "stderr", none, received).level).toBe("warn");
    expect(parseLine("[gateway] fatal: fake crash after 10 ms (exit 1)", "stderr", none, received)).toMatchObject({ level: "error", subsystem: "gateway" });
    expect(parseLine("    at main (file:///x.mjs:1:1)", "stdout", none, received).level).toBe("info");
  });
});

describe("OpenClaw's log file (tslog JSON lines)", () => {
  test("every real line: time, level, subsystem or module, message", () => {
    for (const line of FILE) {
      const obj = JSON.parse(line);
      const r = parseLine(line, "openclaw-file", none, received);
      const bindings = JSON.parse(obj._meta.name);
      expect(r).toEqual({
        time: new Date(obj.time).toISOString(),
        level: "info",
        subsystem: bindings.subsystem ?? bindings.module,
        message: obj.message,
      });
    }
  });

  test("a warning gets its structured fields, as OpenClaw's console shows them", () => {
    const obj = JSON.parse(FILE.find((l) => l.includes("catalog refresh failed"))!);
    obj._meta.logLevelName = "WARN";
    obj._meta.logLevelId = 4;
    expect(parseLine(JSON.stringify(obj), "openclaw-file", none, received)).toEqual({
      time: "2026-11-27T16:04:24.745Z",
      level: "warn",
      subsystem: "gateway",
      message: 'remote model catalog refresh failed error="Error: getaddrinfo ENOTFOUND catalog.openclaw.ai"',
    });
  });

  test("without `message`, the positional arguments make it (bindings left out)", () => {
    const line = JSON.stringify({ "0": '{"subsystem":"gateway"}', "1": "listening", "2": { port: 1 }, _meta: { logLevelId: 5, name: '{"subsystem":"gateway"}' } });
    expect(parseLine(line, "openclaw-file", none, received)).toEqual({
      time: received.toISOString(),
      level: "error",
      subsystem: "gateway",
      message: 'listening {"port":1} port=1',
    });
  });

  test("the JSON console style, the fault-injection gateway's file and pino-like lines", () => {
    expect(parseLine('{"time":"2026-11-27T16:04:24.010+00:00","level":"error","subsystem":"gateway","message":"boom"}', "stdout", none, received)).toEqual({
      time: "2026-11-27T16:04:24.010Z",
      level: "error",
      subsystem: "gateway",
      message: "boom",
    });
    expect(parseLine('{"time":"2026-11-27T16:04:24.010Z","level":"info","subsystem":"gateway","pid":1,"port":2,"msg":"ready"}', "openclaw-file", none, received)).toEqual({
      time: "2026-11-27T16:04:24.010Z",
      level: "info",
      subsystem: "gateway",
      message: "ready",
    });
    expect(parseLine('{"level":40,"time":1795795464010,"msg":"slow"}', "stdout", none, received)).toEqual({
      time: "2026-11-27T16:04:24.010Z",
      level: "warn",
      message: "slow",
    });
  });

  test("a line that only looks like JSON is text", () => {
    expect(parseLine("{not json", "stderr", none, received)).toEqual({ time: received.toISOString(), level: "error", message: "{not json" });
  });
});
