import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { GatewayLogs } from "../../../src/observe/logs/logs.js";
import { normalizeLogsOptions } from "../../../src/observe/logs/options.js";
import { openclawRotatedPath } from "../../../src/observe/logs/tail.js";
import type { LogRecord } from "../../../src/observe/logs/types.js";
import { makeTmp } from "../../helpers.js";

const tmp = makeTmp("logs-gateway");
afterAll(() => tmp.cleanup());

const TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f901";

let n = 0;
function setup(options: Record<string, unknown> = {}): { logs: GatewayLogs; dir: string; file: string; errors: unknown[]; seen: LogRecord[] } {
  const dir = join(tmp.dir, `gw-${++n}`, "logs");
  const file = join(dir, "openclaw.log");
  const errors: unknown[] = [];
  const seen: LogRecord[] = [];
  const logs = new GatewayLogs({
    gateway: "main",
    dir,
    openclawLogFile: file,
    options: normalizeLogsOptions(options),
    onError: (e) => errors.push(e),
    onRecord: (r) => seen.push(r),
  });
  return { logs, dir, file, errors, seen };
}

/** Takes records off a following reader until one satisfies `stop`. */
async function readUntil(it: AsyncIterator<LogRecord>, stop: (r: LogRecord) => boolean): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (;;) {
    const { done, value } = await it.next();
    if (done) throw new Error(`the reader ended before the record looked for; got ${out.map((r) => r.message).join(" | ")}`);
    out.push(value);
    if (stop(value)) return out;
  }
}

async function drain(it: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

function everyFileUnder(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), "utf8"))
    .join("\n");
}

describe("GatewayLogs", () => {
  test("the token (as is, URL-encoded, JSON-escaped) and a user pattern reach no record, no reader and no output file", async () => {
    const { logs, dir, file, seen } = setup({ redact: ["hunter2", /sk-[a-z]{6}/] });
    logs.setSecrets([TOKEN]);
    await logs.open();
    const follower = logs.logs({ follow: true });
    const escaped = [...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
    logs.ingest("stdout", `2026-11-27T16:04:08.933+00:00 [gateway] token ${TOKEN} pw hunter2 key sk-abcdef`);
    logs.ingest("stderr", `connect ws://127.0.0.1:1/?token=${encodeURIComponent(TOKEN)}`);
    logs.ingest("stdout", `{"level":"info","message":"token=${escaped}"}`);
    appendFileSync(file, `${JSON.stringify({ "0": '{"subsystem":"gateway"}', "1": `auth ${TOKEN}`, _meta: { logLevelName: "INFO" }, time: "2026-11-27T16:04:08.933+00:00", message: `auth ${TOKEN} hunter2` })}\n`);
    const got = await readUntil(follower, (r) => r.source === "openclaw-file");
    await follower.return?.();
    await logs.flush();

    expect(got.map((r) => r.message)).toEqual([
      "token [redacted] pw [redacted] key [redacted]",
      "connect ws://127.0.0.1:1/?token=[redacted]",
      "token=[redacted]",
      "auth [redacted] [redacted]",
    ]);
    const kept = JSON.stringify(await drain(logs.logs()));
    const output = readFileSync(join(dir, "output.log"), "utf8");
    for (const text of [kept, output, JSON.stringify(seen)]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("sk-abcdef");
    }
    expect(output.split("\n").filter(Boolean).map((l) => JSON.parse(l))).toEqual([
      { time: "2026-11-27T16:04:08.933Z", level: "info", source: "stdout", subsystem: "gateway", message: "token [redacted] pw [redacted] key [redacted]" },
      { time: expect.any(String), level: "error", source: "stderr", message: "connect ws://127.0.0.1:1/?token=[redacted]" },
      { time: expect.any(String), level: "info", source: "stdout", message: "token=[redacted]" },
    ]);
    await logs.close();
    // OpenClaw's own file is OpenClaw's: clawhost reads it and writes nothing into it.
    expect(everyFileUnder(dir)).toContain(TOKEN);
  });

  test("records: seq, gateway, source; long messages cut in the ring but whole in the file; blank lines skipped", async () => {
    const { logs, dir } = setup({ maxLineChars: 100 });
    const long = `${"x".repeat(99)}😀tail`;
    expect(logs.ingest("stdout", "   ")).toBeUndefined();
    const r = logs.ingest("stdout", long)!;
    expect(r).toMatchObject({ seq: 1, gateway: "main", level: "info", source: "stdout", message: `${"x".repeat(99)}...(truncated)` });
    expect(Object.isFrozen(r)).toBe(true);
    await logs.flush();
    expect(JSON.parse(readFileSync(join(dir, "output.log"), "utf8")).message).toBe(long);
    await logs.close();
  });

  test("captured output rotates at a small size, keeps keepFiles rotated files and loses no line", async () => {
    const { logs, dir } = setup({ maxFileBytes: 256, keepFiles: 2 });
    for (let i = 1; i <= 300; i++) logs.ingest(i % 3 === 0 ? "stderr" : "stdout", `[gateway] line ${i}`);
    await logs.flush();
    await logs.close();
    expect(readdirSync(dir).sort()).toEqual(["output.1.log", "output.2.log", "output.log"]);
    const kept = ["output.2.log", "output.1.log", "output.log"].flatMap((f) =>
      readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean).map((l) => Number((JSON.parse(l) as { message: string }).message.split(" ")[1])),
    );
    expect(kept.at(-1)).toBe(300);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => kept[0]! + i));
  });

  test("a follower continues across OpenClaw's rotation and a truncation of its file", async () => {
    const { logs, file } = setup();
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ time: "2026-01-01T00:00:00Z", level: "info", msg: "before open: not read" })}\n`);
    await logs.open();
    const follower = logs.logs({ follow: true, sources: ["openclaw-file"] });
    const line = (msg: string): string => `${JSON.stringify({ time: new Date().toISOString(), level: "info", subsystem: "gateway", msg })}\n`;
    appendFileSync(file, line("one"));
    await readUntil(follower, (r) => r.message === "one");
    appendFileSync(file, line("two"));
    renameSync(file, openclawRotatedPath(file, 1));
    appendFileSync(file, line("three"));
    const got = await readUntil(follower, (r) => r.message === "three");
    expect(got.map((r) => r.message)).toEqual(["two", "three"]);
    truncateSync(file, 0);
    appendFileSync(file, line("four"));
    expect((await readUntil(follower, (r) => r.message === "four")).map((r) => r.message)).toEqual(["four"]);
    await logs.close();
    expect(await follower.next()).toEqual({ done: true, value: undefined });
  });

  test("bad logs() options throw CLAWHOST_INVALID_OPTIONS at the call, naming the gateway", () => {
    const { logs } = setup();
    expect(() => logs.logs({ tail: -1 })).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS", gateway: "main" }));
    expect(() => logs.logs({ follow: "yes" } as never)).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
    expect(() => logs.logs({ sources: ["journal"] } as never)).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
    expect(() => logs.logs({ tail: 1, signal: "x" } as never)).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
  });

  test("a logs dir that cannot be made: one CLAWHOST_FS_ERROR report, the ring still works, close never throws", async () => {
    const blocker = join(tmp.dir, "blocker");
    writeFileSync(blocker, "");
    const errors: unknown[] = [];
    const logs = new GatewayLogs({ gateway: "main", dir: join(blocker, "logs"), openclawLogFile: join(blocker, "logs", "openclaw.log"), onError: (e) => errors.push(e) });
    await logs.open();
    logs.ingest("stdout", "one");
    logs.ingest("stdout", "two");
    await logs.flush();
    expect((await drain(logs.logs())).map((r) => r.message)).toEqual(["one", "two"]);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatchObject({ code: "CLAWHOST_FS_ERROR", gateway: "main", message: expect.stringMatching(/^main: /) });
    await logs.close();
    await logs.close();
  });
});
