import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { RUN_PREFIX } from "../../src/testing/index.js";
import { FAKE_OPENCLAW, isAliveProc, makeTmp, processesUnder, waitUntil } from "./child.js";

// clawhost/testing/vitest in child vitest runs on the fault-injection gateway. Each child gets
// its own TMPDIR, so whatever the kit leaves is found there. Ports 16360-16999.
const VITEST = join(process.cwd(), "node_modules/vitest/vitest.mjs");
const tmps: Array<{ dir: string; cleanup(): void }> = [];
afterAll(() => tmps.forEach((t) => t.cleanup()));

function runVitest(config: string, args: string[], env: Record<string, string>, detached = false) {
  const tmp = makeTmp("vitest-child");
  tmps.push(tmp);
  const report = join(tmp.dir, "report.json");
  const child = spawn(process.execPath, [VITEST, "run", "--config", config, "--reporter=json", `--outputFile=${report}`, ...args], {
    env: { ...process.env, TMPDIR: tmp.dir, CLAWHOST_FIXTURE_OPENCLAW: FAKE_OPENCLAW, CLAWHOST_EXAMPLE_OPENCLAW: FAKE_OPENCLAW, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached,
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, tmp: tmp.dir, report, exited, output: () => output };
}

/** What a child run left in its TMPDIR: run dirs, and processes working in it. */
function leftIn(dir: string): { runDirs: string[]; processes: number } {
  return { runDirs: readdirSync(dir).filter((n) => n.startsWith(RUN_PREFIX)), processes: processesUnder([dir]).length };
}

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

const OWNER = `
  const { createGatewayPool } = await import("clawhost/testing");
  const pool = createGatewayPool({ openclaw: { bin: ${JSON.stringify(FAKE_OPENCLAW)} }, spares: 0, ports: { from: 16360, to: 16999 } });
  const a = await pool.acquire();
  const b = await pool.acquire();
  console.log(JSON.stringify({ root: pool.root, pids: [a.pid, b.pid] }));
  setInterval(() => {}, 1000);
`;

describe("a pool's owner killed by SIGKILL", () => {
  it("leaves no gateway process and no run dir 5 s later", { timeout: 60_000 }, async () => {
    const owner = spawn(process.execPath, ["--input-type=module", "-e", OWNER], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: owner.stdout! }).once("line", resolve);
      owner.once("exit", (code) => reject(new Error(`owner exited (${code}) before its gateways were ready`)));
    });
    const { root, pids } = JSON.parse(line) as { root: string; pids: number[] };
    const runDir = root.slice(0, root.lastIndexOf("/"));
    expect(processesUnder([runDir]).map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
    const exited = new Promise((r) => owner.once("exit", r));
    owner.kill("SIGKILL");
    await exited;
    await waitUntil(() => !existsSync(runDir) && processesUnder([runDir]).length === 0, "no run dir and no process in it", 5_000);
  });

});

describe("clawhost/testing/vitest in a child vitest run", () => {
  it("runs the example suite (both fixtures, globalSetup) and leaves nothing", async () => {
    const run = runVitest("examples/testing/vitest/vitest.config.ts", [], { CLAWHOST_EXAMPLE_PORTS: "16360-16999" });
    expect(await run.exited, run.output()).toBe(0);
    const report = JSON.parse(readFileSync(run.report, "utf8")) as JsonReport;
    expect(report.numPassedTests).toBeGreaterThanOrEqual(5);
    expect(report.numFailedTests).toBe(0);
    expect(leftIn(run.tmp)).toEqual({ runDirs: [], processes: 0 });
  });

  it("attaches the gateway's diagnostics to the failing test, and only to it", async () => {
    const run = runVitest("test/fixtures/testing/vitest.config.ts", ["failing"], { CLAWHOST_FIXTURE_PORTS: "16360-16999" });
    expect(await run.exited, run.output()).toBe(1);
    const results = (JSON.parse(readFileSync(run.report, "utf8")) as JsonReport).testResults.flatMap((f) => f.assertionResults);
    expect(results.map((r) => r.status).sort(), run.output()).toEqual(["failed", "passed"]);
    const failed = results.find((r) => r.status === "failed")!;
    const passed = results.find((r) => r.status === "passed")!;
    const text = failed.failureMessages.join("\n");
    expect(text).toContain("expected 'gateway-answer' to be 'something-else'");
    expect(text).toMatch(/clawhost diagnostics: gateway g\d+/);
    expect(text).toContain("log tail");
    expect(text).toContain("recent events");
    expect(text).toContain("config (redacted):");
    expect(passed.failureMessages).toEqual([]);
    expect(leftIn(run.tmp)).toEqual({ runDirs: [], processes: 0 });
  });

  it("SIGKILL of the runner mid-test: 5 s later no gateway process, lease or temp root", async () => {
    const marker = join(makeTmpDir(), "marker.json");
    const run = runVitest("test/fixtures/testing/vitest.config.ts", ["hang"], { CLAWHOST_FIXTURE_PORTS: "16360-16999", CLAWHOST_FIXTURE_MARKER: marker });
    await waitUntil(() => existsSync(marker) && readFileSync(marker, "utf8").length > 0, "the test holding its gateways");
    const { worker, pids } = JSON.parse(readFileSync(marker, "utf8")) as { worker: number; pids: number[] };
    expect(processesUnder([run.tmp]).map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
    expect(leftIn(run.tmp).runDirs).toHaveLength(1);
    run.child.kill("SIGKILL");
    await run.exited;
    // The bound: nothing left 5 s after the runner died.
    await waitUntil(() => leftIn(run.tmp).runDirs.length === 0 && leftIn(run.tmp).processes === 0, "no run dir (leases inside) and no gateway process", 5_000);
    await waitUntil(() => !isAliveProc(worker), "the worker's end", 5_000);
  });

  it("Ctrl-C (SIGINT to the runner's process group) mid-test: 5 s later nothing is left", async () => {
    const marker = join(makeTmpDir(), "marker.json");
    const run = runVitest("test/fixtures/testing/vitest.config.ts", ["hang"], { CLAWHOST_FIXTURE_PORTS: "16360-16999", CLAWHOST_FIXTURE_MARKER: marker }, true);
    await waitUntil(() => existsSync(marker) && readFileSync(marker, "utf8").length > 0, "the test holding its gateways");
    const { pids } = JSON.parse(readFileSync(marker, "utf8")) as { pids: number[] };
    expect(processesUnder([run.tmp]).map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
    process.kill(-run.child.pid!, "SIGINT");
    // vitest may take its time to end on Ctrl-C; the 5 s start when it has.
    await waitUntil(() => !isAliveProc(run.child.pid!), "the runner's end after Ctrl-C", 60_000);
    await waitUntil(() => leftIn(run.tmp).runDirs.length === 0 && leftIn(run.tmp).processes === 0, "no run dir and no gateway process", 5_000);
    for (const pid of pids) expect(isAliveProc(pid)).toBe(false);
  });
});

function makeTmpDir(): string {
  const t = makeTmp("vitest-marker");
  tmps.push(t);
  return t.dir;
}

// The node:test and jest recipes (examples/testing/), run as a user runs them.
function runRecipe(cmd: string, args: string[]): Promise<{ code: number | null; output: string; tmp: string }> {
  const tmp = makeTmp("recipe");
  tmps.push(tmp);
  const child = spawn(cmd, args, {
    env: { ...process.env, TMPDIR: tmp.dir, CLAWHOST_EXAMPLE_OPENCLAW: FAKE_OPENCLAW, CLAWHOST_EXAMPLE_PORTS: "16360-16999" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output, tmp: tmp.dir })));
}

const left = leftIn;
const jestBin = join(process.cwd(), "node_modules/jest/bin/jest.js");

describe("recipes", () => {
  it("node:test: the example passes and leaves nothing", async () => {
    const r = await runRecipe(process.execPath, ["--test", "--test-global-setup=examples/testing/node-test/setup.ts", "examples/testing/node-test/*.test.ts"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/ℹ pass 3\b/);
    expect(left(r.tmp)).toEqual({ runDirs: [], processes: 0 });
  });

  it("jest: the example passes and leaves nothing", async () => {
    const r = await runRecipe(process.execPath, [jestBin, "--config", "examples/testing/jest/jest.config.cjs"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/Tests:\s+3 passed/);
    expect(left(r.tmp)).toEqual({ runDirs: [], processes: 0 });
  });
});
