import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import type { ClawhostError } from "clawhost";
import type { ConfigIssue } from "../../src/config/schema.js";
import { ValidatorProcess } from "../../src/config/validator-process.js";
import { isAlive, readCmdline, readProc } from "../../src/fs/proc.js";
import type { ProcIdentity } from "../../src/fs/proc.js";
import { resolveRuntime } from "../../src/process/runtime.js";
import { FAKE_OPENCLAW, makeTmp, waitUntil } from "../helpers.js";

const tmp = makeTmp("validator");
afterAll(() => tmp.cleanup());
const runtime = resolveRuntime({ bin: FAKE_OPENCLAW });
let files = 0;
const schemaFile = (): string => join(tmp.dir, `schema-${files++}.json`);

/** A check, and the validator process that answers it (read before it can idle out). */
function check(v: ValidatorProcess, config: unknown): { issues: Promise<ConfigIssue[]>; proc: ProcIdentity } {
  const issues = v.validate(config);
  const p = v.pid === undefined ? undefined : readProc(v.pid);
  if (!p) throw new Error(`no validator process (pid ${v.pid})`);
  return { issues, proc: { pid: p.pid, startTime: p.startTime } };
}
const gone = (id: ProcIdentity, what: string): Promise<void> => waitUntil(() => !isAlive(id), what);
const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

/** The code cache's header names its own hash; the V8 cache's names the code's and its own. */
function cachesValid(file: string): boolean {
  const base = file.replace(/\.json$/, "");
  if (!existsSync(`${base}.validator.js`) || !existsSync(`${base}.validator.v8`)) return false;
  const code = readFileSync(`${base}.validator.js`, "utf8");
  const nl = code.indexOf("\n");
  const codeHash = code.slice(0, nl).split(" ")[3];
  const v8 = readFileSync(`${base}.validator.v8`);
  const v8nl = v8.indexOf(10);
  const [, forCode, v8Hash] = v8.subarray(0, v8nl).toString("latin1").split(" ");
  return codeHash === sha256(code.slice(nl + 1)) && forCode === codeHash && v8Hash === sha256(v8.subarray(v8nl + 1));
}

describe("the config validator process", () => {
  it("answers each check in order, ends after idleMs, and the next check starts a new one", async () => {
    const v = new ValidatorProcess(schemaFile(), runtime, 200);
    const configs = [{ env: { vars: { A: 1 } } }, { nope: true }, { gateway: { port: 0 } }, {}];
    const { issues, proc: first } = check(v, { env: { vars: { A: "1" } } });
    const results = await Promise.all([issues, ...configs.map((c) => v.validate(c))]);
    expect(results.map((issues) => issues.map((i) => `${i.path} ${i.rule}`))).toEqual([
      [],
      ["env.vars.A schema: type"],
      ["nope schema: additionalProperties"],
      ["gateway.port schema: minimum"],
      [],
    ]);
    expect(readCmdline(first.pid)).toMatch(/^clawhost-config-validator/);
    // Its environment is PATH alone (and Node's IPC channel).
    const environ = readFileSync(`/proc/${first.pid}/environ`, "utf8").split("\0").filter(Boolean);
    expect(environ.map((e) => e.split("=")[0]).filter((k) => !k!.startsWith("NODE_CHANNEL_"))).toEqual(["PATH"]);
    await gone(first, "the idle validator to end");
    expect(v.pid).toBeUndefined();
    const { issues: again, proc: second } = check(v, { env: { vars: { B: 2 } } });
    expect(await again).toMatchObject([{ path: "env.vars.B" }]);
    expect(second).not.toEqual(first);
    await gone(second, "the second validator to end");
  });

  it("a killed validator rejects the checks it owed, and the next check starts a new one", async () => {
    const v = new ValidatorProcess(schemaFile(), runtime, 60_000);
    const { issues, proc: first } = check(v, {});
    expect(await issues).toEqual([]);
    // Stopped, it cannot answer: the checks below are still owed when it is killed.
    process.kill(first.pid, "SIGSTOP");
    const owed = [v.validate({}), v.validate({ nope: 1 })].map((p) => p.catch((e: unknown) => e as ClawhostError));
    process.kill(first.pid, "SIGKILL");
    for (const err of await Promise.all(owed)) {
      expect(err).toMatchObject({ code: "CLAWHOST_SCHEMA_UNAVAILABLE", value: "SIGKILL" });
      expect((err as ClawhostError).details).toMatchObject({ stderr: [] });
    }
    const { issues: next, proc: second } = check(v, { nope: 1 });
    expect(await next).toMatchObject([{ path: "nope" }]);
    expect(second.pid).not.toBe(first.pid);
    process.kill(second.pid, "SIGKILL");
    await gone(second, "the new validator to end");
  });

  it("a schema that cannot be had: CLAWHOST_SCHEMA_UNAVAILABLE with the command's exit status and stderr", async () => {
    const broken = join(tmp.dir, "broken-openclaw.mjs");
    writeFileSync(broken, 'console.error("no schema here: boom");\nprocess.exit(3);\n');
    const v = new ValidatorProcess(schemaFile(), { ...runtime, node: process.execPath, entry: broken, entryIsScript: true }, 200);
    const { issues, proc } = check(v, {});
    const err = (await issues.catch((e: unknown) => e)) as ClawhostError;
    expect(err).toMatchObject({ code: "CLAWHOST_SCHEMA_UNAVAILABLE", value: 3 });
    expect((err.details as { stderr: string[] }).stderr).toContain("no schema here: boom");
    await gone(proc, "the failed validator to end");
  });

  it("caches the compiled validator beside the schema, and rebuilds a corrupt schema, code or V8 cache", async () => {
    const file = schemaFile();
    const v = new ValidatorProcess(file, runtime, 200);
    const first = check(v, { env: { vars: { A: 1 } } });
    expect(await first.issues).toMatchObject([{ path: "env.vars.A" }]);
    await waitUntil(() => cachesValid(file), "the validator caches");
    await gone(first.proc, "the first validator to end");
    const base = file.replace(/\.json$/, "");
    const code = readFileSync(`${base}.validator.js`, "utf8");
    for (const [f, data] of [
      [file, "{ not json"],
      [`${base}.validator.js`, code.slice(0, code.length / 2)],
      [`${base}.validator.v8`, "clawhost-v8 garbage"],
    ] as const) {
      writeFileSync(f, data);
      const { issues, proc } = check(v, { env: { vars: { A: 1 } } });
      expect(await issues).toMatchObject([{ path: "env.vars.A" }]);
      expect(await v.validate({ env: { vars: { A: "1" } } })).toEqual([]);
      await waitUntil(() => cachesValid(file), `the validator caches rebuilt after ${f} was corrupted`);
      expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ type: "object" });
      await gone(proc, "the validator to end");
    }
  });
});

describe("the config validator process and its host process", () => {
  const leases = join(tmp.dir, "leases");
  const fixture = join(import.meta.dirname, "../fixtures/validator-host.mjs");
  const host = (mode: "stay" | "exit", n: number) => {
    const child = spawn(process.execPath, [fixture, join(tmp.dir, `host-${n}`), leases, "28000", "28239", FAKE_OPENCLAW, mode], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, OPENCLAW_GATEWAY_TOKEN: "validator-test-secret" },
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const next = async <T>(): Promise<T> => JSON.parse((await lines.next()).value as string) as T;
    return { child, exited, next };
  };
  type Started = { validator: ProcIdentity | null; environ: string[] };

  it("a host SIGKILLed: its validator exits too", async () => {
    const h = host("stay", 0);
    try {
      const { validator, environ } = await h.next<Started>();
      expect(validator).not.toBeNull();
      expect(isAlive(validator!)).toBe(true);
      expect(environ.join("\n")).not.toContain("validator-test-secret");
      h.child.kill("SIGKILL");
      await h.exited;
      await gone(validator!, "the orphaned validator to exit");
    } finally {
      h.child.kill("SIGKILL");
    }
  });

  it("an idle validator does not keep its host alive, and exits with it", async () => {
    const h = host("exit", 1);
    try {
      const { validator } = await h.next<Started>();
      expect(validator).not.toBeNull();
      const { validatorAliveAtExit } = await h.next<{ validatorAliveAtExit: boolean }>();
      expect(validatorAliveAtExit).toBe(true);
      await h.exited;
      await gone(validator!, "the validator of the exited host to exit");
    } finally {
      h.child.kill("SIGKILL");
    }
  });
});
