// Runs the built `clawhost` bin (npm run build first) as a user would: a child process on the pinned Node.
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DEADLINE_MS } from "../helpers.js";

const here = (p: string): string => new URL(`../../${p}`, import.meta.url).pathname;

/** The built bin and the Node 24 that runs it. */
export const BIN = here("dist/cli/bin.js");
export const NODE = here("node_modules/.bin/node");

if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first.`);

/** What one invocation did. */
export interface Invocation {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `clawhost <args>` in `cwd` to its end. */
export function clawhost(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Invocation> {
  return new Promise((resolve) => {
    execFile(NODE, [BIN, ...args], { cwd, env: { ...process.env, ...env }, timeout: DEADLINE_MS }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `clawhost --json <args>`, its stdout parsed. */
export async function clawhostJson<T = Record<string, unknown>>(cwd: string, args: readonly string[]): Promise<{ code: number; json: T; stderr: string }> {
  const r = await clawhost(cwd, ["--json", ...args]);
  try {
    return { code: r.code, json: JSON.parse(r.stdout) as T, stderr: r.stderr };
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

/** A running `clawhost` (foreground `up`): its lines as they come, and a way to wait for one. */
export class Running {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number>;
  #waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = [];

  constructor(cwd: string, args: readonly string[]) {
    this.child = spawn(NODE, [BIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : -1))));
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on("line", (l) => {
        this.lines.push(l);
        this.#waiters = this.#waiters.filter((w) => (w.test(l) ? (w.resolve(l), false) : true));
      });
    }
  }

  /** The first line (already printed or still to come) matching `re`. */
  line(re: RegExp, after = 0): Promise<string> {
    const seen = this.lines.slice(after).find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${re} in:\n${this.lines.join("\n")}`)), DEADLINE_MS);
      this.#waiters.push({ test: (l) => re.test(l), resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }
}

/** Write a fleet file into `dir`. */
export function writeFleet(dir: string, fleet: Record<string, unknown>, name = "clawhost.json5"): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(fleet, null, 2));
  return path;
}

/** Every lease in `leaseDir` (held or not) of `root`. */
export function leasesOf(leaseDir: string, root: string): unknown[] {
  try {
    const all = JSON.parse(readFileSync(join(leaseDir, "leases.json"), "utf8")) as Array<{ root: string }>;
    return all.filter((l) => l.root === root);
  } catch {
    return [];
  }
}
