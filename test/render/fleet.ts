// The 3-gateway fleet the render tests share: an automatic block, an explicit port, a spec
// env with a secret-looking key and spaces, a spec config, and a non-default policy.
import { fileURLToPath } from "node:url";
import type { RenderFleet } from "clawhost";

/** The repository: its node_modules holds the Node and the OpenClaw a rendered unit runs. */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** 20120-20479 (three 120-aligned blocks) is used by no other test file. */
export const PORTS = { from: 20120, to: 20479 };

/** A secret in a spec's env: it may appear only in the env file or the Secret. */
export const SPEC_SECRET = "sk-spec-secret-0123456789";

/** The gateways, as a fleet file lists them (host options aside). */
export const GATEWAYS = [
  { name: "main" },
  { name: "rescue", port: 20360, env: { OPENCLAW_EAGER_BROWSER_CONTROL_SERVER: "1" } },
  { name: "worker_2", env: { REGION: "eu west 1", ANTHROPIC_API_KEY: SPEC_SECRET }, config: { env: { vars: { REGION: "eu" } } } },
] as const;

/** The fleet on `root`; OpenClaw found from the repository, or `bin`. */
export function threeGateways(root: string, bin?: string): RenderFleet {
  return {
    host: { root, ports: PORTS, openclaw: bin ? { bin } : { searchFrom: REPO }, stopTimeoutMs: 20_000, restart: { maxFailures: 4 } },
    gateways: GATEWAYS.map((g) => structuredClone(g) as never),
  };
}
