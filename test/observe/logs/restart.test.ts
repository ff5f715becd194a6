import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, expect, test } from "vitest";
import { GatewayLogs } from "../../../src/observe/logs/logs.js";
import type { LogRecord } from "../../../src/observe/logs/types.js";
import { canBind } from "../../../src/ports/probe.js";
import { readProc } from "../../../src/fs/proc.js";
import type { ProcIdentity } from "../../../src/fs/proc.js";
import { FAKE_OPENCLAW, makeTmp, stillAlive, treeOf, waitUntil } from "../../helpers.js";

// One GatewayLogs fed by successive runs of the fault-injection gateway, as the Gateway
// feeds it: a follower started before the first run sees every line of every run, across
// an in-place restart (SIGUSR2, same process) and a crash restart (SIGKILL, a new process).

const tmp = makeTmp("logs-restart");
const started: ProcIdentity[] = [];
afterAll(async () => {
  for (const id of stillAlive(started)) process.kill(id.pid, "SIGKILL");
  await waitUntil(() => stillAlive(started).length === 0, "the fake gateways to be gone");
  tmp.cleanup();
});

async function freePort(): Promise<number> {
  // Above the lease range and the usual ephemeral range; both loopback families free.
  for (let i = 0; i < 100; i++) {
    const port = randomInt(61_000, 65_000);
    if ((await canBind(port, "127.0.0.1")) && (await canBind(port, "::1"))) return port;
  }
  throw new Error("no free port above 61000");
}

test("a log follow continues across an in-place restart and a crash restart; no token anywhere", async () => {
  const dir = join(tmp.dir, "main");
  const logsDir = join(dir, "logs");
  const logFile = join(logsDir, "openclaw.log");
  const configPath = join(dir, "config", "openclaw.json");
  for (const d of [join(dir, "config"), join(dir, "state"), join(dir, "run")]) mkdirSync(d, { recursive: true });
  writeFileSync(configPath, JSON.stringify({ gateway: { mode: "local" }, logging: { file: logFile } }));
  const token = randomBytes(32).toString("hex");
  const port = await freePort();

  const logs = new GatewayLogs({ gateway: "main", dir: logsDir, openclawLogFile: logFile });
  logs.setSecrets([token]);
  await logs.open();
  const follower = logs.logs({ follow: true });
  const seen: LogRecord[] = [];
  const count = (message: string, source: LogRecord["source"]): number => seen.filter((r) => r.message.startsWith(message) && r.source === source).length;
  const until = async (what: string, done: () => boolean): Promise<void> => {
    while (!done()) {
      const { value } = await follower.next();
      if (!value) throw new Error(`the follower ended while waiting for ${what}`);
      seen.push(value);
    }
  };
  const readyBoth = (k: number) => (): boolean => count("ready", "stdout") >= k && count("ready", "openclaw-file") >= k;

  const run = (): ChildProcess => {
    const child = spawn(process.execPath, [FAKE_OPENCLAW, "gateway", "--allow-unconfigured", "--port", String(port), "--bind", "loopback"], {
      cwd: join(dir, "run"),
      env: {
        PATH: process.env.PATH ?? "",
        OPENCLAW_STATE_DIR: join(dir, "state"),
        OPENCLAW_CONFIG_PATH: configPath,
        OPENCLAW_GATEWAY_TOKEN: token,
        FAKE_GATEWAY_RESTART_MS: "50",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const self = readProc(child.pid!);
    if (self) started.push({ pid: self.pid, startTime: self.startTime });
    for (const stream of ["stdout", "stderr"] as const) {
      createInterface({ input: child[stream]!, crlfDelay: Infinity }).on("line", (line) => logs.ingest(stream, line));
    }
    return child;
  };
  const exited = (child: ChildProcess): Promise<unknown> => new Promise((resolve) => child.once("exit", resolve));

  const first = run();
  await until("the first boot to be ready", readyBoth(1));
  started.push(...treeOf(first.pid!));

  first.kill("SIGUSR2");
  await until("ready again after the in-place restart", readyBoth(2));
  expect(count("SIGUSR2: restarting in-process", "stdout")).toBe(1);
  expect(count("SIGUSR2: restarting in-process", "openclaw-file")).toBe(1);

  const crashed = exited(first);
  first.kill("SIGKILL");
  await crashed;
  const second = run();
  await until("the new process to be ready", readyBoth(3));
  started.push(...treeOf(second.pid!));
  expect(seen.some((r) => r.message.includes(`pid ${second.pid}, boot #2`))).toBe(true);

  const stopped = exited(second);
  second.kill("SIGTERM");
  await stopped;
  await until("the stop to be logged", () => count("stopped", "openclaw-file") >= 1 && count("stopped", "stdout") >= 1);
  await logs.flush();

  // One reader saw both runs without a gap, in order, each line from both places.
  expect(seen.every((r, i) => i === 0 || r.seq === seen[i - 1]!.seq + 1)).toBe(true);
  expect(seen.filter((r) => r.source === "clawhost")).toEqual([]);
  expect(seen.filter((r) => r.message.startsWith("fake starting")).map((r) => r.source).sort()).toEqual(["openclaw-file", "openclaw-file", "stdout", "stdout"]);
  expect(seen.find((r) => r.source === "openclaw-file")).toMatchObject({ gateway: "main", level: "info", subsystem: "gateway" });

  await logs.close();
  expect(await follower.next()).toEqual({ done: true, value: undefined });
  const files = readdirSync(logsDir).sort();
  expect(files).toEqual(["openclaw.log", "output.log"]);
  for (const f of files) expect(readFileSync(join(logsDir, f), "utf8")).not.toContain(token);
  expect(JSON.stringify(seen)).not.toContain(token);
  await waitUntil(() => stillAlive(started).length === 0, "the fake gateways and their brokers to be gone");
});
