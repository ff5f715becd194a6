import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ownedConfig } from "../config/file.js";
import type { OpenClawConfig } from "../config/file.js";
import { applyMergePatch } from "../config/merge.js";
import { InstanceContext } from "../context/context.js";
import { assertOptionsObject } from "../context/invalid.js";
import { normalizeGatewaySpec, normalizeHostOptions } from "../context/schema.js";
import type { GatewaySpec, NormalizedGatewaySpec, NormalizedHostOptions } from "../context/schema.js";
import { readToken } from "../context/secrets.js";
import { ClawhostError } from "../errors.js";
import { defaultPortRange } from "../ports/allocator.js";
import { renderUnsupported } from "./errors.js";
import { assignPorts } from "./ports.js";
import type { RenderFleet } from "./options.js";

/** One gateway as a target runs it: the same derivation as `host.add()` and a first start. */
export interface DerivedGateway {
  spec: NormalizedGatewaySpec;
  /** The context on the target (its root). */
  ctx: InstanceContext;
  /** The context under the fleet's own root, where a host keeps its token today. */
  local: InstanceContext;
  /** The gateway token: given, else the one in the fleet's root, else fresh. */
  token: string;
  /** The config a first start writes: the spec's config with what clawhost owns merged over it. */
  config: OpenClawConfig;
}

/** A fleet made concrete for one target. */
export interface DerivedFleet {
  host: NormalizedHostOptions;
  gateways: DerivedGateway[];
}

function specsOf(fleet: RenderFleet): GatewaySpec[] {
  assertOptionsObject(fleet, "render needs a fleet object", "pass { host: { root, ... }, gateways: [{ name: \"main\" }] }, or what the fleet file reader returns.");
  const g = (fleet as { gateways?: unknown }).gateways;
  if (g instanceof Map) return [...(g as Map<string, GatewaySpec>).entries()].map(([name, spec]) => ({ ...spec, name }));
  if (Array.isArray(g)) return g as GatewaySpec[];
  throw new ClawhostError("CLAWHOST_INVALID_OPTIONS", "the fleet's gateways are neither a Map of specs by name nor a list of specs.", {
    value: g === null ? "null" : typeof g,
    fix: "pass gateways: [{ name: \"main\" }, ...] or a Map from name to spec.",
  });
}

/**
 * Every gateway's context for `target`, through the code the host runs: the host options
 * and specs parsed by the SDK's own schemas, `InstanceContext` for paths and env (parent
 * env empty: a unit or a pod inherits nothing of the renderer's), port blocks in order
 * (no lease is taken), the owned config keys merged as a first start writes them.
 */
export async function deriveFleet(
  fleet: RenderFleet,
  opts: { target: string; root: string | undefined; tokens: Record<string, string> | undefined },
): Promise<DerivedFleet> {
  const specs = specsOf(fleet).map((s) => normalizeGatewaySpec(s));
  const host = normalizeHostOptions((fleet as { host: RenderFleet["host"] }).host);
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) {
      throw new ClawhostError("CLAWHOST_DUPLICATE_NAME", `the fleet names gateway ${JSON.stringify(s.name)} twice.`, { gateway: s.name, value: s.name, fix: "give each gateway its own name." });
    }
    seen.add(s.name);
    if (s.profile) {
      throw renderUnsupported(opts.target, s.name, "a profile gateway (profile: true) takes its layout from this machine's home (~/.openclaw-<name>).", { profile: true }, "render it without profile: true (clawhost's own layout under the root), or keep it on this host.");
    }
  }
  for (const name of Object.keys(opts.tokens ?? {})) {
    if (!seen.has(name)) {
      throw new ClawhostError("CLAWHOST_INVALID_OPTIONS", `tokens names gateway ${JSON.stringify(name)}, which the fleet does not have.`, { value: name, fix: `name only the fleet's gateways: ${[...seen].join(", ")}.` });
    }
  }
  const bases = assignPorts(specs, host.ports ?? defaultPortRange());
  const compileCacheDir = join(tmpdir(), "node-compile-cache");
  const root = opts.root ?? host.root;
  const gateways: DerivedGateway[] = [];
  for (const [i, spec] of specs.entries()) {
    const basePort = bases[i]!;
    const ctx = new InstanceContext({ root, spec, basePort, parentEnv: {}, compileCacheDir });
    const local = root === host.root ? ctx : new InstanceContext({ root: host.root, spec, basePort, parentEnv: {}, compileCacheDir });
    const token = opts.tokens?.[spec.name] ?? (await readToken(local)) ?? randomBytes(32).toString("hex");
    const config = applyMergePatch(applyMergePatch({}, ctx.initialConfig), ownedConfig(ctx)) as OpenClawConfig;
    gateways.push({ spec, ctx, local, token, config });
  }
  return { host, gateways };
}
