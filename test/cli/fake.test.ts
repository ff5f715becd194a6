// The built `clawhost` bin against the fault-injection gateway: every exit code, a detached
// fleet controlled by later invocations, a crash in ps, config, in-place restart, logs, down.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readProc } from "../../src/fs/proc.js";
import { FAKE_OPENCLAW, makeTmp, processesUnder } from "../helpers.js";
import { BIN, clawhost, clawhostJson, leasesOf, NODE, Running, writeFleet } from "./run.js";

// 15480-15959 (four 120-aligned blocks) is used by no other test file.
const DETACHED = { from: 15480, to: 15719 };
const FOREGROUND = { from: 15720, to: 15959 };

type PsJson = { supervisor: number | null; gateways: Array<{ name: string; state: string; pid?: number; ports: string; restarts: number; rssBytes?: number }> };

const tmp = makeTmp("cli");
const leaseDir = join(tmp.dir, "leases");
const cwd = join(tmp.dir, "fleet");
const root = join(cwd, "gateways");

// A zombie (killed, not reaped yet) is not alive.
function alive(pid: number): boolean {
  const p = readProc(pid);
  return p !== undefined && p.state !== "Z" && p.state !== "X";
}

beforeAll(() => {
  mkdirSync(cwd, { recursive: true });
  writeFleet(cwd, {
    $schema: "../node_modules/clawhost/dist/fleet.schema.json",
    root: "./gateways",
    leaseDir,
    ports: DETACHED,
    openclaw: { bin: FAKE_OPENCLAW },
    // rescue writes a line every 500 ms: something for logs -f to follow.
    gateways: { main: {}, rescue: { env: { FAKE_GATEWAY_LOG_BURST: "1", FAKE_GATEWAY_LOG_BURSTS: "1000000", FAKE_GATEWAY_LOG_BURST_EVERY_MS: "500" } } },
  });
});

afterAll(async () => {
  try {
    // Whatever a failed test left: down ends it; then nothing may be left.
    await clawhost(cwd, ["down"]);
    for (const f of ["fg", "stubborn", "tty"]) await clawhost(cwd, ["-f", `${f}.json5`, "down"]);
    expect(processesUnder([root, ...["fg", "stubborn", "tty"].map((f) => join(cwd, f))])).toEqual([]);
    expect(leasesOf(leaseDir, root)).toEqual([]);
  } finally {
    tmp.cleanup();
  }
});

describe("exit codes", () => {
  it("0 for --help, 2 for an unknown command, option or gateway, 3 for a missing or invalid fleet file", async () => {
    expect((await clawhost(cwd, ["--help"])).code).toBe(0);
    expect((await clawhost(cwd, ["frobnicate"])).code).toBe(2);
    expect((await clawhost(cwd, ["ps", "--frob"])).code).toBe(2);
    const unknown = await clawhostJson<{ error: { code: string } }>(cwd, ["stop", "nosuch"]);
    expect([unknown.code, unknown.json.error.code]).toEqual([2, "CLAWHOST_UNKNOWN_GATEWAY"]);

    const missing = await clawhostJson<{ error: { code: string; message: string } }>(tmp.dir, ["ps"]);
    expect([missing.code, missing.json.error.code]).toEqual([3, "CLAWHOST_FLEET_FILE_NOT_FOUND"]);

    const bad = writeFleet(tmp.dir, { root: "./x", leaseDir, openclaw: { bin: FAKE_OPENCLAW }, ports: DETACHED, gateways: { main: { prot: 1 } } }, "bad.json5");
    const invalid = await clawhostJson<{ error: { code: string; message: string; details: { issues: Array<{ path: string }> } } }>(tmp.dir, ["-f", bad, "ps"]);
    expect([invalid.code, invalid.json.error.code]).toEqual([3, "CLAWHOST_FLEET_FILE_INVALID"]);
    expect(invalid.json.error.message).toContain(bad);
    expect(invalid.json.error.details.issues.map((i) => i.path)).toEqual(["gateways.main.prot"]);
    expect(invalid.json.error.message).toContain('did you mean "port"');

    const notJson5 = writeFleet(tmp.dir, {}, "broken.json5");
    await import("node:fs").then((fs) => fs.writeFileSync(notJson5, "{ gateways: { main: {} "));
    expect((await clawhost(tmp.dir, ["-f", notJson5, "ps"])).code).toBe(3);
  });

  it("1 when a gateway is not ready: up --detach never reports a failed gateway as up", async () => {
    const dir = join(tmp.dir, "never");
    mkdirSync(dir);
    writeFleet(dir, { root: "./g", leaseDir, ports: FOREGROUND, openclaw: { bin: FAKE_OPENCLAW }, gateways: { stuck: { env: { FAKE_GATEWAY_NEVER_READY: "1" } } } });
    let downed = false;
    try {
      const up = await clawhostJson<{ gateways: Array<{ name: string; state: string; error?: { code: string } }> }>(dir, ["up", "--detach", "--wait-timeout", "1500"]);
      expect(up.code).toBe(1);
      expect(up.json.gateways[0]).toMatchObject({ name: "stuck", error: { code: "CLAWHOST_READINESS_TIMEOUT" } });
      expect(up.json.gateways[0]!.state).not.toBe("ready");
      expect(processesUnder([join(dir, "g")])).toEqual([]);
      expect((await clawhost(dir, ["down"])).code).toBe(0);
      downed = true;
      expect(leasesOf(leaseDir, join(dir, "g"))).toEqual([]);
    } finally {
      // Whatever a failed up left detached must not hold its lease into the next tests.
      if (!downed) await clawhost(dir, ["down"]);
    }
  });
});

describe("a detached fleet", () => {
  let pids: Record<string, number> = {};

  it("up --detach starts two gateways, returns when both are ready, and leaves them running", async () => {
    const up = await clawhost(cwd, ["up", "--detach"]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^main {2}ready/m);
    expect(up.stdout).toMatch(/^rescue {2}ready/m);
    const ps = await clawhostJson<PsJson>(cwd, ["ps"]);
    expect(ps.code).toBe(0);
    expect(ps.json.gateways.map((g) => [g.name, g.state, g.ports])).toEqual([
      ["main", "ready", "15480-15590"],
      ["rescue", "ready", "15600-15710"],
    ]);
    pids = Object.fromEntries(ps.json.gateways.map((g) => [g.name, g.pid!]));
    for (const pid of Object.values(pids)) expect(alive(pid)).toBe(true);
    expect(ps.json.gateways.every((g) => (g.rssBytes ?? 0) > 0)).toBe(true);
  });

  it("a second up adopts what runs: same pids, nothing spawned", async () => {
    const up = await clawhost(cwd, ["up", "--detach"]);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain("already running");
    const ps = await clawhostJson<PsJson>(cwd, ["ps"]);
    expect(Object.fromEntries(ps.json.gateways.map((g) => [g.name, g.pid]))).toEqual(pids);
    // The options work after the command too.
    const after = await clawhost(tmp.dir, ["ps", "--json", "--file", join(cwd, "clawhost.json5")]);
    expect((JSON.parse(after.stdout) as PsJson).gateways.map((g) => g.pid)).toEqual(Object.values(pids));
  });

  it("doctor finds nothing on a healthy fleet (exit 0)", async () => {
    const doctor = await clawhostJson<{ ok: boolean; checks: Array<{ check: string; ok: boolean }> }>(cwd, ["doctor"]);
    expect([doctor.code, doctor.json.ok]).toEqual([0, true]);
    expect(doctor.json.checks.map((c) => c.check)).toContain("runtime");
  });

  it("ps fits the terminal's width", async () => {
    const narrow = await clawhost(cwd, ["ps"], { COLUMNS: "40" });
    for (const line of narrow.stdout.trimEnd().split("\n")) expect(line.length).toBeLessThanOrEqual(40);
    expect(narrow.stdout).toMatch(/^NAME +STATE/);
    const wide = await clawhost(cwd, ["ps"], { COLUMNS: "200" });
    expect(wide.stdout.split("\n")[0]).toMatch(/NAME +STATE +PID +PORTS +UPTIME +RESTARTS +CPU +MEM/);
  });

  it("config set on a running gateway goes through the gateway, and config get reads it back", async () => {
    const set = await clawhostJson<{ applied: string; changedPaths: string[] }>(cwd, ["config", "set", "main", "env.vars.REGION", '"eu"']);
    expect(set.code).toBe(0);
    expect(set.json).toMatchObject({ applied: "live", changedPaths: ["env.vars.REGION"] });
    const get = await clawhost(cwd, ["config", "get", "main", "env.vars.REGION"]);
    expect([get.code, JSON.parse(get.stdout)]).toEqual([0, "eu"]);
    const patch = await clawhost(cwd, ["config", "patch", "main", '{"env":{"vars":{"REGION":null,"ZONE":"b"}}}']);
    expect(patch.code).toBe(0);
    const after = await clawhost(cwd, ["config", "get", "main", "env.vars"]);
    expect(JSON.parse(after.stdout)).toEqual({ ZONE: "b" });
    expect((await clawhost(cwd, ["config", "set", "main", "env.vars.X", "not-json"])).code).toBe(2);
    expect((await clawhost(cwd, ["config", "set", "main", "env.vars.X", "3"])).code).toBe(1); // the schema wants a string
  });

  it("restart --in-place keeps the pid", async () => {
    const r = await clawhost(cwd, ["restart", "--in-place", "main"]);
    expect(r.code, r.stderr).toBe(0);
    const ps = await clawhostJson<PsJson>(cwd, ["ps", "main"]);
    expect(ps.json.gateways[0]).toMatchObject({ name: "main", state: "ready", pid: pids.main });
  });

  it("logs --tail n prints the last n lines of the captured output", async () => {
    const logs = await clawhost(cwd, ["logs", "main", "--tail", "2"]);
    expect(logs.code).toBe(0);
    const lines = logs.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/ready$/);
    expect((await clawhost(cwd, ["logs", "--tail", "x"])).code).toBe(2);
    const all = (await clawhost(cwd, ["logs", "main"])).stdout.trimEnd().split("\n");
    const cut = all[all.length - 2]!.split(" ")[0]!; // the time of the second-last line
    const since = (await clawhost(cwd, ["logs", "main", "--since", cut])).stdout.trimEnd().split("\n");
    expect(since.length).toBeGreaterThanOrEqual(2);
    expect(since.every((l) => l.split(" ")[0]! >= cut)).toBe(true);
    expect((await clawhost(cwd, ["logs", "main", "--since", "1d"])).stdout.trimEnd().split("\n")).toEqual(all);
    expect((await clawhost(cwd, ["logs", "main", "--since", "yesterday"])).code).toBe(2);
  });

  it("events --json lists what adopting the fleet produced", async () => {
    const r = await clawhost(cwd, ["--json", "events"]);
    expect(r.code).toBe(0);
    const records = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { gateway: string; type: string; data: { via?: string } });
    expect(records.filter((e) => e.type === "ready").map((e) => [e.gateway, e.data.via])).toEqual(expect.arrayContaining([["main", "adopted"], ["rescue", "adopted"]]));
  });

  it("logs -f follows a gateway while another invocation works on the other one", async () => {
    const follow = new Running(cwd, ["logs", "-f", "--tail", "0", "rescue"]);
    try {
      await follow.line(/\[gateway\] burst \d+ line 1 of 1$/);
      const other = await clawhost(cwd, ["restart", "--in-place", "main"]);
      expect(other.code, other.stderr).toBe(0);
      await follow.line(/\[gateway\] burst \d+ line 1 of 1$/, follow.lines.length);
      follow.child.kill("SIGINT");
      expect(await follow.exited).toBe(0);
      expect(follow.lines.every((l) => !l.includes("main"))).toBe(true);
    } finally {
      follow.child.kill("SIGKILL");
    }
  });

  it("two invocations at once never double-spawn and never lose a config write", async () => {
    const [a, b] = await Promise.all([clawhost(cwd, ["up", "--detach"]), clawhost(cwd, ["up", "--detach"])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const ps = await clawhostJson<PsJson>(cwd, ["ps"]);
    expect(Object.fromEntries(ps.json.gateways.map((g) => [g.name, g.pid]))).toEqual(pids);
    const writes = await Promise.all(["A", "B", "C"].map((k) => clawhost(cwd, ["config", "set", "main", `env.vars.CONCURRENT_${k}`, `"${k}"`])));
    expect(writes.map((w) => w.code)).toEqual([0, 0, 0]);
    const vars = JSON.parse((await clawhost(cwd, ["config", "get", "main", "env.vars"])).stdout) as Record<string, string>;
    expect(vars).toMatchObject({ CONCURRENT_A: "A", CONCURRENT_B: "B", CONCURRENT_C: "C" });
  });

  it("a gateway that dies while detached shows as exited in ps, and up starts it again", async () => {
    process.kill(pids.rescue!, "SIGKILL");
    const ps = await clawhostJson<PsJson>(cwd, ["ps"]);
    expect(ps.json.gateways.find((g) => g.name === "rescue")?.state).toBe("exited");
    expect(ps.json.gateways.find((g) => g.name === "main")?.state).toBe("ready");
    const doctor = await clawhostJson<{ ok: boolean; checks: Array<{ check: string; gateway?: string; ok: boolean }> }>(cwd, ["doctor"]);
    expect(doctor.code).toBe(1);
    expect(doctor.json.checks.filter((c) => !c.ok).map((c) => [c.gateway, c.check])).toEqual([["rescue", "process"]]);
    const up = await clawhost(cwd, ["up", "--detach", "rescue"]);
    expect(up.code).toBe(0);
    const again = await clawhostJson<PsJson>(cwd, ["ps", "rescue"]);
    expect(again.json.gateways[0]!.state).toBe("ready");
    expect(again.json.gateways[0]!.pid).not.toBe(pids.rescue);
    pids.rescue = again.json.gateways[0]!.pid!;
  });

  it("stop of a gateway that died while detached leaves it stopped", async () => {
    const before = await clawhostJson<PsJson>(cwd, ["ps", "rescue"]);
    process.kill(before.json.gateways[0]!.pid!, "SIGKILL");
    expect((await clawhostJson<PsJson>(cwd, ["ps", "rescue"])).json.gateways[0]!.state).toBe("exited");
    expect((await clawhost(cwd, ["stop", "rescue"])).code).toBe(0);
    expect((await clawhostJson<PsJson>(cwd, ["ps", "rescue"])).json.gateways[0]!.state).toBe("stopped");
    expect((await clawhost(cwd, ["start", "rescue"])).code).toBe(0);
    pids.rescue = (await clawhostJson<PsJson>(cwd, ["ps", "rescue"])).json.gateways[0]!.pid!;
  });

  it("stop succeeds on a running gateway and again on the stopped one", async () => {
    expect((await clawhost(cwd, ["stop", "rescue"])).code).toBe(0);
    expect(alive(pids.rescue!)).toBe(false);
    expect((await clawhost(cwd, ["stop", "rescue"])).code).toBe(0);
  });

  it("doctor reports a stopped gateway's port taken by another process (exit 1)", async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen({ port: 15600, host: "127.0.0.1" }, resolve));
    try {
      const doctor = await clawhostJson<{ ok: boolean; checks: Array<{ check: string; gateway?: string; ok: boolean }> }>(cwd, ["doctor"]);
      expect(doctor.code).toBe(1);
      expect(doctor.json.checks.filter((c) => !c.ok).map((c) => [c.gateway, c.check])).toEqual([["rescue", "ports"]]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("down stops everything and releases the leases: no process, no lease left", async () => {
    const down = await clawhostJson<{ gateways: Array<{ name: string; ok: boolean }> }>(cwd, ["down"]);
    expect(down.code).toBe(0);
    expect(down.json.gateways.every((g) => g.ok)).toBe(true);
    for (const pid of Object.values(pids)) expect(alive(pid)).toBe(false);
    expect(processesUnder([root])).toEqual([]);
    expect(leasesOf(leaseDir, root)).toEqual([]);
    expect((await clawhost(cwd, ["down"])).code).toBe(0); // nothing running: still a success
    expect(leasesOf(leaseDir, root)).toEqual([]);
  });
});

describe("a foreground up", () => {
  it("supervises: a crash is restarted, ps elsewhere shows the restart; Ctrl-C stops all and exits 130", async () => {
    writeFleet(cwd, {
      root: "./fg",
      leaseDir,
      ports: FOREGROUND,
      openclaw: { bin: FAKE_OPENCLAW },
      gateways: { flaky: { env: { FAKE_GATEWAY_CRASH_AFTER_MS: "1000", FAKE_GATEWAY_CRASH_TIMES: "1" } }, steady: {} },
    }, "fg.json5");
    const up = new Running(cwd, ["-f", "fg.json5", "up"]);
    try {
      await up.line(/flaky exited \(crash/);
      await up.line(/steady ready/);
      const crashedAt = up.lines.findIndex((l) => /flaky exited \(crash/.test(l));
      await up.line(/flaky ready/, crashedAt);
      const ps = await clawhostJson<PsJson>(cwd, ["-f", "fg.json5", "ps"]);
      expect(ps.json.supervisor).toBe(up.child.pid);
      expect(ps.json.gateways.map((g) => [g.name, g.state, g.restarts])).toEqual([
        ["flaky", "ready", 1],
        ["steady", "ready", 0],
      ]);
      up.child.kill("SIGINT");
      expect(await up.exited).toBe(130);
      expect(up.lines.join("\n")).toMatch(/steady stopped/);
      expect(processesUnder([join(cwd, "fg")])).toEqual([]);
    } finally {
      up.child.kill("SIGKILL");
    }
    expect((await clawhost(cwd, ["-f", "fg.json5", "down"])).code).toBe(0);
    expect(leasesOf(leaseDir, join(cwd, "fg"))).toEqual([]);
  });

  it("serve with a token file others can read: refused with the fix, nothing listens, nothing started", async () => {
    writeFleet(cwd, { root: "./unsafe", leaseDir, ports: FOREGROUND, openclaw: { bin: FAKE_OPENCLAW }, gateways: { a: {} } }, "unsafe.json5");
    const tokenFile = join(tmp.dir, "loose-api.token");
    writeFileSync(tokenFile, `${"k".repeat(64)}\n`);
    chmodSync(tokenFile, 0o644);
    // A port of its own, so "nothing listens there afterwards" is about this server only.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen({ port: 0, host: "127.0.0.1" }, r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const r = await clawhost(cwd, ["-f", "unsafe.json5", "serve", "--port", String(port), "--token-file", tokenFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the API token file ${tokenFile} can be read by other users. Fix: chmod 600 ${tokenFile}`);
    const free = createServer();
    await new Promise<void>((resolve, reject) => {
      free.once("error", reject);
      free.listen({ port, host: "127.0.0.1", exclusive: true }, resolve);
    });
    await new Promise((resolve) => free.close(resolve));
    expect(processesUnder([join(cwd, "unsafe")])).toEqual([]);
    expect((await clawhost(cwd, ["-f", "unsafe.json5", "down"])).code).toBe(0);
  });

  it("a second Ctrl-C forces: a gateway that ignores SIGTERM is killed without waiting for the grace", async () => {
    writeFleet(cwd, {
      root: "./stubborn",
      leaseDir,
      ports: FOREGROUND,
      stopTimeoutMs: 120_000,
      openclaw: { bin: FAKE_OPENCLAW },
      gateways: { stubborn: { env: { FAKE_GATEWAY_IGNORE_SIGTERM: "1" } } },
    }, "stubborn.json5");
    const up = new Running(cwd, ["-f", "stubborn.json5", "up"]);
    try {
      const ready = await up.line(/stubborn ready pid \d+/);
      const pid = Number(/pid (\d+)/.exec(ready)![1]);
      up.child.kill("SIGINT");
      await up.line(/stopping \(Ctrl-C again to force\)/);
      await up.line(/stubborn stopping/);
      expect(alive(pid)).toBe(true); // it ignores SIGTERM: the graceful stop would wait 120 s
      up.child.kill("SIGINT");
      expect(await up.exited).toBe(130);
      expect(up.lines.join("\n")).toMatch(/forcing/);
      expect(alive(pid)).toBe(false);
      expect(processesUnder([join(cwd, "stubborn")])).toEqual([]);
    } finally {
      up.child.kill("SIGKILL");
    }
    expect((await clawhost(cwd, ["-f", "stubborn.json5", "down"])).code).toBe(0);
  });

  it("--json: the event stream's records, one JSON line each", async () => {
    writeFleet(cwd, { root: "./tty", leaseDir, ports: FOREGROUND, openclaw: { bin: FAKE_OPENCLAW }, gateways: { alpha: {}, beta: {} } }, "tty.json5");
    const up = new Running(cwd, ["-f", "tty.json5", "--json", "up"]);
    try {
      await up.line(/"gateway":"alpha","type":"ready"/);
      await up.line(/"gateway":"beta","type":"ready"/);
      up.child.kill("SIGINT");
      expect(await up.exited).toBe(130);
      const records = up.lines.map((l) => JSON.parse(l) as { seq: number; type: string; gateway: string; data: { to?: string } });
      expect(records.filter((r) => r.type === "state" && r.data.to === "stopped").map((r) => r.gateway).sort()).toEqual(["alpha", "beta"]);
    } finally {
      up.child.kill("SIGKILL");
    }
  });

  it("on a terminal (tmux) it shows a live table, and Ctrl-C stops everything", async () => {
    writeFleet(cwd, { root: "./tty", leaseDir, ports: FOREGROUND, openclaw: { bin: FAKE_OPENCLAW }, gateways: { alpha: {}, beta: {} } }, "tty.json5");
    const session = `clawhost-test-${process.pid}`;
    const tmux = (...args: string[]): Promise<string> => new Promise((resolve, reject) => execFile("tmux", args, (err, out) => (err ? reject(err) : resolve(out))));
    await tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "-c", cwd, `${NODE} ${BIN} -f tty.json5 up; echo EXIT=$?; sleep 600`);
    try {
      const screen = (): Promise<string> => tmux("capture-pane", "-p", "-t", session);
      const until = async (re: RegExp): Promise<string> => {
        for (let i = 0; ; i++) {
          const text = await screen();
          if (re.test(text)) return text;
          if (i > 600) throw new Error(`never on screen: ${re}\n${text}`);
          await new Promise((r) => setTimeout(r, 200)); // a terminal has no event to await: the screen is polled
        }
      };
      const view = await until(/alpha +ready.*\n.*beta +ready|beta +ready[^\n]*\n(?:.*\n)*?alpha +ready/);
      expect(view).toMatch(/NAME +STATE +PORT +PID +READY IN +RESTARTS +UPTIME/);
      expect(view).toMatch(/Ctrl-C stops every gateway/);
      // The table is redrawn in place: one header on the screen, however many lines came before.
      expect(view.match(/NAME +STATE/g)).toHaveLength(1);
      await tmux("send-keys", "-t", session, "C-c");
      const end = await until(/EXIT=\d+/);
      expect(end).toMatch(/EXIT=130/);
      expect(end).toMatch(/alpha +stopped/);
      expect(processesUnder([join(cwd, "tty")])).toEqual([]);
    } finally {
      await tmux("kill-session", "-t", session).catch(() => undefined);
    }
    expect((await clawhost(cwd, ["-f", "tty.json5", "down"])).code).toBe(0);
  });
});
