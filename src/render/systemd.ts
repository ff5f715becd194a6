import { delimiter, dirname } from "node:path";
import { isSecretEnvKey } from "../context/env.js";
import { DEFAULT_RESTART_POLICY } from "../context/supervision.js";
import { resolveRuntime } from "../process/runtime.js";
import { gatewayArgs } from "../process/spawn.js";
import { deriveFleet } from "./fleet.js";
import type { DerivedGateway } from "./fleet.js";
import { normalizeSystemdOptions } from "./options.js";
import type { NormalizedSystemdOptions, RenderedFile, RenderFleet, SystemdRenderOptions } from "./options.js";
import { environmentFileLine, environmentLine, execWord, pathValue, shWord } from "./systemd-syntax.js";
import type { NormalizedHostOptions } from "../context/schema.js";

interface Runtime {
  node: string;
  entry: string;
  /** True when `entry` runs as `node <entry>`. */
  script: boolean;
}

/** The credential's name inside `$CREDENTIALS_DIRECTORY`. */
const CREDENTIAL = "gateway-token";
/** systemd's default PATH for services, after the directory of the Node that runs OpenClaw (as the host's spawn does). */
const SERVICE_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
// Reads the credential into the env and replaces itself with the gateway: the token is never a word of any argv.
const TOKEN_WRAPPER = `IFS= read -r OPENCLAW_GATEWAY_TOKEN < "$CREDENTIALS_DIRECTORY/${CREDENTIAL}" && export OPENCLAW_GATEWAY_TOKEN && exec "$0" "$@"`;

/** The unit names of a fleet. */
function names(fleet: string, gateway?: string): string {
  return gateway === undefined ? `clawhost-${fleet}.target` : `clawhost-${fleet}-${gateway}.service`;
}

/** The env file of a gateway: secret-looking spec env, and the token when it travels that way. */
function envFilePath(g: DerivedGateway): string {
  return `${g.ctx.secretsDir}/gateway.env`;
}

function splitEnv(g: DerivedGateway, node: string): { plain: Array<[string, string]>; secret: Array<[string, string]> } {
  const env: Record<string, string> = { ...g.ctx.env };
  env.PATH = [...new Set([dirname(node), ...SERVICE_PATH])].join(delimiter);
  const plain: Array<[string, string]> = [];
  const secret: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(env)) (k in g.spec.env && isSecretEnvKey(k) ? secret : plain).push([k, v]);
  return { plain, secret };
}

function unitFor(g: DerivedGateway, o: NormalizedSystemdOptions, host: NormalizedHostOptions, runtime: Runtime): string {
  const { ctx } = g;
  const policy = { ...DEFAULT_RESTART_POLICY, ...host.restart, ...g.spec.restart };
  const { plain, secret } = splitEnv(g, runtime.node);
  const gateway = [...(runtime.script ? [runtime.node, runtime.entry] : [runtime.entry]), ...gatewayArgs(ctx)];
  const exec = o.token === "credential" ? ["/bin/sh", "-c", TOKEN_WRAPPER, ...gateway] : gateway;
  const envFile = o.token === "environment-file" || secret.length > 0;
  return [
    `# Rendered by clawhost: gateway ${ctx.name} of fleet ${o.name}, ports ${ctx.ports.block.start}..${ctx.ports.block.end}.`,
    "# Re-render (clawhost render systemd) rather than edit: the local host derives the same paths, env and ports.",
    "[Unit]",
    `Description=OpenClaw gateway ${ctx.name} (clawhost fleet ${o.name})`,
    "Documentation=https://docs.openclaw.ai/gateway",
    "After=network-online.target",
    "Wants=network-online.target",
    `PartOf=${names(o.name)}`,
    `StartLimitBurst=${policy.maxFailures}`,
    `StartLimitIntervalSec=${Math.ceil(policy.windowMs / 1000)}`,
    "",
    "[Service]",
    "Type=simple",
    ...(o.scope === "system" && o.user !== undefined ? [`User=${o.user}`] : []),
    ...(o.scope === "system" && o.group !== undefined ? [`Group=${o.group}`] : []),
    `WorkingDirectory=${pathValue(ctx.cwd)}`,
    "UMask=0077",
    ...plain.map(([k, v]) => environmentLine(k, v)),
    ...(envFile ? [`EnvironmentFile=${pathValue(envFilePath(g))}`] : []),
    ...(o.token === "credential" ? [`LoadCredential=${CREDENTIAL}:${pathValue(ctx.tokenFile)}`] : []),
    `ExecStart=${exec.map(execWord).join(" ")}`,
    `Restart=${policy.mode === "never" ? "no" : "always"}`,
    "RestartSec=5",
    // 78 (EX_CONFIG): a bad config, a state dir held elsewhere; a new process meets the same wall.
    "RestartPreventExitStatus=78",
    "SuccessExitStatus=0 143",
    "KillMode=control-group",
    `TimeoutStopSec=${Math.ceil(host.stopTimeoutMs / 1000)}`,
    "",
    "[Install]",
    `WantedBy=${names(o.name)}`,
    "",
  ].join("\n");
}

function targetFor(gateways: DerivedGateway[], o: NormalizedSystemdOptions): string {
  const units = gateways.map((g) => names(o.name, g.ctx.name)).join(" ");
  return [
    `# Rendered by clawhost: the gateways of fleet ${o.name}, started and stopped together.`,
    "[Unit]",
    `Description=clawhost fleet ${o.name}`,
    `Wants=${units}`,
    "",
    "[Install]",
    `WantedBy=${o.scope === "user" ? "default.target" : "multi-user.target"}`,
    "",
  ].join("\n");
}

function installScript(gateways: DerivedGateway[], o: NormalizedSystemdOptions, root: string): string {
  const ctl = o.scope === "user" ? "systemctl --user" : "systemctl";
  const owner = o.scope === "system" && o.user !== undefined ? `${o.user}${o.group === undefined ? "" : `:${o.group}`}` : undefined;
  const own = owner === undefined ? "" : ` -o ${shWord(owner.split(":")[0]!)}${o.group === undefined ? "" : ` -g ${shWord(o.group)}`}`;
  const lines = [
    "#!/bin/sh",
    `# Installs fleet ${o.name} as rendered by clawhost (systemd, ${o.scope} scope). Creates what is missing;`,
    "# never replaces a gateway's config or token that is already there (the gateway's own copy wins).",
    "set -eu",
    'here=$(cd "$(dirname "$0")" && pwd)',
    "umask 077",
    `mk() { [ -d "$1" ] || { mkdir -p -m 0700 "$1"${owner === undefined ? "" : `; chown ${shWord(owner)} "$1"`}; }; }`,
    `mk ${shWord(root)}`,
  ];
  for (const g of gateways) {
    const { ctx } = g;
    lines.push(`# ${ctx.name}`);
    for (const d of ctx.ownedDirs) lines.push(`mk ${shWord(d)}`);
    lines.push(`[ -e ${shWord(ctx.configPath)} ] || install -m 0600${own} "$here/config/${ctx.name}.json" ${shWord(ctx.configPath)}`);
    if (o.token === "credential") lines.push(`[ -e ${shWord(ctx.tokenFile)} ] || install -m 0600${own} "$here/secrets/${ctx.name}.token" ${shWord(ctx.tokenFile)}`);
    if (existsEnvFile(g, o)) lines.push(`install -m 0600${own} "$here/secrets/${ctx.name}.env" ${shWord(envFilePath(g))}`);
  }
  const units = [...gateways.map((g) => names(o.name, g.ctx.name)), names(o.name)];
  lines.push(`${ctl} link ${units.map((u) => `"$here/${u}"`).join(" ")}`);
  lines.push(`${ctl} daemon-reload`);
  lines.push(`echo "installed; start with: ${ctl} start ${names(o.name)} (at boot: ${ctl} enable ${names(o.name)})"`);
  return `${lines.join("\n")}\n`;
}

function existsEnvFile(g: DerivedGateway, o: NormalizedSystemdOptions): boolean {
  return o.token === "environment-file" || Object.keys(g.spec.env).some(isSecretEnvKey);
}

/**
 * Render a fleet as systemd units: one `clawhost-<fleet>-<gateway>.service` per gateway
 * and a `clawhost-<fleet>.target` that groups them, derived by the code the local host
 * runs (`InstanceContext`: the same paths, port block, env preset and scrub; the same
 * `openclaw gateway` argv). The token never appears in a unit: `LoadCredential=` from
 * the gateway's token file (read into the env by a `/bin/sh` wrapper, as the host passes
 * it), or an `EnvironmentFile=`. Also rendered: each gateway's first config
 * (`config/<name>.json`), its token (`secrets/<name>.token`, 0600: the one already in
 * the fleet's root, else a fresh one) and `install.sh`, which creates the dirs and puts
 * config and token in place unless they exist. Port blocks are assigned in order from
 * the fleet's `ports.from`; no lease is taken. Nothing is written.
 *
 * @example
 * ```ts
 * import { renderSystemd } from "clawhost";
 * const files = await renderSystemd({ host: { root: "/srv/claw" }, gateways: [{ name: "main" }] }, { name: "prod" });
 * files.map((f) => f.path); // ["clawhost-prod-main.service", "clawhost-prod.target", "config/main.json", "secrets/main.token", "install.sh"]
 * ```
 */
export async function renderSystemd(fleet: RenderFleet, options?: SystemdRenderOptions): Promise<RenderedFile[]> {
  const o = normalizeSystemdOptions(options);
  const { host, gateways } = await deriveFleet(fleet, { target: "systemd", root: o.root, tokens: o.tokens });
  const runtime: Runtime = o.runtime ? { ...o.runtime, script: true } : runtimeOf(host);
  const files: RenderedFile[] = gateways.map((g) => ({ path: names(o.name, g.ctx.name), content: unitFor(g, o, host, runtime) }));
  files.push({ path: names(o.name), content: targetFor(gateways, o) });
  for (const g of gateways) {
    files.push({ path: `config/${g.ctx.name}.json`, content: `${JSON.stringify(g.config, null, 2)}\n`, mode: 0o600 });
    if (o.token === "credential") files.push({ path: `secrets/${g.ctx.name}.token`, content: `${g.token}\n`, mode: 0o600 });
    if (existsEnvFile(g, o)) {
      const { secret } = splitEnv(g, runtime.node);
      const vars = o.token === "environment-file" ? [...secret, ["OPENCLAW_GATEWAY_TOKEN", g.token] as [string, string]] : secret;
      files.push({ path: `secrets/${g.ctx.name}.env`, content: `${vars.map(([k, v]) => environmentFileLine(k, v)).join("\n")}\n`, mode: 0o600 });
    }
  }
  files.push({ path: "install.sh", content: installScript(gateways, o, o.root ?? host.root), mode: 0o755 });
  return files;
}

/** Node and entry as the local host finds them; a native `openclaw` executable runs as itself. */
function runtimeOf(host: NormalizedHostOptions): Runtime {
  const rt = resolveRuntime({ bin: host.openclaw.bin, node: host.openclaw.node, searchFrom: host.openclaw.searchFrom });
  return { node: rt.node, entry: rt.entry, script: rt.entryIsScript };
}
