import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClawhostError, ConfigStore, GatewayHost } from "clawhost";
import type { Gateway, OpenClawConfig } from "clawhost";
import { finishFile, FAKE_OPENCLAW as fakeBin, GatewayWatch, makeTmp, nextEvent } from "../helpers.js";
import { setVar, vars } from "./contract.js";

const tmp = makeTmp("config");
const leases = makeTmp("config-store-leases");
const fleet = new GatewayWatch();
afterAll(() => finishFile(fleet, leases.dir, tmp, leases));
const worker = fileURLToPath(new URL("../fixtures/config-worker.mjs", import.meta.url));

function runWorker(configPath: string, prefix: string, count: number, mode: "burst" | "sequential") {
  const child = spawn(process.execPath, [worker, configPath, prefix, String(count), mode], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  const output = createInterface({ input: child.stdout! });
  output.on("line", (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, lines, output, exited };
}

/** mulberry32: a seeded PRNG, so that the kill points below are the same in every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Yield `turns` times to the event loop's check phase (no timer involved). */
async function yieldTurns(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

describe("config writes on a stopped gateway (real OpenClaw's schema)", () => {
  let host: GatewayHost;
  let gw: Gateway;

  beforeAll(async () => {
    host = fleet.host(new GatewayHost({ root: join(tmp.dir, "stopped"), ports: { from: 11000, to: 11239 }, leaseDir: leases.dir }));
    gw = await host.add({ name: "cfg" });
  });
  afterAll(() => host[Symbol.asyncDispose]());

  it("1,000 concurrent updates, each setting its own key: all present, file 0600, meta and owned keys kept", async () => {
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => gw.updateConfig(setVar(`K_${i}`, String(i)))));
    expect(results.every((r) => r.applied === "file" && r.changedPaths.length === 1)).toBe(true);
    const cfg = await gw.readConfig();
    expect(Object.keys(vars(cfg)).length).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(vars(cfg)[`K_${i}`]).toBe(String(i));
    expect((cfg.gateway as { mode?: string }).mode).toBe("local");
    expect(statSync(gw.context.configPath).mode & 0o777).toBe(0o600);
  });

  it("a JSON merge patch works too, null deletes, and changedPaths names the leaves", async () => {
    const r = await gw.updateConfig({ env: { vars: { K_0: null, PATCHED: "yes" } } });
    expect(r.changedPaths.sort()).toEqual(["env.vars.K_0", "env.vars.PATCHED"]);
    const cfg = await gw.readConfig();
    expect(vars(cfg).K_0).toBeUndefined();
    expect(vars(cfg).PATCHED).toBe("yes");
  });

  it("invalid updates are rejected with CLAWHOST_CONFIG_INVALID naming path and rule; the file stays byte-identical", async () => {
    const before = readFileSync(gw.context.configPath);
    const cases: Array<[unknown, string, string]> = [
      [{ env: { vars: { NUM: 5 } } }, "env.vars.NUM", "schema: type"],
      [{ bogusTopLevel: true }, "bogusTopLevel", "schema: additionalProperties"],
      [{ gateway: { port: 1234 } }, "gateway.port", "owned by clawhost"],
      [{ logging: { file: "/tmp/elsewhere.log" } }, "logging.file", "owned by clawhost"],
      [{ gateway: { auth: { token: "mine" } } }, "gateway.auth", "owned by clawhost"],
    ];
    for (const [patch, path, rule] of cases) {
      const err = await gw.updateConfig(patch as OpenClawConfig).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClawhostError);
      expect((err as ClawhostError).code).toBe("CLAWHOST_CONFIG_INVALID");
      expect((err as ClawhostError).value).toBe(path);
      expect((err as ClawhostError).message).toMatch(/^cfg: config update rejected: /);
      expect(((err as ClawhostError).details as { issues: Array<{ rule: string }> }).issues[0]!.rule).toBe(rule);
      expect(readFileSync(gw.context.configPath).equals(before)).toBe(true);
    }
    // A bad update among good ones fails alone.
    const [good, bad] = await Promise.allSettled([gw.updateConfig(setVar("GOOD", "1")), gw.updateConfig({ bogus: 1 })]);
    expect(good.status).toBe("fulfilled");
    expect(bad.status).toBe("rejected");
    expect(vars(await gw.readConfig()).GOOD).toBe("1");
  });

  it("4 processes x 50 updates on this gateway's config: all 200 present", async () => {
    const runs = [0, 1, 2, 3].map((w) => runWorker(gw.context.configPath, `W${w}`, 50, "burst"));
    expect(await Promise.all(runs.map((r) => r.exited))).toEqual([0, 0, 0, 0]);
    const v = vars(await gw.readConfig());
    for (let w = 0; w < 4; w++) for (let i = 0; i < 50; i++) expect(v[`W${w}_${i}`]).toBe(String(i));
    expect(v.GOOD).toBe("1");
  });

  it("a writer SIGKILLed at scattered moments, again and again: the file always parses and holds exactly a prefix of its updates", async () => {
    const path = join(tmp.dir, "killed", "openclaw.json");
    mkdirSync(join(tmp.dir, "killed"), { recursive: true });
    const acked: number[] = [];
    const random = seededRandom(0x5eed);
    for (let run = 0; run < 12; run++) {
      const w = runWorker(path, `R${run}`, 100_000, "sequential");
      // Kill points, the same in every run: after a seeded number of acknowledged updates,
      // then a seeded number of event-loop turns into the ones after it.
      const acks = 2 + Math.floor(random() * 24);
      const turns = Math.floor(random() * 40);
      await nextEvent(w.output, "line", (l: string) => l === `ack ${acks - 1}`);
      await yieldTurns(turns);
      w.child.kill("SIGKILL");
      await w.exited;
      const lastAck = Math.max(-1, ...w.lines.filter((l) => l.startsWith("ack ")).map((l) => Number(l.slice(4))));
      acked.push(lastAck);
      const cfg = JSON.parse(readFileSync(path, "utf8")) as OpenClawConfig; // always parses
      for (let r = 0; r <= run; r++) {
        const idx = Object.keys(vars(cfg))
          .filter((k) => k.startsWith(`R${r}_`))
          .map((k) => Number(k.slice(`R${r}_`.length)))
          .sort((a, b) => a - b);
        // Exactly 0..m: no gap, nothing acknowledged missing, at most the one in flight beyond it.
        expect(idx).toEqual(idx.map((_, i) => i));
        expect(idx.length - 1).toBeGreaterThanOrEqual(r === run ? lastAck : acked[r]!);
        expect(idx.length - 1).toBeLessThanOrEqual((r === run ? lastAck : acked[r]!) + 1);
      }
    }
    expect(acked.some((a) => a > 0)).toBe(true);
    // A writer killed between temp file and rename leaves its temp; the next write removes it.
    await new ConfigStore({ name: "next", configPath: path }).update(setVar("NEXT", "1"));
    expect(readdirSync(join(tmp.dir, "killed")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a changed spec config in a later add() is merged through the same queue before the start", async () => {
    const root = join(tmp.dir, "spec");
    const opts = { root, ports: { from: 11240, to: 11479 }, leaseDir: leases.dir, openclaw: { bin: fakeBin } };
    const h1 = fleet.host(new GatewayHost(opts));
    const a = await h1.add({ name: "s", config: { env: { vars: { SPEC: "1", KEEP: "k" } } } });
    try {
      await a.start();
      expect((await a.updateConfig(setVar("LATER", "x"))).applied).toBe("live");
    } finally {
      await h1[Symbol.asyncDispose]();
    }
    const h2 = fleet.host(new GatewayHost(opts));
    const b = await h2.add({ name: "s", config: { env: { vars: { SPEC: "2" } } } });
    try {
      await b.start();
      const v = vars(await b.readConfig());
      expect(v).toMatchObject({ SPEC: "2", KEEP: "k", LATER: "x" });
    } finally {
      await h2[Symbol.asyncDispose]();
    }
  });
});
