import type { IIoK8sApiCoreV1Container } from "kubernetes-models/v1/Container";
import type { IIoK8sApiCoreV1EnvVar } from "kubernetes-models/v1/EnvVar";
import type { IIoK8sApiCoreV1Probe } from "kubernetes-models/v1/Probe";
import { isSecretEnvKey } from "../context/env.js";
import { resolveRuntime } from "../process/runtime.js";
import { gatewayArgs } from "../process/spawn.js";
import { isInside } from "../fs/safety.js";
import { deriveFleet } from "./fleet.js";
import type { DerivedGateway } from "./fleet.js";
import { renderUnsupported } from "./errors.js";
import { normalizeKubernetesOptions } from "./options.js";
import type { KubernetesRenderOptions, NormalizedKubernetesOptions, RenderedFile, RenderFleet } from "./options.js";
import type { NormalizedHostOptions } from "../context/schema.js";

type Models = typeof import("./models.js");

const SEED_DIR = "/etc/clawhost/seed";
const SEED_FILE = "openclaw.json";
const TOKEN_KEY = "OPENCLAW_GATEWAY_TOKEN";

/** An exec probe: Node asks the gateway on loopback and checks the JSON body, since the Control UI answers unknown paths with 200. */
function probe(port: number, path: "/readyz" | "/healthz", periodSeconds: number, failureThreshold: number): IIoK8sApiCoreV1Probe {
  const ok = path === "/readyz" ? "b.ready===true" : 'b.ok===true&&b.status==="live"';
  const script = `fetch("http://127.0.0.1:${port}${path}",{signal:AbortSignal.timeout(4000)}).then(r=>r.json()).then(b=>process.exit(${ok}?0:1),()=>process.exit(1))`;
  return { exec: { command: ["node", "-e", script] }, periodSeconds, timeoutSeconds: 5, failureThreshold };
}

/** The init container's work: the gateway's dirs, and the config copied from the ConfigMap only when the volume has none. */
function seedScript(g: DerivedGateway): string {
  const dirs = g.ctx.ownedDirs.filter((d) => d !== g.ctx.tmpDir);
  const args = JSON.stringify([`${SEED_DIR}/${SEED_FILE}`, g.ctx.configPath, dirs]);
  return `const fs=require("node:fs");const [seed,cfg,dirs]=${args};for(const d of dirs)fs.mkdirSync(d,{recursive:true,mode:0o700});if(!fs.existsSync(cfg)){fs.copyFileSync(seed,cfg+".seed");fs.chmodSync(cfg+".seed",0o600);fs.renameSync(cfg+".seed",cfg)}`;
}

function objectName(fleet: string, gateway: string): string {
  return `${fleet}-${gateway.toLowerCase().replaceAll("_", "-")}`;
}

function gatewayObjects(m: Models, g: DerivedGateway, o: NormalizedKubernetesOptions, host: NormalizedHostOptions, image: string) {
  const { ctx } = g;
  const name = objectName(o.name, ctx.name);
  const port = ctx.ports.gateway;
  const labels = { "app.kubernetes.io/name": "openclaw", "app.kubernetes.io/instance": name };
  const meta = {
    name,
    labels: { ...labels, "app.kubernetes.io/part-of": `clawhost-${o.name}`, "app.kubernetes.io/managed-by": "clawhost" },
    annotations: { "clawhost/gateway": ctx.name, "clawhost/ports": `${ctx.ports.block.start}-${ctx.ports.block.end}` },
  };
  const secretKeys = Object.keys(g.spec.env).filter(isSecretEnvKey);
  const env: IIoK8sApiCoreV1EnvVar[] = [
    ...Object.entries(ctx.env).filter(([k]) => !secretKeys.includes(k)).map(([k, v]) => ({ name: k, value: v })),
    ...[TOKEN_KEY, ...secretKeys].map((k) => ({ name: k, valueFrom: { secretKeyRef: { name, key: k } } })),
  ];
  const args = gatewayArgs(ctx);
  args[args.indexOf("--bind") + 1] = o.bind;
  const securityContext = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } };
  const gateway: IIoK8sApiCoreV1Container = {
    name: "gateway",
    image,
    command: [...o.command, ...args],
    workingDir: ctx.cwd,
    env,
    ports: [{ name: "gateway", containerPort: port, protocol: "TCP" }],
    // A boot takes 8-20 s of CPU on 2 cores; five minutes as OpenClaw's own manifests allow.
    startupProbe: probe(port, "/readyz", 5, 60),
    readinessProbe: probe(port, "/readyz", 10, 3),
    livenessProbe: probe(port, "/healthz", 30, 3),
    resources: { requests: { ...o.requests }, limits: { ...o.limits } },
    securityContext,
    volumeMounts: [
      { name: "data", mountPath: ctx.dir },
      { name: "tmp", mountPath: ctx.tmpDir },
      { name: "system-tmp", mountPath: "/tmp" },
    ],
  };
  const seed: IIoK8sApiCoreV1Container = {
    name: "seed",
    image,
    command: ["node", "-e", seedScript(g)],
    securityContext,
    resources: { requests: { memory: "64Mi", cpu: "50m" }, limits: { memory: "256Mi" } },
    volumeMounts: [
      { name: "data", mountPath: ctx.dir },
      { name: "seed", mountPath: SEED_DIR, readOnly: true },
    ],
  };
  const configMap = new m.ConfigMap({ metadata: meta, data: { [SEED_FILE]: `${JSON.stringify(g.config, null, 2)}\n` } });
  const service = new m.Service({
    metadata: meta,
    spec: { type: "ClusterIP", selector: labels, ports: [{ name: "gateway", port, targetPort: "gateway", protocol: "TCP" }] },
  });
  const statefulSet = new m.StatefulSet({
    metadata: meta,
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: meta.labels, annotations: meta.annotations },
        spec: {
          // The gateway needs no API access and no other service's env: as isolated as on the host.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: Math.ceil(host.stopTimeoutMs / 1000),
          securityContext: { runAsUser: o.uid, runAsGroup: o.uid, fsGroup: o.uid, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          initContainers: [seed],
          containers: [gateway],
          volumes: [
            { name: "seed", configMap: { name } },
            { name: "tmp", emptyDir: {} },
            { name: "system-tmp", emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data", labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: o.storage } },
            ...(o.storageClassName === undefined ? {} : { storageClassName: o.storageClassName }),
          },
        },
      ],
    },
  });
  const secret = new m.Secret({
    metadata: meta,
    type: "Opaque",
    stringData: Object.fromEntries([[TOKEN_KEY, g.token], ...secretKeys.map((k) => [k, g.spec.env[k]!])]),
  });
  return { name, configMap, service, statefulSet, secret };
}

type Yaml = typeof import("yaml");

function yamlDocs(YAML: Yaml, objects: ReadonlyArray<{ toJSON(): unknown }>): string {
  return objects.map((obj) => YAML.stringify(obj.toJSON(), { lineWidth: 0 })).join("---\n");
}

/** Everything a gateway keeps must lie on its volume (`<root>/<name>`): a path outside it would vanish with the pod. */
function assertOnVolume(g: DerivedGateway): void {
  for (const [what, p] of [["config path", g.ctx.configPath], ["state dir", g.ctx.stateDir], ["workspace", g.ctx.workspace]] as const) {
    if (!isInside(g.ctx.dir, p)) {
      throw renderUnsupported("kubernetes", g.ctx.name, `the ${what} ${p} lies outside the gateway's volume ${g.ctx.dir}.`, p, "drop paths / agents.defaults.workspace from the spec for Kubernetes: each gateway's volume holds all of its state.");
    }
  }
}

/**
 * Render a fleet as Kubernetes objects, per gateway: a StatefulSet of one replica (its
 * volume, from a volumeClaimTemplate, holds the gateway's whole `<root>/<name>`: config,
 * state dir, workspace, home), a ClusterIP Service on the gateway port, a Secret with the
 * token (the one already in the fleet's root, else a fresh one; nowhere else), and a
 * ConfigMap with the first config, which an init container copies only when the volume
 * has none. Startup and readiness probes ask `/readyz`, liveness `/healthz`, each checking
 * the JSON body; the pod runs as a non-root user on a read-only root filesystem (emptyDirs
 * for `/tmp` and the gateway's TMPDIR). Paths, env and argv come from the code the local
 * host runs (`InstanceContext`, the gateway argv), with `--bind lan` so the Service reaches
 * it. A `kustomization.yaml` lists everything (`kubectl apply -k <dir>`). Nothing is written.
 *
 * @example
 * ```ts
 * import { renderKubernetes } from "clawhost";
 * const files = await renderKubernetes({ host: { root: "/srv/claw" }, gateways: [{ name: "main" }] }, { name: "prod", namespace: "claw" });
 * files.map((f) => f.path); // ["main.yaml", "main.secret.yaml", "kustomization.yaml"]
 * ```
 */
export async function renderKubernetes(fleet: RenderFleet, options?: KubernetesRenderOptions): Promise<RenderedFile[]> {
  const o = normalizeKubernetesOptions(options);
  const { host, gateways } = await deriveFleet(fleet, { target: "kubernetes", root: o.root, tokens: o.tokens });
  const byName = new Map<string, string>();
  for (const g of gateways) {
    assertOnVolume(g);
    const name = objectName(o.name, g.ctx.name);
    if (!/^[a-z]([a-z0-9-]{0,50}[a-z0-9])?$/.test(name)) {
      throw renderUnsupported("kubernetes", g.ctx.name, `the object name ${name} is no DNS label of at most 52 characters starting with a letter (a StatefulSet's pods and revisions add to it).`, name, "shorten the fleet or gateway name, and start the fleet name with a letter.");
    }
    const other = byName.get(name);
    if (other !== undefined) {
      throw renderUnsupported("kubernetes", g.ctx.name, `gateways ${other} and ${g.ctx.name} both become the object name ${name}.`, name, "rename one of them (Kubernetes names are lowercase, with '-' for '_').");
    }
    byName.set(name, g.ctx.name);
  }
  const image = o.image ?? `ghcr.io/openclaw/openclaw:${resolveRuntime({ bin: host.openclaw.bin, node: host.openclaw.node, searchFrom: host.openclaw.searchFrom }).openclawVersion}`;
  const m: Models = await import("./models.js");
  // Loaded here, not with the SDK: ~10 MB of RSS that a host that never renders never pays.
  const YAML: Yaml = await import("yaml");
  const files: RenderedFile[] = [];
  for (const g of gateways) {
    const { configMap, service, statefulSet, secret } = gatewayObjects(m, g, o, host, image);
    files.push({ path: `${g.ctx.name}.yaml`, content: yamlDocs(YAML, [configMap, service, statefulSet]) });
    files.push({ path: `${g.ctx.name}.secret.yaml`, content: yamlDocs(YAML, [secret]), mode: 0o600 });
  }
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
    resources: files.map((f) => f.path),
  };
  files.push({ path: "kustomization.yaml", content: YAML.stringify(kustomization, { lineWidth: 0 }) });
  return files;
}
