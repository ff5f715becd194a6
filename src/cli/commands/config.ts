import type { Command } from "commander";
import { ClawhostError } from "../../index.js";
import type { Gateway, OpenClawConfig } from "../../index.js";
import { EXIT } from "../exit.js";
import { withSession } from "../context.js";
import { printJson } from "../output.js";
import { adoptRunning } from "../session.js";

function parseJsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `${what} ${JSON.stringify(text)} is not JSON.`, {
      value: text,
      fix: `quote it as JSON: a string needs its own quotes, e.g. '"eu"'; numbers, true/false, objects and arrays as they are.`,
      cause: err,
    });
  }
}

function splitPath(path: string): string[] {
  const parts = path.split(".");
  if (parts.some((p) => p === "")) {
    throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `config path ${JSON.stringify(path)} has an empty segment.`, { value: path, fix: "use dotted keys, e.g. env.vars.REGION." });
  }
  return parts;
}

/** The patch that sets `path` to `value` (merge patch: `null` deletes the key). */
function patchAt(parts: string[], value: unknown): OpenClawConfig {
  return parts.reduceRight<unknown>((acc, key) => ({ [key]: acc }), value) as OpenClawConfig;
}

/** The running gateway's own view (`config.get`, secrets redacted by OpenClaw), else the file. */
async function currentConfig(gw: Gateway): Promise<unknown> {
  if (gw.state === "ready") return ((await gw.call("config.get", {})) as { config?: unknown }).config ?? {};
  return gw.readConfig();
}

function one(s: { selected: Gateway[] }): Gateway {
  return s.selected[0]!;
}

/** `clawhost config get|set|patch`. */
export function configCommand(program: Command): void {
  const config = program
    .command("config")
    .description("read and change a gateway's OpenClaw config (through the running gateway when it runs, else the file)")
    .addHelpText("after", `\nExamples:\n  clawhost config get main gateway.mode\n  clawhost config set main env.vars.REGION '"eu"'\n  clawhost config patch main '{"env":{"vars":{"REGION":null}}}'`);

  config
    .command("get")
    .description("print the config, or the value at a dotted path, as JSON")
    .argument("<name>", "the gateway")
    .argument("[path]", "dotted path, e.g. env.vars.REGION")
    .action(async (name: string, path: string | undefined, _opts: unknown, cmd: Command) => {
      process.exitCode = await withSession(cmd, [name], async (s) => {
        const parts = path === undefined ? [] : splitPath(path);
        await adoptRunning(s.selected, 20_000);
        let value = await currentConfig(one(s));
        for (const k of parts) value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[k] : undefined;
        if (value === undefined) {
          process.stderr.write(`clawhost: ${name}: no value at ${path}.\n`);
          return EXIT.failed;
        }
        printJson(value);
        return EXIT.ok;
      });
    });

  const write = async (cmd: Command, name: string, patch: () => OpenClawConfig): Promise<number> =>
    withSession(cmd, [name], async (s, g) => {
      const p = patch();
      await adoptRunning(s.selected, 20_000);
      const result = await one(s).updateConfig(p);
      if (g.json) printJson({ name, ...result });
      else process.stdout.write(`${name}: ${result.applied === "unchanged" ? "unchanged" : `${result.changedPaths.join(", ")} (${result.applied})`}\n`);
      return EXIT.ok;
    });

  config
    .command("set")
    .description("set the value at a dotted path (a JSON value; null deletes the key)")
    .argument("<name>", "the gateway")
    .argument("<path>", "dotted path, e.g. env.vars.REGION")
    .argument("<json-value>", "the value as JSON, e.g. '\"eu\"', 3, true, '{\"a\":1}'")
    .action(async (name: string, path: string, value: string, _opts: unknown, cmd: Command) => {
      process.exitCode = await write(cmd, name, () => patchAt(splitPath(path), parseJsonArg(value, "value")));
    });

  config
    .command("patch")
    .description("apply a JSON merge patch (RFC 7386: objects merge, null deletes)")
    .argument("<name>", "the gateway")
    .argument("<json-merge-patch>", "the patch as JSON")
    .action(async (name: string, text: string, _opts: unknown, cmd: Command) => {
      process.exitCode = await write(cmd, name, () => {
        const p = parseJsonArg(text, "patch");
        if (p === null || typeof p !== "object" || Array.isArray(p)) {
          throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", "a merge patch must be a JSON object.", { value: text, fix: `wrap it in an object, e.g. '{"env":{"vars":{"REGION":"eu"}}}'.` });
        }
        return p as OpenClawConfig;
      });
    });
}
