// renderKubernetes on a 3-gateway fleet: objects that pass the Kubernetes API's own schemas
// (kubernetes-models' validate(), offline), the shape the issue asks for, the token only in
// the Secret.
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IService } from "kubernetes-models/v1/Service";
import { isClawhostError, renderKubernetes } from "clawhost";
import type { RenderedFile } from "clawhost";
import { makeTmp } from "../helpers.js";
import { SPEC_SECRET, threeGateways } from "./fleet.js";

const tmp = makeTmp("render-k8s");
afterAll(() => tmp.cleanup());

const MODELS = { StatefulSet, ConfigMap, Secret, Service } as const;
const IMAGE = "ghcr.io/openclaw/openclaw:2026.9.6";

type Doc = { kind: keyof typeof MODELS; metadata: { name: string } } & Record<string, unknown>;

function docs(files: readonly RenderedFile[], path: string): Doc[] {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path}`);
  return YAML.parseAllDocuments(f.content).map((d) => d.toJSON() as Doc);
}

describe("renderKubernetes", () => {
  const root = `${tmp.dir}/root`;

  it("renders each gateway's objects, its Secret and a kustomization", async () => {
    const files = await renderKubernetes(threeGateways(root), { name: "demo", namespace: "claw", image: IMAGE });
    expect(files.map((f) => [f.path, f.mode])).toEqual([
      ["main.yaml", undefined],
      ["main.secret.yaml", 0o600],
      ["rescue.yaml", undefined],
      ["rescue.secret.yaml", 0o600],
      ["worker_2.yaml", undefined],
      ["worker_2.secret.yaml", 0o600],
      ["kustomization.yaml", undefined],
    ]);
    expect(YAML.parse(files.at(-1)!.content)).toEqual({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      namespace: "claw",
      resources: files.slice(0, -1).map((f) => f.path),
    });
    expect(docs(files, "main.yaml").map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(["ConfigMap/demo-main", "Service/demo-main", "StatefulSet/demo-main"]);
    expect(docs(files, "worker_2.yaml").map((d) => d.metadata.name)).toEqual(["demo-worker-2", "demo-worker-2", "demo-worker-2"]);
    expect(docs(files, "main.secret.yaml").map((d) => d.kind)).toEqual(["Secret"]);
  });

  it("validates every object offline against the Kubernetes schemas, and the check can fail", async () => {
    const files = await renderKubernetes(threeGateways(root), { name: "demo", image: IMAGE });
    let n = 0;
    for (const f of files.filter((x) => x.path !== "kustomization.yaml")) {
      for (const d of docs(files, f.path)) {
        const Model = MODELS[d.kind] as unknown as new (data: unknown) => { validate(): void };
        expect(() => new Model(d).validate(), `${f.path} ${d.kind}`).not.toThrow();
        n++;
      }
    }
    expect(n).toBe(12);
    const sts = docs(files, "main.yaml")[2] as unknown as IStatefulSet;
    const broken = structuredClone(sts);
    (broken.spec!.template.spec!.containers[0] as { ports: unknown }).ports = [{ containerPort: "20120" }];
    expect(() => new StatefulSet(broken as never).validate()).toThrow();
  });

  it("runs one replica on its own volume, non-root on a read-only root, probed on /readyz and /healthz", async () => {
    const files = await renderKubernetes(threeGateways(root), { name: "demo", image: IMAGE });
    const [configMap, service, sts] = docs(files, "main.yaml") as unknown as [Record<string, any>, IService, IStatefulSet];
    expect(service.spec).toMatchObject({ type: "ClusterIP", ports: [{ name: "gateway", port: 20120, targetPort: "gateway" }] });
    const spec = sts.spec!;
    expect(spec.replicas).toBe(1);
    expect(spec.serviceName).toBe("demo-main");
    expect(spec.volumeClaimTemplates).toMatchObject([{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } } }]);
    const pod = spec.template.spec!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    const [gw] = pod.containers;
    expect(gw!.image).toBe(IMAGE);
    expect(gw!.command).toEqual(["node", "/app/openclaw.mjs", "gateway", "--allow-unconfigured", "--port", "20120", "--bind", "lan"]);
    expect(gw!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(gw!.resources).toEqual({ requests: { memory: "1Gi", cpu: "500m" }, limits: { memory: "2Gi" } });
    expect(gw!.volumeMounts).toEqual([
      { name: "data", mountPath: "/var/lib/clawhost/main" },
      { name: "tmp", mountPath: "/var/lib/clawhost/main/tmp" },
      { name: "system-tmp", mountPath: "/tmp" },
    ]);
    expect(pod.volumes).toEqual([{ name: "seed", configMap: { name: "demo-main" } }, { name: "tmp", emptyDir: {} }, { name: "system-tmp", emptyDir: {} }]);
    const probe = (p: NonNullable<typeof gw>["startupProbe"]) => p!.exec!.command!.join(" ");
    expect(probe(gw!.startupProbe)).toContain('fetch("http://127.0.0.1:20120/readyz"');
    expect(probe(gw!.startupProbe)).toContain("b.ready===true");
    expect(probe(gw!.readinessProbe)).toContain("/readyz");
    expect(probe(gw!.livenessProbe)).toContain('b.ok===true&&b.status==="live"');
    expect(gw!.startupProbe!.periodSeconds! * gw!.startupProbe!.failureThreshold!).toBe(300);
    // The config seeded from the ConfigMap only when the volume has none.
    const seed = pod.initContainers![0]!;
    expect(seed.command!.slice(0, 2)).toEqual(["node", "-e"]);
    expect(seed.command![2]).toContain('if(!fs.existsSync(cfg))');
    expect(JSON.parse(configMap.data["openclaw.json"])).toEqual({
      gateway: { mode: "local" },
      logging: { file: "/var/lib/clawhost/main/logs/openclaw.log" },
      agents: { defaults: { workspace: "/var/lib/clawhost/main/workspace" } },
    });
  });

  it("the probes pass on the gateway's JSON and fail on the Control UI's catch-all 200", async () => {
    const { createServer } = await import("node:http");
    const { execFile } = await import("node:child_process");
    const files = await renderKubernetes(threeGateways(root), { name: "demo", image: IMAGE });
    const gw = (docs(files, "main.yaml")[2] as unknown as IStatefulSet).spec!.template.spec!.containers[0]!;
    let answer: { status: number; type: string; body: string } = { status: 200, type: "text/html", body: "<!doctype html>" };
    const server = createServer((_req, res) => res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body));
    // The probes ask the gateway port (20120 of this file's range) on loopback.
    await new Promise<void>((resolve) => server.listen(20120, "127.0.0.1", resolve));
    const run = (probe: typeof gw.startupProbe) =>
      new Promise<number>((resolve) => {
        const [, ...args] = probe!.exec!.command!;
        execFile(process.execPath, args, (err) => resolve(err ? ((err as { code?: number }).code ?? -1) : 0));
      });
    try {
      const json = (status: number, body: unknown) => ({ status, type: "application/json", body: JSON.stringify(body) });
      expect([await run(gw.startupProbe), await run(gw.readinessProbe), await run(gw.livenessProbe)]).toEqual([1, 1, 1]);
      answer = json(503, { ready: false });
      expect(await run(gw.readinessProbe)).toBe(1);
      answer = json(200, { ready: true });
      expect([await run(gw.startupProbe), await run(gw.readinessProbe)]).toEqual([0, 0]);
      answer = json(200, { ok: true, status: "live" });
      expect(await run(gw.livenessProbe)).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("the seed script creates the dirs and copies the config once", async () => {
    const files = await renderKubernetes(threeGateways(root), { name: "demo", image: IMAGE, root: `${tmp.dir}/pod` });
    const [configMap, , sts] = docs(files, "main.yaml") as unknown as [Record<string, any>, unknown, IStatefulSet];
    const seed = sts.spec!.template.spec!.initContainers![0]!.command![2]!;
    const { mkdirSync, writeFileSync, readFileSync, statSync } = await import("node:fs");
    const seedDir = "/etc/clawhost/seed";
    // The script names the ConfigMap's mount; run it with that path pointed at a copy here.
    const local = seed.replace(seedDir, `${tmp.dir}/seed`);
    mkdirSync(`${tmp.dir}/seed`, { recursive: true });
    writeFileSync(`${tmp.dir}/seed/openclaw.json`, configMap.data["openclaw.json"]);
    const { execFileSync } = await import("node:child_process");
    execFileSync(process.execPath, ["-e", local]);
    const cfg = `${tmp.dir}/pod/main/config/openclaw.json`;
    expect(readFileSync(cfg, "utf8")).toBe(configMap.data["openclaw.json"]);
    expect(statSync(cfg).mode & 0o777).toBe(0o600);
    expect(statSync(`${tmp.dir}/pod/main/state`).mode & 0o777).toBe(0o700);
    writeFileSync(cfg, "{ kept: true }");
    execFileSync(process.execPath, ["-e", local]);
    expect(readFileSync(cfg, "utf8")).toBe("{ kept: true }");
  });

  it("puts the token and a spec's secret env only in the Secret, referenced from the env", async () => {
    const files = await renderKubernetes(threeGateways(root), { name: "demo", image: IMAGE });
    for (const name of ["main", "rescue", "worker_2"]) {
      const [secret] = docs(files, `${name}.secret.yaml`) as unknown as [{ stringData: Record<string, string> }];
      const token = secret.stringData.OPENCLAW_GATEWAY_TOKEN!;
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      for (const f of files) if (f.path !== `${name}.secret.yaml`) expect(f.content.includes(token), `${name}'s token in ${f.path}`).toBe(false);
    }
    for (const f of files) if (f.path !== "worker_2.secret.yaml") expect(f.content.includes(SPEC_SECRET), f.path).toBe(false);
    const sts = docs(files, "worker_2.yaml")[2] as unknown as IStatefulSet;
    const env = sts.spec!.template.spec!.containers[0]!.env!;
    expect(env.filter((e) => e.valueFrom)).toEqual([
      { name: "OPENCLAW_GATEWAY_TOKEN", valueFrom: { secretKeyRef: { name: "demo-worker-2", key: "OPENCLAW_GATEWAY_TOKEN" } } },
      { name: "ANTHROPIC_API_KEY", valueFrom: { secretKeyRef: { name: "demo-worker-2", key: "ANTHROPIC_API_KEY" } } },
    ]);
    expect(env).toContainEqual({ name: "REGION", value: "eu west 1" });
  });

  it("refuses what a pod cannot carry with typed errors", async () => {
    const codeOf = async (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (isClawhostError(e) ? e.code : String(e)));
    const host = { root };
    expect(await codeOf(renderKubernetes({ host, gateways: [{ name: "a", paths: { stateDir: "/srv/state-a" } }] }, { image: IMAGE }))).toBe("CLAWHOST_RENDER_UNSUPPORTED");
    expect(await codeOf(renderKubernetes({ host, gateways: [{ name: "a_b" }, { name: "a-b" }] }, { image: IMAGE }))).toBe("CLAWHOST_RENDER_UNSUPPORTED");
    expect(await codeOf(renderKubernetes({ host, gateways: [{ name: "x".repeat(60) }] }, { image: IMAGE }))).toBe("CLAWHOST_RENDER_UNSUPPORTED");
    expect(await codeOf(renderKubernetes({ host, gateways: [{ name: "a" }] }, { image: IMAGE, storage: "lots" }))).toBe("CLAWHOST_INVALID_OPTIONS");
    expect(await codeOf(renderKubernetes({ host, gateways: [{ name: "a" }] }, { image: IMAGE, bogus: 1 } as never))).toBe("CLAWHOST_INVALID_OPTIONS");
  });
});
