import { readFileSync, statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { GatewayHost } from "clawhost";
import type { EventRecord, Gateway } from "clawhost";
import { FAKE_OPENCLAW as bin, finishFile, GatewayWatch, makeTmp, nextEvent, treeOf, waitUntil } from "../helpers.js";

// The event stream, snapshots, metrics and diagnostics on the fault-injection gateway.
const tmp = makeTmp("observe-fake");
const leases = makeTmp("observe-fake-leases");
const fleet = new GatewayWatch();
afterAll(() => finishFile(fleet, leases.dir, tmp, leases));

// 10 blocks from 25080 (25080-26279).
let nextBase = 25080;
function newHost(name: string, blocks: number, extra: Partial<ConstructorParameters<typeof GatewayHost>[0]> = {}): GatewayHost {
  const from = nextBase;
  nextBase += 120 * blocks;
  return fleet.host(
    new GatewayHost({ root: `${tmp.dir}/${name}`, ports: { from, to: nextBase - 1 }, leaseDir: leases.dir, openclaw: { bin }, restart: { initialDelayMs: 100 }, ...extra }),
  );
}

/** An outlive gateway that writes 500-line bursts, its `gateway.out` given back every 16 KiB read; its warnings, and whether the last burst's last line was read. */
async function chattyGateway(root: string, bursts: number, env: Record<string, string>): Promise<{ gw: Gateway; warnings: Array<{ code: string; message: string }>; lastRead: () => boolean }> {
  const host = newHost(root, 1, { outlive: true, liveness: false, logs: { maxFileBytes: 16_384 } });
  const gw = await host.add({ name: "chatty", env: { FAKE_GATEWAY_LOG_BURST: "500", FAKE_GATEWAY_LOG_BURSTS: String(bursts), ...env } });
  const warnings: Array<{ code: string; message: string }> = [];
  let lastSeen = false;
  gw.on("warning", (w) => warnings.push(w));
  gw.on("log", (l) => (lastSeen ||= l.line.includes(`burst ${bursts} line 500 of 500`)));
  return { gw, warnings, lastRead: () => lastSeen };
}

/** Collect records from an iterator until `done` says so. */
async function collect(it: AsyncIterable<EventRecord>, done: (r: EventRecord, all: EventRecord[]) => boolean): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (const r of it) {
    out.push(r);
    if (done(r, out)) break;
  }
  return out;
}

const tokenOf = (gw: Gateway): string => readFileSync(gw.context.tokenFile, "utf8").trim();

describe("event stream (fake gateway)", () => {
  it("a consumer that drops and resumes with `since` gets every record once, in order", async () => {
    const host = newHost("resume", 2, { events: { replay: 10_000 } });
    const a = await host.add({ name: "a" });
    const b = await host.add({ name: "b" });
    // First consumer: from the beginning until both are ready, then it drops.
    const firstPart = collect(host.events({ since: 0 }), (_r, got) => got.filter((r) => r.type === "ready").length === 2);
    await host.startAll();
    const seen = await firstPart;
    // While nobody listens: a is killed, backs off and comes back.
    const aBack = nextEvent(a, "ready", () => true);
    process.kill(a.pid!, "SIGKILL");
    await aBack;
    const resumed = await collect(host.events({ since: seen.at(-1)!.seq }), (r) => r.gateway === "a" && r.type === "ready");
    const all = [...seen, ...resumed];
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(all.filter((r) => r.type === "gap")).toEqual([]);
    const typesOfA = all.filter((r) => r.gateway === "a" && r.type !== "log").map((r) => (r.type === "state" ? `state:${r.data.to}` : r.type));
    expect(typesOfA).toEqual(expect.arrayContaining(["added", "state:starting", "ready", "exit", "backoff", "state:backoff"]));
    expect(typesOfA.indexOf("exit")).toBeLessThan(typesOfA.lastIndexOf("ready"));
    const exit = all.find((r) => r.type === "exit");
    expect(exit).toMatchObject({ gateway: "a", data: { reason: "signal", signal: "SIGKILL" } });
    expect(all.some((r) => r.type === "log" && r.gateway === "b")).toBe(true);
    // Records are plain JSON.
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
    expect(host.snapshot().seq).toBe(host.snapshot().seq);
    expect(host.snapshot().seq).toBeGreaterThanOrEqual(all.at(-1)!.seq);
    await host.stopAll();
  });

  it("gateway.events() carries that gateway's records with the host's numbers; types filter", async () => {
    const host = newHost("per-gateway", 2);
    const a = await host.add({ name: "a" });
    await host.add({ name: "b" });
    const ac = new AbortController();
    const states = collect(a.events({ types: ["state"], signal: ac.signal }), (r) => r.type === "state" && r.data.to === "ready");
    await host.startAll();
    const got = await states;
    expect(got.every((r) => r.gateway === "a" && r.type === "state")).toBe(true);
    expect(got.map((r) => (r.type === "state" ? r.data.to : ""))).toEqual(["starting", "ready"]);
    const hostView = [...(await collect(host.events({ since: got[0]!.seq - 1 }), (r) => r.seq === got[1]!.seq))];
    expect(hostView.find((r) => r.seq === got[1]!.seq)).toEqual(got[1]);
    ac.abort();
    await host.stopAll();
  });

  it("a replay ring smaller than what was missed yields one gap record, then the rest", async () => {
    const host = newHost("gap", 1, { events: { replay: 5 } });
    const gw = await host.add({ name: "g" });
    await gw.start();
    await gw.stop();
    const last = host.snapshot().seq;
    expect(last).toBeGreaterThan(10);
    const got = await collect(host.events({ since: 0 }), (_r, all) => all.length === 6);
    expect(got[0]).toMatchObject({ type: "gap", gateway: null, data: { fromSeq: 1, toSeq: last - 5, missed: last - 5 } });
    expect(got.slice(1).map((r) => r.seq)).toEqual([last - 4, last - 3, last - 2, last - 1, last]);
  });
});

describe("snapshot, metrics, diagnostics (fake gateway)", () => {
  it("snapshot resources match /proc; metrics parse; nothing carries the token", async () => {
    const host = newHost("figures", 1, { liveness: { intervalMs: 200 } });
    const gw = await host.add({ name: "fig", env: { FAKE_GATEWAY_LEAK_TOKEN: "1" } });
    const records = collect(host.events({ since: 0 }), (r) => r.type === "log" && r.data.line.includes("auth token"));
    await gw.start();
    const token = tokenOf(gw);
    await records;
    // A second sample gives a CPU figure; health comes with the first ping.
    await waitUntil(() => gw.snapshot().resources?.cpuPercent !== undefined && gw.snapshot().health !== undefined, "a CPU figure and a ping");
    const snap = gw.snapshot();
    // The figures against /proc are the observability contract's (contract.ts); here only that they are there.
    expect(snap.resources!.processes).toBe(treeOf(gw.pid!).length);
    expect(snap.resources!.rssBytes).toBeGreaterThan(1e6);
    expect(snap.resources!.cpuMs).toBeGreaterThan(0);
    expect(snap.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(snap.health).toMatchObject({ ok: true, missed: 0 });
    expect(snap.restartsTotal).toBe(0);
    expect(snap.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(snap.configWrites).toMatchObject({ live: 0, restart: 0, rejected: 0 });

    await gw.updateConfig({ env: { vars: { REGION: "eu", OPENAI_API_KEY: "sk-test-not-for-diagnostics" } } });
    await expect(gw.call("no.such.method", {})).rejects.toThrow();
    const text = await host.metrics();
    const families = parsePrometheusTextFormat(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    const value = (name: string, labels: Record<string, string> = {}) =>
      byName.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
    expect(value("clawhost_gateway_up", { gateway: "fig" })).toBe("1");
    expect(value("clawhost_gateway_state", { gateway: "fig", state: "ready" })).toBe("1");
    expect(value("clawhost_gateway_state", { gateway: "fig", state: "failed" })).toBe("0");
    expect(Number(value("clawhost_gateway_resident_memory_bytes", { gateway: "fig" }))).toBeGreaterThan(1e6);
    expect(value("clawhost_gateway_config_updates_total", { gateway: "fig", outcome: "live" })).toBe("1");
    expect(value("clawhost_gateway_rpc_errors_total", { gateway: "fig" })).toBe("1");
    expect(value("clawhost_gateways", { state: "ready" })).toBe("1");
    expect(Number(value("clawhost_events_total"))).toBe(host.snapshot().seq);
    expect(byName.get("clawhost_gateway_restarts_total")?.type).toBe("COUNTER");

    const diag = await gw.diagnostics();
    expect(diag.gateway).toBe("fig");
    expect(diag.versions.clawhost).toMatch(/^\d+\.\d+\.\d+/);
    expect(diag.processTree.map((p) => p.pid)).toContain(gw.pid);
    expect(diag.config).toMatchObject({ env: { vars: { REGION: "eu", OPENAI_API_KEY: "[redacted]" } }, gateway: { mode: "local" } });
    expect(diag.recentEvents.some((r) => r.type === "ready")).toBe(true);
    expect(diag.output.some((l) => l.includes("auth token is [redacted]"))).toBe(true);

    const everything = JSON.stringify([await collect(host.events({ since: 0 }), (r) => r.seq === host.snapshot().seq), host.snapshot(), text, diag]);
    expect(everything).toContain("[redacted]");
    expect(everything).not.toContain(token);
    expect(everything).not.toContain("sk-test-not-for-diagnostics");
    await host.stopAll();
    expect((await host.metrics()).includes('clawhost_gateway_up{gateway="fig"} 0')).toBe(true);
  });
});


describe("logs of an outlive gateway (fake gateway)", () => {
  it("a host that adopts it follows its output through gateway.out, token redacted, across an in-place restart", async () => {
    const from = nextBase;
    nextBase += 120;
    const opts = { root: `${tmp.dir}/outlive`, ports: { from, to: from + 119 }, leaseDir: leases.dir, openclaw: { bin }, outlive: true, liveness: false as const };
    const first = fleet.host(new GatewayHost(opts));
    const gw1 = await first.add({ name: "kept", env: { FAKE_GATEWAY_LEAK_TOKEN: "1" } });
    await gw1.start();
    const pid = gw1.pid!;
    const token = tokenOf(gw1);
    expect((await first.dispose()).released).toEqual(["kept"]);

    const second = fleet.host(new GatewayHost(opts));
    const gw2 = await second.add({ name: "kept", env: { FAKE_GATEWAY_LEAK_TOKEN: "1" } });
    await gw2.start();
    expect(gw2.snapshot()).toMatchObject({ adopted: true, pid });
    const ac = new AbortController();
    const seen: string[] = [];
    const follow = (async () => {
      for await (const r of gw2.logs({ tail: 0, follow: true, signal: ac.signal, sources: ["stdout"] })) {
        seen.push(r.message);
        if (r.message.includes("auth token is")) ac.abort();
      }
    })();
    // The in-place restart's output (and the token line once ready again) reach the adopter through gateway.out.
    await gw2.restart({ inPlace: true });
    await follow;
    expect(gw2.pid).toBe(pid);
    expect(seen.some((m) => m.includes("restart"))).toBe(true);
    expect(seen.at(-1)).toContain("auth token is [redacted]");
    expect(JSON.stringify(seen)).not.toContain(token);
    await gw2.stop();
  });

  it("gateway.out gives back the disk space of what was read, every logs.maxFileBytes; reading goes on", async () => {
    const { gw, warnings, lastRead } = await chattyGateway("punch", 8, { FAKE_GATEWAY_LOG_BURST_EVERY_MS: "100" });
    try {
      await gw.start();
      const out = gw.context.outputFile;
      await waitUntil(lastRead, "the last burst's last line read through gateway.out");
      // Allocated blocks well under the file's size: the read prefix is a hole now.
      await waitUntil(() => statSync(out).blocks * 512 < statSync(out).size / 2, "the read prefix punched out");
      expect(statSync(out).size).toBeGreaterThan(8 * 500 * 20);
      expect(warnings).toEqual([]);
      // What follows the hole is intact.
      expect(readFileSync(out, "utf8")).toContain("burst 8 line 500 of 500");
    } finally {
      await gw.stop();
    }
  });

  it("where the read part of gateway.out cannot be punched out, one LOGS_UNAVAILABLE warning says so and reading goes on", async () => {
    const { gw, warnings, lastRead } = await chattyGateway("nopunch", 4, { FAKE_GATEWAY_LOG_BURST_EVERY_MS: "300", FAKE_GATEWAY_LOG_BURST_AFTER_MS: "300" });
    const path = process.env.PATH;
    try {
      await gw.start();
      // No fallocate to be found by the host from here on (the gateway is already running).
      process.env.PATH = "/nonexistent";
      await waitUntil(lastRead, "the last burst read");
      await waitUntil(() => warnings.length > 0, "the warning");
      expect(warnings.map((w) => w.code)).toEqual(["LOGS_UNAVAILABLE"]);
      expect(warnings[0]!.message).toContain("fallocate --punch-hole");
    } finally {
      process.env.PATH = path;
      await gw.stop();
    }
  });

  it("what it wrote while no host was attached reaches the next adopter's logs, once", async () => {
    const from = nextBase;
    nextBase += 120;
    const opts = { root: `${tmp.dir}/detached`, ports: { from, to: from + 119 }, leaseDir: leases.dir, openclaw: { bin }, outlive: true, liveness: false as const };
    const env = { FAKE_GATEWAY_LEAK_TOKEN: "1", FAKE_GATEWAY_LOG_BURST: "2", FAKE_GATEWAY_LOG_BURSTS: "100000", FAKE_GATEWAY_LOG_BURST_EVERY_MS: "50" };
    const first = fleet.host(new GatewayHost(opts));
    const gw1 = await first.add({ name: "kept", env });
    await gw1.start();
    const out = gw1.context.outputFile;
    const burstLines = (text: string): string[] => text.split("\n").filter((l) => /burst \d+ line/.test(l));
    await waitUntil(() => burstLines(readFileSync(out, "utf8")).length > 4, "bursts while attached");
    expect((await first.dispose()).released).toEqual(["kept"]);
    const second = fleet.host(new GatewayHost(opts));
    const gw2 = await second.add({ name: "kept", env });
    try {
      const handoff = JSON.parse(readFileSync(`${out}.offset`, "utf8")) as { offset: number };
      // Lines written with no host attached: after the handoff offset.
      const sinceHandoff = (): string[] => burstLines(readFileSync(out).subarray(handoff.offset).toString("utf8"));
      await waitUntil(() => sinceHandoff().length >= 6, "bursts while detached");
      const detached = sinceHandoff().slice(0, 6);
      await gw2.start();
      expect(gw2.snapshot().adopted).toBe(true);
      const messages: string[] = [];
      for await (const r of gw2.logs({ tail: 10_000, sources: ["stdout"] })) messages.push(r.message);
      for (const line of detached) expect(messages.filter((m) => line.endsWith(m)).length, line).toBe(1);
      expect(JSON.stringify(messages)).not.toContain(tokenOf(gw2));
    } finally {
      await gw2.stop();
    }
  });
});
