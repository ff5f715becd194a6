import { join } from "node:path";
import { portBlockFor } from "../ports/block.js";
import type { PortBlock } from "../ports/block.js";
import type { NormalizedGatewaySpec } from "./schema.js";
import { redactEnv, scrubEnv } from "./env.js";

/** Inputs from which an {@link InstanceContext} is derived. */
export interface InstanceContextInit {
  root: string;
  spec: NormalizedGatewaySpec;
  basePort: number;
  /** The parent env to inherit from (scrubbed here). */
  parentEnv: NodeJS.ProcessEnv;
  /** Shared Node compile cache dir linked into every gateway's TMPDIR. */
  compileCacheDir: string;
}

/**
 * Everything that isolates one gateway: its paths, its port block and its child env.
 * Immutable; nothing in clawhost reads a path or a port except through it. The gateway
 * token is not part of it (it is read from `secretsDir` at spawn time).
 *
 * @example
 * ```ts
 * const main = host.add({ name: "main" });
 * main.context.configPath;        // <root>/main/config/openclaw.json
 * main.context.ports.cdp.start;   // base + 11
 * JSON.stringify(main.context);   // secrets redacted
 * ```
 */
export class InstanceContext {
  /** Gateway name. */
  readonly name: string;
  /** `<root>/<name>`: everything of this gateway lives below it unless overridden. */
  readonly dir: string;
  /** OpenClaw config file; its directory is the gateway's own (OpenClaw writes `.bak` beside it). */
  readonly configPath: string;
  /** Directory of the config file. */
  readonly configDir: string;
  /** `OPENCLAW_STATE_DIR`. */
  readonly stateDir: string;
  /** Agent workspace (`agents.defaults.workspace`). */
  readonly workspace: string;
  /** The gateway's own rolling log (`logging.file`), instead of the shared `/tmp/openclaw`. */
  readonly logFile: string;
  /** stdout and stderr of a gateway started with `outlive` (no pipe to the host to break). */
  readonly outputFile: string;
  /** Record of the running process (`{pid, startTime, bootId, ...}`), for adoption and cleanup. */
  readonly runFile: string;
  /** Private `HOME` (shell history, `~/.cache`, dotfiles). */
  readonly homeDir: string;
  /** Private `TMPDIR` (terminal upload lock, Chromium dirs). */
  readonly tmpDir: string;
  /** Private `XDG_CACHE_HOME`. */
  readonly cacheDir: string;
  /** The child's working directory (so no `.env` of the app's cwd is picked up). */
  readonly cwd: string;
  /** Directory (0700) of the gateway token file (0600). */
  readonly secretsDir: string;
  /** The gateway token file. */
  readonly tokenFile: string;
  /** The shared Node compile cache, linked into `tmpDir` so starts stay warm. */
  readonly compileCacheDir: string;
  /** The port block. */
  readonly ports: PortBlock;
  /** The child env, token excluded: embedding preset plus isolation, inherited OpenClaw/systemd vars removed. */
  readonly env: Readonly<Record<string, string>>;
  /** Initial config from the spec (clawhost-owned keys are merged over it at write time). */
  readonly initialConfig: Readonly<Record<string, unknown>>;

  constructor(init: InstanceContextInit) {
    const { root, spec, basePort } = init;
    this.name = spec.name;
    this.dir = join(root, spec.name);
    const configWorkspace = (spec.config as { agents?: { defaults?: { workspace?: unknown } } }).agents?.defaults
      ?.workspace;
    this.configPath = spec.paths.configPath ?? join(this.dir, "config", "openclaw.json");
    this.configDir = join(this.configPath, "..");
    this.stateDir = spec.paths.stateDir ?? join(this.dir, "state");
    this.workspace =
      spec.paths.workspace ?? (typeof configWorkspace === "string" ? configWorkspace : join(this.dir, "workspace"));
    this.logFile = join(this.dir, "logs", "openclaw.log");
    this.outputFile = join(this.dir, "logs", "gateway.out");
    this.runFile = join(this.dir, "gateway.run.json");
    this.homeDir = join(this.dir, "home");
    this.tmpDir = join(this.dir, "tmp");
    this.cacheDir = join(this.dir, "cache");
    this.cwd = join(this.dir, "run");
    this.secretsDir = join(this.dir, "secrets");
    this.tokenFile = join(this.secretsDir, "gateway.token");
    this.compileCacheDir = init.compileCacheDir;
    this.ports = portBlockFor(basePort);
    this.initialConfig = Object.freeze(structuredClone(spec.config));
    this.env = Object.freeze({
      ...scrubEnv(init.parentEnv),
      ...spec.env,
      HOME: this.homeDir,
      TMPDIR: this.tmpDir,
      XDG_CONFIG_HOME: join(this.homeDir, ".config"),
      XDG_DATA_HOME: join(this.homeDir, ".local", "share"),
      XDG_STATE_HOME: join(this.homeDir, ".local", "state"),
      XDG_CACHE_HOME: this.cacheDir,
      OPENCLAW_STATE_DIR: this.stateDir,
      OPENCLAW_CONFIG_PATH: this.configPath,
      OPENCLAW_WORKSPACE_DIR: this.workspace,
      OPENCLAW_DISABLE_BONJOUR: spec.env.OPENCLAW_DISABLE_BONJOUR ?? "1",
      OPENCLAW_NO_RESPAWN: "1",
      OPENCLAW_SKIP_CHANNELS: spec.env.OPENCLAW_SKIP_CHANNELS ?? "1",
      OPENCLAW_EXEC_SHELL_SNAPSHOT: spec.env.OPENCLAW_EXEC_SHELL_SNAPSHOT ?? "0",
    });
    Object.freeze(this);
  }

  /** The directories clawhost creates (0700) before the first start. */
  get ownedDirs(): readonly string[] {
    return [
      this.dir,
      this.configDir,
      this.stateDir,
      this.workspace,
      join(this.logFile, ".."),
      this.homeDir,
      this.tmpDir,
      this.cacheDir,
      this.cwd,
      this.secretsDir,
    ];
  }

  /** JSON-safe form: paths, ports and env with secret-looking values redacted. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      dir: this.dir,
      configPath: this.configPath,
      stateDir: this.stateDir,
      workspace: this.workspace,
      logFile: this.logFile,
      outputFile: this.outputFile,
      runFile: this.runFile,
      homeDir: this.homeDir,
      tmpDir: this.tmpDir,
      cacheDir: this.cacheDir,
      cwd: this.cwd,
      tokenFile: this.tokenFile,
      ports: this.ports,
      env: redactEnv(this.env),
    };
  }
}
