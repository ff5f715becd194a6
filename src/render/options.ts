import { isAbsolute } from "node:path";
import * as z from "zod";
import { invalidOptions } from "../context/invalid.js";
import type { ClawhostError } from "../errors.js";
import type { GatewaySpec, HostOptions } from "../context/schema.js";

/**
 * One file of a rendering: a path relative to the output directory, its text, and its
 * mode when it is not an ordinary 0644 file (0600 for anything holding a token, 0755 for
 * a script). Nothing is written: `clawhost render` or the caller writes it.
 *
 * @example
 * ```ts
 * for (const f of await renderSystemd(fleet)) console.log(f.path, f.mode?.toString(8) ?? "644");
 * ```
 */
export interface RenderedFile {
  /** Relative path, `/`-separated, no `..`. */
  path: string;
  /** The file's text. */
  content: string;
  /** File mode (e.g. `0o600`); absent: 0644. */
  mode?: number;
}

/**
 * What is rendered: a fleet's host options and its gateway specs, as a fleet file holds
 * them (`clawhost.json5`, read by `clawhost render`), or as a program passes them to
 * `new GatewayHost()` and `host.add()`.
 *
 * @example
 * ```ts
 * const fleet: RenderFleet = { host: { root: "/srv/claw", ports: { from: 21000, to: 21999 } }, gateways: [{ name: "main" }, { name: "rescue" }] };
 * ```
 */
export interface RenderFleet {
  /** Host options: `root` (absolute), `ports`, `openclaw`, `stopTimeoutMs`, `restart` are used. */
  host: HostOptions;
  /** The gateways, in order (a map by name, as the fleet file reader returns, or a list). */
  gateways: ReadonlyMap<string, GatewaySpec> | readonly GatewaySpec[];
}

const absolutePath = z
  .string()
  .min(1)
  .refine((p) => isAbsolute(p) && !p.includes("\0"), { message: "must be an absolute path" });

const commonShape = {
  /** Fleet name: in unit, target and object names. */
  name: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$/, "must be 1-24 lowercase letters, digits or '-', starting and ending with a letter or digit")
    .default("fleet"),
  /** Tokens by gateway name (64 hex digits each); a gateway without one gets its root's token, else a fresh one. */
  tokens: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, "must be 64 hex digits")).optional(),
};

/** zod schema of {@link SystemdRenderOptions}. */
export const systemdRenderOptionsSchema = z
  .object({
    ...commonShape,
    scope: z.enum(["user", "system"]).default("user"),
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}\$?$/i, "must be a user name").optional(),
    group: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}\$?$/i, "must be a group name").optional(),
    token: z.enum(["credential", "environment-file"]).default("credential"),
    root: absolutePath.optional(),
    runtime: z.object({ node: absolutePath, entry: absolutePath }).strict().optional(),
  })
  .strict()
  .refine((o) => o.scope === "system" || (o.user === undefined && o.group === undefined), {
    message: "user and group are for scope: \"system\" (a user unit runs as its user)",
    path: ["user"],
  });

/**
 * Options of {@link renderSystemd}.
 *
 * @example
 * ```ts
 * await renderSystemd(fleet, { name: "prod", scope: "system", user: "claw" });
 * ```
 */
export interface SystemdRenderOptions {
  /** Fleet name (default `fleet`): units are `clawhost-<name>-<gateway>.service`, grouped by `clawhost-<name>.target`. */
  name?: string;
  /** Tokens by gateway name (64 hex digits); default: the token already in the gateway's root, else a fresh one. */
  tokens?: Record<string, string>;
  /** `user` (default: `systemctl --user`, `~/.config/systemd/user`) or `system`. */
  scope?: "user" | "system";
  /** `User=` of system units (default: root). */
  user?: string;
  /** `Group=` of system units. */
  group?: string;
  /**
   * How the token reaches the gateway: `credential` (default: `LoadCredential=` from the
   * gateway's token file, read into the env by a `/bin/sh` wrapper; needs systemd 250+ for
   * user units) or `environment-file` (`EnvironmentFile=`, a 0600 file in the secrets dir).
   */
  token?: "credential" | "environment-file";
  /** Where the gateways live on the target machine (default: the fleet's `root`). */
  root?: string;
  /** Node and `openclaw.mjs` on the target machine (default: found from the fleet's `openclaw` options, as the host finds them). */
  runtime?: { node: string; entry: string };
}

const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/, "must be a Kubernetes quantity such as 1Gi or 500m");

/** zod schema of {@link KubernetesRenderOptions}. */
export const kubernetesRenderOptionsSchema = z
  .object({
    ...commonShape,
    namespace: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label").optional(),
    image: z.string().min(1).optional(),
    command: z.array(z.string().min(1)).min(1).default(["node", "/app/openclaw.mjs"]),
    root: absolutePath.default("/var/lib/clawhost"),
    bind: z.enum(["lan", "loopback"]).default("lan"),
    storage: quantity.default("10Gi"),
    storageClassName: z.string().min(1).optional(),
    uid: z.number().int().min(1).max(2_147_483_647).default(1000),
    requests: z.object({ memory: quantity.default("1Gi"), cpu: quantity.default("500m") }).strict().default({ memory: "1Gi", cpu: "500m" }),
    limits: z.object({ memory: quantity.default("2Gi") }).strict().default({ memory: "2Gi" }),
  })
  .strict();

/**
 * Options of {@link renderKubernetes}.
 *
 * @example
 * ```ts
 * await renderKubernetes(fleet, { name: "prod", namespace: "claw", image: "ghcr.io/openclaw/openclaw:2026.9.6" });
 * ```
 */
export interface KubernetesRenderOptions {
  /** Fleet name (default `fleet`): objects are `<name>-<gateway>`. */
  name?: string;
  /** Tokens by gateway name (64 hex digits); default: the token already in the gateway's root, else a fresh one. */
  tokens?: Record<string, string>;
  /** Namespace set by the kustomization (default: none, `kubectl`'s current one). */
  namespace?: string;
  /** Container image (default: `ghcr.io/openclaw/openclaw:<version>` of the OpenClaw the fleet finds). */
  image?: string;
  /** How the image runs OpenClaw, before `gateway ...` (default `["node", "/app/openclaw.mjs"]`). */
  command?: string[];
  /** Root of the gateways inside the container (default `/var/lib/clawhost`); each gateway's `<root>/<name>` is its volume. */
  root?: string;
  /** `--bind` of the gateway: `lan` (default; the Service reaches the pod) or `loopback` (`kubectl port-forward` only). */
  bind?: "lan" | "loopback";
  /** Size of each gateway's volume (default `10Gi`). */
  storage?: string;
  /** StorageClass of the volumes (default: the cluster's default). */
  storageClassName?: string;
  /** UID and GID the gateway runs as (default 1000, the image's `node` user). */
  uid?: number;
  /** Resource requests (default `{ memory: "1Gi", cpu: "500m" }`: an idle gateway holds ~0.95 GB). */
  requests?: { memory?: string; cpu?: string };
  /** Resource limits (default `{ memory: "2Gi" }`). */
  limits?: { memory?: string };
}

/** Systemd options after parsing. */
export type NormalizedSystemdOptions = z.output<typeof systemdRenderOptionsSchema>;
/** Kubernetes options after parsing. */
export type NormalizedKubernetesOptions = z.output<typeof kubernetesRenderOptionsSchema>;

/** Marks an options error as the render options' own (`details.renderOptions`), not the fleet's. */
function renderOptionsError(target: string, err: ClawhostError): ClawhostError {
  Object.assign(err.details ?? {}, { renderOptions: true, target });
  return err;
}

/** Parse render options once at the boundary (`CLAWHOST_INVALID_OPTIONS` naming each bad field). */
export function normalizeSystemdOptions(input: SystemdRenderOptions | undefined): NormalizedSystemdOptions {
  const parsed = systemdRenderOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) throw renderOptionsError("systemd", invalidOptions("systemd render options", parsed.error, input, { schema: systemdRenderOptionsSchema }));
  return parsed.data;
}

/** Parse render options once at the boundary (`CLAWHOST_INVALID_OPTIONS` naming each bad field). */
export function normalizeKubernetesOptions(input: KubernetesRenderOptions | undefined): NormalizedKubernetesOptions {
  const parsed = kubernetesRenderOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) throw renderOptionsError("kubernetes", invalidOptions("kubernetes render options", parsed.error, input, { schema: kubernetesRenderOptionsSchema }));
  return parsed.data;
}
