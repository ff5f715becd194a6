import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { delimiter, dirname } from "node:path";
import { ClawhostError } from "../errors.js";
import type { ResolvedRuntime } from "../process/runtime.js";
import type { ConfigIssue } from "./schema.js";
import { VALIDATOR_PROGRAM } from "./validator-program.js";
import type { ValidatorParams } from "./validator-program.js";

interface Reply {
  id: number;
  issues?: ConfigIssue[];
  failure?: { message: string; status?: number | null; stderr?: string[] };
}

interface Waiter {
  resolve: (issues: ConfigIssue[]) => void;
  reject: (err: unknown) => void;
}

/** Lines of the validator's stderr kept for the error of a validator that died. */
const STDERR_LINES = 20;

const FIX = "check the openclaw installation (`npx openclaw config schema`).";

/**
 * One config validator process for one schema cache file: started on the first check,
 * unref'd (ref'd only while an answer is awaited, so it never keeps the host alive),
 * ended after `idleMs` without a check, and started again by the next one. Its memory
 * (the compile peaks at ~550 MB) is its own, and all of it is returned when it exits.
 * Checks are answered in order. A validator that dies rejects the checks it owed with
 * `CLAWHOST_SCHEMA_UNAVAILABLE`; one whose host dies exits with it (its IPC channel
 * closes). Its environment is PATH alone. @internal
 *
 * @example
 * ```ts
 * const v = new ValidatorProcess(schemaCacheFile(runtime), runtime, 30_000);
 * const issues = await v.validate({ gateway: { mode: "local" } });
 * ```
 */
export class ValidatorProcess {
  readonly #params: ValidatorParams;
  readonly #idleMs: number;
  #child: ChildProcess | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #next = 0;
  readonly #waiting = new Map<number, Waiter>();
  #stderr: string[] = [];

  constructor(file: string, runtime: ResolvedRuntime, idleMs: number) {
    this.#idleMs = idleMs;
    this.#params = {
      file,
      node: runtime.node,
      entry: runtime.entry,
      entryIsScript: runtime.entryIsScript,
      ajvPath: createRequire(import.meta.url).resolve("ajv"),
      pathEnv: [dirname(runtime.node), process.env.PATH ?? ""].join(delimiter),
    };
  }

  /** Pid of the running validator process, if one is running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The issues of `config` against OpenClaw's schema (empty when valid). */
  validate(config: unknown): Promise<ConfigIssue[]> {
    return new Promise((resolve, reject) => {
      const child = (this.#child ??= this.#start());
      clearTimeout(this.#idleTimer);
      const id = this.#next++;
      this.#waiting.set(id, { resolve, reject });
      hold(child, true);
      // A send to a validator that just died fails here; its exit rejects this check.
      child.send({ id, config }, () => undefined);
    });
  }

  #start(): ChildProcess {
    const child = spawn(this.#params.node, ["-e", VALIDATOR_PROGRAM, JSON.stringify(this.#params)], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      // Nothing of the host's environment (tokens, NODE_OPTIONS) reaches it.
      env: { PATH: this.#params.pathEnv },
      cwd: "/",
    });
    this.#stderr = [];
    hold(child, false);
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      this.#stderr.push(...chunk.split("\n").filter(Boolean));
      this.#stderr.splice(0, this.#stderr.length - STDERR_LINES);
    });
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    child.on("message", (reply: Reply) => this.#answer(child, reply));
    child.on("error", (err) => {
      this.#lost(child, `failed: ${err.message}`, undefined);
      child.kill("SIGKILL");
    });
    child.on("close", (code, signal) => this.#lost(child, `exited (${signal ? `signal ${signal}` : `code ${code}`})`, signal ?? code));
    return child;
  }

  #answer(child: ChildProcess, reply: Reply): void {
    const waiter = this.#waiting.get(reply.id);
    if (!waiter) return;
    this.#waiting.delete(reply.id);
    if (this.#waiting.size === 0 && this.#child === child) {
      hold(child, false);
      this.#retireWhenIdle(child);
    }
    if (!reply.failure) return waiter.resolve(reply.issues ?? []);
    waiter.reject(
      new ClawhostError("CLAWHOST_SCHEMA_UNAVAILABLE", `could not load OpenClaw's config schema: ${reply.failure.message}.`, {
        value: reply.failure.status,
        fix: FIX,
        details: { stderr: reply.failure.stderr ?? [] },
      }),
    );
  }

  #retireWhenIdle(child: ChildProcess): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#child !== child || this.#waiting.size > 0) return;
      this.#child = undefined;
      child.kill();
    }, this.#idleMs).unref();
  }

  #lost(child: ChildProcess, how: string, value: unknown): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    clearTimeout(this.#idleTimer);
    const err = new ClawhostError("CLAWHOST_SCHEMA_UNAVAILABLE", `the config validator process ${how} before it answered.`, {
      value: value ?? null,
      fix: `retry (the next update starts a new validator); if it keeps failing, ${FIX}`,
      details: { stderr: [...this.#stderr] },
    });
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
  }
}

// Ref'd only while an answer is awaited: an idle validator never keeps the host alive.
function hold(child: ChildProcess, ref: boolean): void {
  if (ref) {
    child.ref();
    child.channel?.ref();
  } else {
    child.unref();
    child.channel?.unref();
  }
}
