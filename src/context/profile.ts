import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import JSON5 from "json5";
import { ClawhostError } from "../errors.js";

/** What `openclaw --profile <name>` uses, as clawhost takes it over. */
export interface ProfileLayout {
  stateDir: string;
  configPath: string;
  workspace: string;
  /** The config's `gateway.port`, else OpenClaw's hashed profile port. */
  port: number;
  /** Where the port came from. */
  portSource: "config" | "profile-hash";
}

/** OpenClaw's port for a named profile without a configured port: 20000 + FNV-1a(name) % 40000. */
export function profileHashPort(name: string): number {
  let hash = 2166136261;
  for (const byte of Buffer.from(name, "utf8")) hash = Math.imul(hash ^ byte, 16777619) >>> 0;
  return 20000 + (hash % 40000);
}

/** The home `openclaw --profile` resolves `~` against: `OPENCLAW_HOME`, else the user's home. */
export function defaultProfileHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.OPENCLAW_HOME?.trim() || homedir();
}

/**
 * Read the layout of profile `name` under `home` (`<home>/.openclaw-<name>`). The config
 * may be missing (a profile never configured); one that does not parse is refused with
 * `CLAWHOST_CONFIG_INVALID` before anything is written.
 */
export function readProfileLayout(name: string, home: string): ProfileLayout {
  const stateDir = join(home, `.openclaw-${name}`);
  const configPath = join(stateDir, "openclaw.json");
  let cfg: { gateway?: { port?: unknown }; agents?: { defaults?: { workspace?: unknown } } } = {};
  let raw: string | undefined;
  try {
    raw = readFileSync(configPath, "utf8");
  } catch {
    // No config yet: OpenClaw's defaults apply.
  }
  if (raw !== undefined) {
    try {
      cfg = JSON5.parse(raw) as typeof cfg;
    } catch (err) {
      throw new ClawhostError("CLAWHOST_CONFIG_INVALID", `profile config ${configPath} does not parse: ${(err as Error).message}.`, {
        gateway: name,
        value: configPath,
        fix: "repair the file (JSON5) before adopting the profile.",
        cause: err,
      });
    }
  }
  const configPort = cfg.gateway?.port;
  const hasPort = typeof configPort === "number" && Number.isInteger(configPort) && configPort > 0;
  const ws = cfg.agents?.defaults?.workspace;
  return {
    stateDir,
    configPath,
    workspace: typeof ws === "string" && ws.length > 0 ? ws : join(stateDir, "workspace"),
    port: hasPort ? (configPort as number) : profileHashPort(name),
    portSource: hasPort ? "config" : "profile-hash",
  };
}
