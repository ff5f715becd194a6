// The built `clawhost` bin against the real OpenClaw gateway: a detached fleet of two, ps,
// config set seen over config.get, in-place restart, logs, and down leaving nothing behind.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTmp, processesUnder, REAL_OPENCLAW } from "../helpers.js";
import { clawhost, clawhostJson, leasesOf, NODE, writeFleet } from "./run.js";

// 15240-15479 (two 120-aligned blocks) is used by no other test file.
const PORTS = { from: 15240, to: 15479 };
const OPENCLAW_BIN = REAL_OPENCLAW.bin ?? new URL("../../node_modules/.bin/openclaw", import.meta.url).pathname;

type PsJson = { gateways: Array<{ name: string; state: string; pid?: number; ports: string }> };

const tmp = makeTmp("cli-real");
const leaseDir = join(tmp.dir, "leases");
const cwd = join(tmp.dir, "fleet");
const root = join(cwd, "gateways");

beforeAll(() => {
  mkdirSync(cwd, { recursive: true });
  writeFleet(cwd, { root: "./gateways", leaseDir, ports: PORTS, openclaw: { bin: OPENCLAW_BIN, node: NODE }, gateways: { main: {}, rescue: {} } });
});

afterAll(async () => {
  try {
    await clawhost(cwd, ["down"]);
    expect(processesUnder([root])).toEqual([]);
    expect(leasesOf(leaseDir, root)).toEqual([]);
  } finally {
    tmp.cleanup();
  }
});

describe(`clawhost on ${REAL_OPENCLAW.label}`, () => {
  let pids: Record<string, number> = {};

  it("up --detach starts two gateways and returns once both are ready; ps --json lists them", async () => {
    const up = await clawhost(cwd, ["up", "--detach", "--wait-timeout", "120000"]);
    expect(up.code, up.stderr).toBe(0);
    const ps = await clawhostJson<PsJson>(cwd, ["ps"]);
    expect(ps.code).toBe(0);
    expect(ps.json.gateways.map((g) => [g.name, g.state])).toEqual([["main", "ready"], ["rescue", "ready"]]);
    pids = Object.fromEntries(ps.json.gateways.map((g) => [g.name, g.pid!]));
  });

  it("config set on the running gateway, the value seen over config.get", async () => {
    const set = await clawhostJson<{ applied: string }>(cwd, ["config", "set", "main", "env.vars.CLI_REGION", '"eu"']);
    expect(set.code).toBe(0);
    expect(["live", "restart"]).toContain(set.json.applied);
    const get = await clawhost(cwd, ["config", "get", "main", "env.vars.CLI_REGION"]);
    expect([get.code, JSON.parse(get.stdout)]).toEqual([0, "eu"]);
  });

  it("restart --in-place keeps the pid", async () => {
    const r = await clawhost(cwd, ["restart", "--in-place", "main", "--wait-timeout", "120000"]);
    expect(r.code, r.stderr).toBe(0);
    const ps = await clawhostJson<PsJson>(cwd, ["ps", "main"]);
    expect(ps.json.gateways[0]).toMatchObject({ state: "ready", pid: pids.main });
  });

  it("logs --tail 20 prints 20 lines", async () => {
    const logs = await clawhost(cwd, ["logs", "main", "--tail", "20"]);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trimEnd().split("\n")).toHaveLength(20);
  });

  it("down: no process and no lease left", async () => {
    expect((await clawhost(cwd, ["down"])).code).toBe(0);
    expect(processesUnder([root])).toEqual([]);
    expect(leasesOf(leaseDir, root)).toEqual([]);
  });
});
