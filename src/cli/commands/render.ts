import { basename, dirname, join, resolve } from "node:path";
import { Option } from "commander";
import type { Command } from "commander";
import { ClawhostError, isClawhostError, renderKubernetes, renderSystemd, writeRenderedFiles } from "../../index.js";
import { globals, reportError } from "../context.js";
import { EXIT } from "../exit.js";
import { fleetError, loadFleet } from "../fleet.js";
import type { Fleet } from "../fleet.js";
import { printJson } from "../output.js";

const TARGETS = ["systemd", "kubernetes"] as const;

interface RenderOptions {
  out: string;
  name?: string;
  scope?: "user" | "system";
  user?: string;
  group?: string;
  token?: "credential" | "environment-file";
  root?: string;
  node?: string;
  entry?: string;
  namespace?: string;
  image?: string;
  storage?: string;
}

/** The fleet's name by default: its file's directory, as a unit or object name may spell it. */
function defaultName(fleet: Fleet): string {
  const name = basename(dirname(fleet.file)).toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 24).replace(/-+$/, "");
  return /^[a-z]/.test(name) ? name : "fleet";
}

/** An SDK error restated: the render options' own are the command line's (exit 2); a spec's, the fleet file's (exit 3). */
function restate(fleet: Fleet, err: unknown): unknown {
  if (!isClawhostError(err, "CLAWHOST_INVALID_OPTIONS")) return err;
  if (err.details?.renderOptions === true) return new ClawhostError("CLAWHOST_INVALID_ARGUMENT", err.message.replace(/ Fix: .*$/, ""), { value: err.value, fix: err.fix, details: err.details, cause: err });
  return fleetError(fleet, err, err.gateway);
}

/** `clawhost render systemd|kubernetes`. */
export function renderCommand(program: Command): void {
  program
    .command("render")
    .description("write the fleet as systemd units or Kubernetes objects (same paths, env, ports and token handling as here); starts nothing")
    .argument("<target>", `what to render: ${TARGETS.join(" or ")}`)
    .requiredOption("-o, --out <dir>", "directory to write the files into (created 0700)")
    .option("--name <name>", "fleet name in unit and object names (default: the fleet file's directory)")
    .addOption(new Option("--scope <scope>", "systemd: user or system units").choices(["user", "system"]))
    .option("--user <user>", "systemd, system scope: User= of the units")
    .option("--group <group>", "systemd, system scope: Group= of the units")
    .addOption(new Option("--token <how>", "systemd: how the token travels").choices(["credential", "environment-file"]))
    .option("--root <dir>", "where the gateways live on the target (systemd default: the fleet's root; kubernetes: /var/lib/clawhost)")
    .option("--node <path>", "systemd: the Node binary on the target (default: the one found here)")
    .option("--entry <path>", "systemd: openclaw.mjs on the target (default: the one found here)")
    .option("--namespace <ns>", "kubernetes: namespace set in kustomization.yaml")
    .option("--image <image>", "kubernetes: the OpenClaw image (default: ghcr.io/openclaw/openclaw:<version found here>)")
    .option("--storage <size>", "kubernetes: each gateway's volume (default 10Gi)")
    .addHelpText(
      "after",
      `
The token: the one in each gateway's root (<root>/<name>/secrets/gateway.token) when there is
one, else a fresh one; it is written only to secrets/<name>.token (systemd) or
<name>.secret.yaml (kubernetes), mode 0600. Rendering takes no port lease.

Examples:
  clawhost render systemd -o units/ && sh units/install.sh
  clawhost render kubernetes -o k8s/ --namespace claw && kubectl apply -k k8s/`,
    )
    .action(async (target: string, opts: RenderOptions, cmd: Command) => {
      const g = globals(cmd);
      process.exitCode = await (async () => {
        let fleet: Fleet | undefined;
        try {
          if (!(TARGETS as readonly string[]).includes(target)) {
            throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `render target ${JSON.stringify(target)} is not one of ${TARGETS.join(", ")}.`, { value: target, fix: "clawhost render systemd -o <dir>, or clawhost render kubernetes -o <dir>." });
          }
          if (Boolean(opts.node) !== Boolean(opts.entry)) {
            throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", "--node and --entry name the target's runtime together.", { value: opts.node ?? opts.entry, fix: "give both, or neither (the Node and openclaw.mjs found here are used)." });
          }
          fleet = loadFleet(g.file);
          const name = opts.name ?? defaultName(fleet);
          const files =
            target === "systemd"
              ? await renderSystemd(fleet, {
                  name,
                  ...(opts.scope && { scope: opts.scope }),
                  ...(opts.user && { user: opts.user }),
                  ...(opts.group && { group: opts.group }),
                  ...(opts.token && { token: opts.token }),
                  ...(opts.root && { root: resolve(opts.root) }),
                  ...(opts.node && opts.entry && { runtime: { node: resolve(opts.node), entry: resolve(opts.entry) } }),
                })
              : await renderKubernetes(fleet, {
                  name,
                  ...(opts.namespace && { namespace: opts.namespace }),
                  ...(opts.image && { image: opts.image }),
                  ...(opts.storage && { storage: opts.storage }),
                  ...(opts.root && { root: opts.root }),
                });
          const out = resolve(opts.out);
          const written = await writeRenderedFiles(out, files);
          if (g.json) printJson({ target, name, out, files: written });
          else for (const w of written) process.stdout.write(`${join(opts.out, w.path)}  ${w.mode}\n`);
          return EXIT.ok;
        } catch (err) {
          return reportError(fleet === undefined ? err : restate(fleet, err), g.json);
        }
      })();
    });
}
