import { spawn } from "node:child_process";
import type { InstanceContext } from "../context/context.js";
import type { ResolvedRuntime } from "./runtime.js";
import { openclawCommand } from "./spawn.js";
import { ProcessTree } from "./tree.js";

/** Outcome of one `openclaw doctor --fix` run. */
export interface DoctorResult {
  code: number | null;
  /** Its output, last lines first trimmed away beyond 80 lines (token never included). */
  output: string[];
  timedOut: boolean;
}

const MAX_LINES = 80;

/**
 * OpenClaw's documented recovery for exit 78: `openclaw doctor --fix --yes
 * --non-interactive` with the gateway's own env, so it repairs that gateway's config
 * and state dir and nothing else.
 */
export async function runDoctor(
  runtime: ResolvedRuntime,
  ctx: InstanceContext,
  token: string,
  redact: (line: string) => string,
  timeoutMs: number,
): Promise<DoctorResult> {
  const { command, args, env } = openclawCommand(runtime, ctx, token, ["doctor", "--fix", "--yes", "--non-interactive"]);
  const child = spawn(command, args, { cwd: ctx.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const tree = new ProcessTree(child.pid ?? -1);
  const end = (): Promise<unknown> => tree.kill({ graceMs: 2_000 });
  const output: string[] = [];
  let rest = "";
  const onData = (chunk: Buffer): void => {
    const lines = (rest + chunk.toString("utf8")).split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) if (l.trim()) output.push(redact(l));
    if (output.length > MAX_LINES) output.splice(0, output.length - MAX_LINES);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void end();
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.once("exit", (c) => resolve(c));
    child.once("error", () => resolve(null));
  });
  clearTimeout(timer);
  if (rest.trim()) output.push(redact(rest));
  // doctor may leave helpers behind (sqlite workers): end them.
  await end();
  return { code, output, timedOut };
}
