// renderSystemd on a 3-gateway fleet: units systemd itself accepts (systemd-analyze verify,
// system and user scope), the policy of the issue, the token only in its credential file.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isClawhostError, renderSystemd } from "clawhost";
import type { RenderedFile } from "clawhost";
import { makeTmp } from "../helpers.js";
import { SPEC_SECRET, threeGateways } from "./fleet.js";

const tmp = makeTmp("render-systemd");
afterAll(() => tmp.cleanup());

const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";

function writeAll(dir: string, files: readonly RenderedFile[]): void {
  for (const f of files) {
    mkdirSync(join(dir, f.path, ".."), { recursive: true });
    writeFileSync(join(dir, f.path), f.content, { mode: f.mode ?? 0o644 });
  }
}

function verify(dir: string, files: readonly RenderedFile[], scope: "user" | "system"): Promise<{ code: number; out: string }> {
  const units = files.filter((f) => /\.(service|target)$/.test(f.path)).map((f) => join(dir, f.path));
  const xdg = join(tmp.dir, "xdg-runtime");
  mkdirSync(xdg, { recursive: true, mode: 0o700 });
  // A user manager needs a runtime dir; verify loads the units offline either way.
  const env = { ...process.env, XDG_RUNTIME_DIR: xdg, SYSTEMD_LOG_COLOR: "0" };
  return new Promise((resolve) => {
    execFile(SYSTEMD_ANALYZE, [...(scope === "user" ? ["--user"] : []), "verify", ...units], { env }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

function unit(files: readonly RenderedFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in ${files.map((x) => x.path).join(", ")}`);
  return f.content;
}

/**
 * The argv systemd makes of an ExecStart= value (systemd.service(7), "Command lines"):
 * specifiers (`%%`), then words with quotes and C escapes, then `$$` to `$` (a lone `$`
 * would be a variable systemd expands itself: refused here).
 */
function execArgv(value: string): string[] {
  const line = value.replaceAll("%%", "%");
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === " ") i++;
    if (i >= line.length) break;
    let word = "";
    let quote: string | undefined;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (quote === undefined && c === " ") break;
      if (c === "\\") word += line[++i];
      else if (quote === undefined && (c === '"' || c === "'")) quote = c;
      else if (c === quote) quote = undefined;
      else word += c;
    }
    if (/(^|[^$])\$([^$]|$)/.test(word.replaceAll("$$", ""))) throw new Error(`a lone $ in ${word}`);
    words.push(word.replaceAll("$$", "$"));
  }
  return words;
}

function settings(text: string, key: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

describe("renderSystemd", () => {
  const root = join(tmp.dir, "root");

  it("renders a unit per gateway, a target, configs, tokens and install.sh", async () => {
    const files = await renderSystemd(threeGateways(root), { name: "demo" });
    expect(files.map((f) => f.path)).toEqual([
      "clawhost-demo-main.service",
      "clawhost-demo-rescue.service",
      "clawhost-demo-worker_2.service",
      "clawhost-demo.target",
      "config/main.json",
      "secrets/main.token",
      "config/rescue.json",
      "secrets/rescue.token",
      "config/worker_2.json",
      "secrets/worker_2.token",
      "secrets/worker_2.env",
      "install.sh",
    ]);
    for (const f of files) {
      if (f.path.startsWith("secrets/") || f.path.startsWith("config/")) expect(f.mode, f.path).toBe(0o600);
    }
    expect(files.find((f) => f.path === "install.sh")?.mode).toBe(0o755);
    const main = unit(files, "clawhost-demo-main.service");
    expect(settings(main, "Restart")).toEqual(["always"]);
    expect(settings(main, "RestartSec")).toEqual(["5"]);
    expect(settings(main, "RestartPreventExitStatus")).toEqual(["78"]);
    expect(settings(main, "KillMode")).toEqual(["control-group"]);
    // The fleet's own policy: maxFailures 4 in the default 300 s window; its stop deadline.
    expect(settings(main, "StartLimitBurst")).toEqual(["4"]);
    expect(settings(main, "StartLimitIntervalSec")).toEqual(["300"]);
    expect(settings(main, "TimeoutStopSec")).toEqual(["20"]);
    expect(settings(main, "PartOf")).toEqual(["clawhost-demo.target"]);
    expect(settings(main, "WantedBy")).toEqual(["clawhost-demo.target"]);
    expect(settings(main, "LoadCredential")).toEqual([`gateway-token:${join(root, "main", "secrets", "gateway.token")}`]);
    expect(settings(main, "WorkingDirectory")).toEqual([join(root, "main", "run")]);
    const argv = execArgv(settings(main, "ExecStart")[0]!);
    expect(argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(argv.slice(3)).toEqual([expect.stringMatching(/\/node$/), expect.stringMatching(/\/openclaw\.mjs$/), "gateway", "--allow-unconfigured", "--port", "20120", "--bind", "loopback"]);
    expect(execArgv(settings(unit(files, "clawhost-demo-rescue.service"), "ExecStart")[0]!)).toContain("20360");
    expect(execArgv(settings(unit(files, "clawhost-demo-worker_2.service"), "ExecStart")[0]!)).toContain("20240");
    const target = unit(files, "clawhost-demo.target");
    expect(settings(target, "Wants")).toEqual(["clawhost-demo-main.service clawhost-demo-rescue.service clawhost-demo-worker_2.service"]);
    expect(settings(target, "WantedBy")).toEqual(["default.target"]);
  });

  it("passes systemd-analyze verify, user and system scope", async () => {
    expect(existsSync(SYSTEMD_ANALYZE), `${SYSTEMD_ANALYZE} is installed`).toBe(true);
    for (const scope of ["user", "system"] as const) {
      const files = await renderSystemd(threeGateways(root), { name: "demo", scope, ...(scope === "system" ? { user: "root" } : {}) });
      const dir = join(tmp.dir, `verify-${scope}`);
      writeAll(dir, files);
      const r = await verify(dir, files, scope);
      expect(r, `${scope}: ${r.out}`).toEqual({ code: 0, out: "" });
    }
  });

  it("verify fails on a unit systemd rejects (the check can fail)", async () => {
    const files = await renderSystemd(threeGateways(root), { name: "demo" });
    const broken = files.map((f) => (f.path === "clawhost-demo-main.service" ? { ...f, content: f.content.replace(/^ExecStart=\/bin\/sh/m, "ExecStart=/nonexistent/sh") } : f));
    const dir = join(tmp.dir, "verify-broken");
    writeAll(dir, broken);
    const r = await verify(dir, broken, "system");
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("/nonexistent/sh");
  });

  it("puts the token only in its credential file, and a spec's secret env only in the env file", async () => {
    const files = await renderSystemd(threeGateways(root), { name: "demo" });
    for (const name of ["main", "rescue", "worker_2"]) {
      const token = unit(files, `secrets/${name}.token`).trim();
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      for (const f of files) if (f.path !== `secrets/${name}.token`) expect(f.content.includes(token), `${name}'s token in ${f.path}`).toBe(false);
    }
    for (const f of files) if (f.path !== "secrets/worker_2.env") expect(f.content.includes(SPEC_SECRET), `spec secret in ${f.path}`).toBe(false);
    const worker = unit(files, "clawhost-demo-worker_2.service");
    expect(settings(worker, "EnvironmentFile")).toEqual([join(root, "worker_2", "secrets", "gateway.env")]);
    expect(unit(files, "secrets/worker_2.env")).toBe(`ANTHROPIC_API_KEY="${SPEC_SECRET}"\n`);
    expect(settings(worker, "Environment")).toContain('"REGION=eu west 1"');
  });

  it("the ExecStart wrapper reads the credential into the env of the command it execs, not its argv", async () => {
    const files = await renderSystemd(threeGateways(root), { name: "demo" });
    const argv = execArgv(settings(unit(files, "clawhost-demo-main.service"), "ExecStart")[0]!);
    const creds = join(tmp.dir, "credentials");
    mkdirSync(creds, { recursive: true });
    writeFileSync(join(creds, "gateway-token"), unit(files, "secrets/main.token"));
    // The gateway's command replaced by a witness that prints its argv and env.
    const witness = ["/bin/sh", "-c", 'printf "argv:%s\\n" "$0" "$@"; env', "witness-arg"];
    const out = await new Promise<string>((resolve, reject) => {
      execFile(argv[0]!, [argv[1]!, argv[2]!, ...witness], { env: { PATH: "/usr/bin:/bin", CREDENTIALS_DIRECTORY: creds } }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    const token = unit(files, "secrets/main.token").trim();
    expect(out).toContain(`OPENCLAW_GATEWAY_TOKEN=${token}\n`);
    expect(out.split("\n").filter((l) => l.startsWith("argv:"))).toEqual(["argv:witness-arg"]);
  });

  it("with token: environment-file, the token travels in the 0600 env file, never in the unit", async () => {
    const files = await renderSystemd(threeGateways(root), { name: "demo", token: "environment-file" });
    expect(files.some((f) => f.path.endsWith(".token"))).toBe(false);
    const env = files.find((f) => f.path === "secrets/main.env")!;
    expect(env.mode).toBe(0o600);
    const token = /^OPENCLAW_GATEWAY_TOKEN="([0-9a-f]{64})"$/m.exec(env.content)?.[1];
    expect(token).toBeDefined();
    for (const f of files) if (f.path !== "secrets/main.env") expect(f.content.includes(token!), f.path).toBe(false);
    const main = unit(files, "clawhost-demo-main.service");
    expect(settings(main, "LoadCredential")).toEqual([]);
    expect(settings(main, "ExecStart")[0]).toMatch(/^\S+node \S+openclaw\.mjs gateway /);
  });

  it("uses the token already in a gateway's root, and renders the same files twice", async () => {
    const own = join(tmp.dir, "own-root");
    mkdirSync(join(own, "main", "secrets"), { recursive: true, mode: 0o700 });
    const token = "ab".repeat(32);
    writeFileSync(join(own, "main", "secrets", "gateway.token"), `${token}\n`, { mode: 0o600 });
    const first = await renderSystemd(threeGateways(own), { name: "demo" });
    expect(unit(first, "secrets/main.token")).toBe(`${token}\n`);
    const again = await renderSystemd(threeGateways(own), { name: "demo" });
    const stable = (fs: RenderedFile[]) => fs.filter((f) => !f.path.endsWith(".token") || f.path === "secrets/main.token");
    expect(stable(again)).toEqual(stable(first));
    // Rendering read the file and changed nothing: no other token file appeared.
    expect(existsSync(join(own, "rescue"))).toBe(false);
    expect(statSync(join(own, "main", "secrets", "gateway.token")).mode & 0o777).toBe(0o600);
  });

  it("install.sh creates the dirs, puts config and token in place once, links the units", async () => {
    const target = join(tmp.dir, "installed");
    const files = await renderSystemd(threeGateways(target), { name: "demo" });
    const dir = join(tmp.dir, "install-out");
    writeAll(dir, files);
    const bin = join(tmp.dir, "fake-bin");
    mkdirSync(bin, { recursive: true });
    const calls = join(tmp.dir, "systemctl.calls");
    writeFileSync(join(bin, "systemctl"), `#!/bin/sh\necho "$@" >> ${calls}\n`, { mode: 0o755 });
    const run = () =>
      new Promise<number>((resolve) => {
        execFile("/bin/sh", [join(dir, "install.sh")], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } }, (err) => resolve(err ? ((err as { code?: number }).code ?? -1) : 0));
      });
    expect(await run()).toBe(0);
    for (const name of ["main", "rescue", "worker_2"]) {
      for (const d of ["state", "workspace", "config", "home", "tmp", "cache", "run", "secrets", "logs"]) {
        expect(statSync(join(target, name, d)).mode & 0o777, `${name}/${d}`).toBe(0o700);
      }
      expect(readFileSync(join(target, name, "secrets", "gateway.token"), "utf8")).toBe(unit(files, `secrets/${name}.token`));
      expect(statSync(join(target, name, "secrets", "gateway.token")).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(join(target, name, "config", "openclaw.json"), "utf8"))).toEqual(JSON.parse(unit(files, `config/${name}.json`)));
    }
    // A gateway's own config wins over a second install.
    writeFileSync(join(target, "main", "config", "openclaw.json"), "{ changed: true }\n");
    expect(await run()).toBe(0);
    expect(readFileSync(join(target, "main", "config", "openclaw.json"), "utf8")).toBe("{ changed: true }\n");
    expect(readFileSync(calls, "utf8").split("\n")[0]).toBe(
      `--user link ${["clawhost-demo-main.service", "clawhost-demo-rescue.service", "clawhost-demo-worker_2.service", "clawhost-demo.target"].map((u) => join(dir, u)).join(" ")}`,
    );
  });

  it("refuses bad options and fleets with typed errors", async () => {
    const codeOf = async (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (isClawhostError(e) ? e.code : String(e)));
    expect(await codeOf(renderSystemd(threeGateways(root), { name: "Bad Name" }))).toBe("CLAWHOST_INVALID_OPTIONS");
    expect(await codeOf(renderSystemd(threeGateways(root), { scope: "user", user: "claw" }))).toBe("CLAWHOST_INVALID_OPTIONS");
    expect(await codeOf(renderSystemd(threeGateways(root), { tokens: { nobody: "ab".repeat(32) } }))).toBe("CLAWHOST_INVALID_OPTIONS");
    expect(await codeOf(renderSystemd({ host: { root }, gateways: [{ name: "a", profile: true }] }))).toBe("CLAWHOST_RENDER_UNSUPPORTED");
    expect(await codeOf(renderSystemd({ host: { root }, gateways: [{ name: "a", port: 30000 }, { name: "b", port: 30050 }] }))).toBe("CLAWHOST_PORT_OVERLAP");
    expect(await codeOf(renderSystemd({ host: { root, ports: { from: 30000, to: 30200 } }, gateways: [{ name: "a" }, { name: "b" }] }))).toBe("CLAWHOST_PORTS_EXHAUSTED");
    expect(await codeOf(renderSystemd({ host: { root }, gateways: [{ name: "a" }, { name: "a" }] }))).toBe("CLAWHOST_DUPLICATE_NAME");
    expect(await codeOf(renderSystemd({ host: { root }, gateways: [{ name: "a", env: { X: "line\nbreak" } }] }))).toBe("CLAWHOST_RENDER_UNSUPPORTED");
  });
});
