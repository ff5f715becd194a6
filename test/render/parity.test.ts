// What runs here and what is rendered carry the same isolation: a GatewayHost on the same
// fleet (gateways added, none started: no process) and the rendered units and objects
// agree on every env key clawhost sets, every dir and every port.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { GatewayHost, renderKubernetes, renderSystemd } from "clawhost";
import type { Gateway, RenderedFile } from "clawhost";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { scrubEnv } from "../../src/context/env.js";
import { FAKE_OPENCLAW, heldLeases, makeTmp } from "../helpers.js";
import { GATEWAYS, PORTS, threeGateways } from "./fleet.js";

const tmp = makeTmp("render-parity");
const root = join(tmp.dir, "root");
const leaseDir = join(tmp.dir, "leases");
let host: GatewayHost;
const gateways: Gateway[] = [];
// Variables the scrub removes: set in this process, they must reach neither side.
const INHERITED_NOISE = { INVOCATION_ID: "from-a-unit", NODE_OPTIONS: "--max-old-space-size=64", OPENCLAW_PROFILE: "leak" };

beforeAll(async () => {
  Object.assign(process.env, INHERITED_NOISE);
  host = new GatewayHost({ root, ports: PORTS, leaseDir, openclaw: { bin: FAKE_OPENCLAW }, stopTimeoutMs: 20_000, restart: { maxFailures: 4 } });
  for (const spec of GATEWAYS) gateways.push(await host.add(structuredClone(spec) as never));
});

afterAll(async () => {
  for (const k of Object.keys(INHERITED_NOISE)) delete process.env[k];
  await host[Symbol.asyncDispose]();
  expect(heldLeases(leaseDir)).toEqual([]);
  expect(gateways.map((g) => g.pid)).toEqual([undefined, undefined, undefined]);
  tmp.cleanup();
});

/** The env a host's context sets itself: its keys minus what it merely inherits from this process. */
function ownEnv(gw: Gateway): Record<string, string> {
  const inherited = scrubEnv(process.env);
  const spec = GATEWAYS.find((g) => g.name === gw.name) as { env?: Record<string, string> };
  return Object.fromEntries(Object.entries(gw.context.env).filter(([k, v]) => inherited[k] !== v || (spec.env !== undefined && k in spec.env)));
}

function file(files: readonly RenderedFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path}`);
  return f.content;
}

/** The env a unit gives: its Environment= words and its EnvironmentFile's lines (token aside). */
function unitEnv(files: readonly RenderedFile[], name: string): Record<string, string> {
  const unit = file(files, `clawhost-demo-${name}.service`);
  const env: Record<string, string> = {};
  for (const line of unit.split("\n").filter((l) => l.startsWith("Environment="))) {
    let word = line.slice("Environment=".length);
    if (word.startsWith('"')) word = word.slice(1, -1).replace(/\\(.)/g, "$1");
    const eq = word.indexOf("=");
    env[word.slice(0, eq)] = word.slice(eq + 1).replaceAll("%%", "%");
  }
  const envFile = files.find((f) => f.path === `secrets/${name}.env`);
  for (const line of envFile?.content.split("\n").filter(Boolean) ?? []) {
    const m = /^([A-Z0-9_]+)="(.*)"$/.exec(line)!;
    env[m[1]!] = m[2]!.replace(/\\(.)/g, "$1");
  }
  return env;
}

describe("host and rendered output agree", () => {
  it("systemd: env keys and values, dirs, ports; nothing of the scrubbed env", async () => {
    const files = await renderSystemd(threeGateways(root, FAKE_OPENCLAW), { name: "demo" });
    const install = file(files, "install.sh");
    for (const gw of gateways) {
      const ctx = gw.context;
      const env = unitEnv(files, gw.name);
      const { PATH, ...rest } = env;
      expect(rest, gw.name).toEqual(ownEnv(gw));
      expect(PATH!.split(":")[0]).toBe(join(host.runtime.node, ".."));
      for (const k of Object.keys(INHERITED_NOISE)) {
        expect(ctx.env[k], `host ${k}`).toBeUndefined();
        expect(env[k], `unit ${k}`).toBeUndefined();
      }
      const unit = file(files, `clawhost-demo-${gw.name}.service`);
      expect(unit).toContain(`\nWorkingDirectory=${ctx.cwd}\n`);
      expect(unit).toContain(`\nLoadCredential=gateway-token:${ctx.tokenFile}\n`);
      expect(unit).toContain(` --port ${ctx.ports.gateway} --bind loopback\n`);
      expect(unit).toContain(`ports ${ctx.ports.block.start}..${ctx.ports.block.end}.`);
      const made = install.split("\n").filter((l) => l.startsWith(`mk '${ctx.dir}`)).map((l) => l.slice(4, -1));
      expect(made).toEqual([...ctx.ownedDirs]);
      expect(install).toContain(`'${ctx.configPath}'`);
    }
  });

  it("kubernetes: the same env keys, the same layout under the pod's root, the same ports", async () => {
    const podRoot = "/var/lib/clawhost";
    const files = await renderKubernetes(threeGateways(root, FAKE_OPENCLAW), { name: "demo", image: "ghcr.io/openclaw/openclaw:2026.9.6" });
    for (const gw of gateways) {
      const ctx = gw.context;
      const sts = YAML.parseAllDocuments(file(files, `${gw.name}.yaml`))[2]!.toJSON() as IStatefulSet;
      const container = sts.spec!.template.spec!.containers[0]!;
      const own = ownEnv(gw);
      const rendered = container.env!.filter((e) => e.name !== "OPENCLAW_GATEWAY_TOKEN");
      expect(rendered.map((e) => e.name).sort(), gw.name).toEqual(Object.keys(own).sort());
      for (const e of rendered) {
        if (e.value !== undefined) expect(e.value.replaceAll(podRoot, root), `${gw.name} ${e.name}`).toBe(own[e.name]);
      }
      expect(container.workingDir!.replace(podRoot, root)).toBe(ctx.cwd);
      expect(container.ports).toEqual([{ name: "gateway", containerPort: ctx.ports.gateway, protocol: "TCP" }]);
      expect(sts.spec!.template.metadata!.annotations!["clawhost/ports"]).toBe(`${ctx.ports.block.start}-${ctx.ports.block.end}`);
      expect(container.volumeMounts![0]!.mountPath.replace(podRoot, root)).toBe(ctx.dir);
    }
  });
});
