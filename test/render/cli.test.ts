// `clawhost render` through the built bin: files and modes on disk, --json, exit codes.
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_OPENCLAW, makeTmp } from "../helpers.js";
import { clawhost, clawhostJson, writeFleet } from "../cli/run.js";
import { GATEWAYS, PORTS } from "./fleet.js";

const tmp = makeTmp("render-cli");
const cwd = join(tmp.dir, "prod");
afterAll(() => tmp.cleanup());

beforeAll(() => {
  mkdirSync(cwd, { recursive: true });
  writeFleet(cwd, { root: "./gateways", ports: PORTS, openclaw: { bin: FAKE_OPENCLAW }, gateways: Object.fromEntries(GATEWAYS.map(({ name, ...spec }) => [name, spec])) });
});

type Written = { target: string; name: string; out: string; files: Array<{ path: string; mode: string; bytes: number }> };

const mode = (p: string) => statSync(p).mode & 0o777;

describe("clawhost render", () => {
  it("systemd: writes the units, 0600 for tokens and configs, 0700 dirs; --json lists them", async () => {
    const r = await clawhostJson<Written>(cwd, ["render", "systemd", "-o", "units"]);
    expect(r.code, r.stderr).toBe(0);
    const out = join(cwd, "units");
    expect(r.json.target).toBe("systemd");
    expect(r.json.name).toBe("prod");
    expect(r.json.out).toBe(out);
    expect(r.json.files.map((f) => f.path)).toContain("clawhost-prod-main.service");
    expect(mode(out)).toBe(0o700);
    expect(mode(join(out, "secrets"))).toBe(0o700);
    for (const f of r.json.files) {
      expect(mode(join(out, f.path)).toString(8).padStart(4, "0"), f.path).toBe(f.mode);
      expect(readFileSync(join(out, f.path)).length).toBe(f.bytes);
    }
    expect(r.json.files.filter((f) => f.mode === "0600").map((f) => f.path).sort()).toEqual(
      ["config/main.json", "config/rescue.json", "config/worker_2.json", "secrets/main.token", "secrets/rescue.token", "secrets/worker_2.env", "secrets/worker_2.token"],
    );
    expect(readFileSync(join(out, "clawhost-prod-main.service"), "utf8")).toContain(`LoadCredential=gateway-token:${join(cwd, "gateways", "main", "secrets", "gateway.token")}`);
    // No token on stdout.
    const token = readFileSync(join(out, "secrets", "main.token"), "utf8").trim();
    expect(JSON.stringify(r.json)).not.toContain(token);
  });

  it("kubernetes: text output names each file and its mode", async () => {
    const r = await clawhost(cwd, ["render", "kubernetes", "-o", "k8s", "--image", "ghcr.io/openclaw/openclaw:2026.9.6", "--namespace", "claw"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "k8s/main.yaml  0644",
      "k8s/main.secret.yaml  0600",
      "k8s/rescue.yaml  0644",
      "k8s/rescue.secret.yaml  0600",
      "k8s/worker_2.yaml  0644",
      "k8s/worker_2.secret.yaml  0600",
      "k8s/kustomization.yaml  0644",
    ]);
    expect(mode(join(cwd, "k8s", "main.secret.yaml"))).toBe(0o600);
    expect(readFileSync(join(cwd, "k8s", "kustomization.yaml"), "utf8")).toContain("namespace: claw");
  });

  it("a bad target, a missing -o, a bad option value: exit 2 and nothing written", async () => {
    const bad = await clawhostJson<{ error: { code: string } }>(cwd, ["render", "nomad", "-o", "bad"]);
    expect(bad.code).toBe(2);
    expect(bad.json.error.code).toBe("CLAWHOST_INVALID_ARGUMENT");
    expect((await clawhost(cwd, ["render", "systemd"])).code).toBe(2);
    const name = await clawhostJson<{ error: { code: string; message: string } }>(cwd, ["render", "systemd", "-o", "bad", "--name", "Not A Name"]);
    expect(name.code).toBe(2);
    expect(name.json.error.code).toBe("CLAWHOST_INVALID_ARGUMENT");
    expect((await clawhost(cwd, ["render", "systemd", "-o", "bad", "--scope", "galaxy"])).code).toBe(2);
    expect((await clawhost(cwd, ["render", "systemd", "-o", "bad", "--node", "/usr/bin/node"])).code).toBe(2);
    expect(existsSync(join(cwd, "bad"))).toBe(false);
  });

  it("a fleet render cannot carry: exit 1 with the gateway named; a bad spec: exit 3", async () => {
    const dir = join(tmp.dir, "other");
    mkdirSync(dir, { recursive: true });
    writeFleet(dir, { root: "./g", openclaw: { bin: FAKE_OPENCLAW }, gateways: { a: { paths: { stateDir: "/srv/elsewhere" } } } });
    const r = await clawhostJson<{ error: { code: string; gateway: string } }>(dir, ["render", "kubernetes", "-o", "k8s", "--image", "x:1"]);
    expect(r.code).toBe(1);
    expect(r.json.error).toMatchObject({ code: "CLAWHOST_RENDER_UNSUPPORTED", gateway: "a" });
    writeFleet(dir, { root: "./g", openclaw: { bin: FAKE_OPENCLAW }, gateways: { a: { port: "x" } } });
    const spec = await clawhostJson<{ error: { code: string; message: string } }>(dir, ["render", "systemd", "-o", "units"]);
    expect(spec.code).toBe(3);
    expect(spec.json.error.code).toBe("CLAWHOST_FLEET_FILE_INVALID");
    expect(spec.json.error.message).toContain("gateways.a.port");
  });
});
