import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Gateway, LogRecord } from "../index.js";

/** One line of `<root>/<name>/logs/output.log` (docs/observe.md: "The file"). */
type FileLine = Pick<LogRecord, "time" | "level" | "source" | "subsystem" | "message">;

async function linesOf(path: string): Promise<string[]> {
  try {
    return (await readFile(path, "utf8")).split("\n").filter((l) => l.length > 0);
  } catch {
    return [];
  }
}

/**
 * The last `tail` records of a gateway's captured output as the files keep them (already
 * redacted), newest rotated file first back to `output.<keep>.log`: what any clawhost
 * process attached to the gateway saw, across invocations.
 */
export async function logHistory(gateway: Gateway, tail: number | undefined, keepFiles = 5): Promise<LogRecord[]> {
  // Beside OpenClaw's own file: `<root>/<name>/logs/output.log`, then `output.1.log`...
  const dir = dirname(gateway.context.logFile);
  const files = [join(dir, "output.log"), ...Array.from({ length: keepFiles }, (_, i) => join(dir, `output.${i + 1}.log`))];
  let lines: string[] = [];
  for (const f of files) {
    lines = [...(await linesOf(f)), ...lines];
    if (tail !== undefined && lines.length >= tail) break;
  }
  if (tail !== undefined) lines = tail === 0 ? [] : lines.slice(-tail);
  return lines.flatMap((l, i) => {
    try {
      const r = JSON.parse(l) as FileLine;
      return [{ seq: i + 1, gateway: gateway.name, time: r.time, level: r.level, ...(r.subsystem ? { subsystem: r.subsystem } : {}), message: r.message, source: r.source }];
    } catch {
      return [];
    }
  });
}
