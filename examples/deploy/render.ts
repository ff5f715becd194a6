// Renders ./clawhost.json5 for systemd and for Kubernetes into ./systemd and ./kubernetes.
// Run with `npm run examples:render` (builds first); test/render/example.test.ts checks the
// committed output is what this renders. The tokens are fixed placeholders so the output is
// stable: a real render takes each gateway's token from its root, else makes a fresh one.
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import JSON5 from "json5";
import { renderKubernetes, renderSystemd, writeRenderedFiles } from "clawhost";
import type { GatewaySpec, RenderedFile, RenderFleet } from "clawhost";

const here = dirname(fileURLToPath(import.meta.url));

/** The example fleet, read as `clawhost render` reads a fleet file. */
export function exampleFleet(): RenderFleet {
  const { gateways, ...host } = JSON5.parse(readFileSync(join(here, "clawhost.json5"), "utf8")) as { root: string; gateways: Record<string, Omit<GatewaySpec, "name">> };
  return { host, gateways: Object.entries(gateways).map(([name, spec]) => ({ ...spec, name })) };
}

/** A placeholder token per gateway: never use these. */
function placeholderTokens(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, createHash("sha256").update(`clawhost example placeholder ${n}`).digest("hex")]));
}

/** Every file of the example, paths relative to this directory. */
export async function renderExample(): Promise<RenderedFile[]> {
  const fleet = exampleFleet();
  const tokens = placeholderTokens((fleet.gateways as GatewaySpec[]).map((g) => g.name));
  const systemd = await renderSystemd(fleet, {
    name: "demo",
    scope: "system",
    user: "clawhost",
    tokens,
    runtime: { node: "/usr/bin/node", entry: "/usr/lib/node_modules/openclaw/openclaw.mjs" },
  });
  const kubernetes = await renderKubernetes(fleet, { name: "demo", namespace: "clawhost-demo", image: "ghcr.io/openclaw/openclaw:2026.9.6", tokens });
  return [...systemd.map((f) => ({ ...f, path: `systemd/${f.path}` })), ...kubernetes.map((f) => ({ ...f, path: `kubernetes/${f.path}` }))];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await renderExample();
  for (const dir of ["systemd", "kubernetes"]) rmSync(join(here, dir), { recursive: true, force: true });
  await writeRenderedFiles(here, files);
  console.log(`wrote ${files.length} files under examples/deploy/`);
}
