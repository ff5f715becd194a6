import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { GatewayHost } from "clawhost";
import type { EventRecord, Gateway, HostOptions } from "clawhost";
import type { LogRecord } from "../../src/observe/logs/types.js";
import { readProc } from "../../src/fs/proc.js";
import { finishFile, GatewayWatch, makeTmp, nextEvent, treeOf, waitUntil } from "../helpers.js";

/** What the observability contract runs against: the real gateway or the fake. */
export interface ObserveTarget {
  label: string;
  /** First port of a range of 2 blocks for this file. */
  portBase: number;
  leaseDir: string;
  /** Host options besides root, ports and leaseDir (the fake's `openclaw.bin`). */
  hostOptions?: Partial<HostOptions>;
  /** The gateway prints its token (the fake with FAKE_GATEWAY_LEAK_TOKEN): redaction is then seen at work. */
  printsToken?: boolean;
}

/** Collect records from an iterator until `done` says so. */
async function collect<T>(it: AsyncIterable<T>, done: (r: T, all: T[]) => boolean): Promise<T[]> {
  const out: T[] = [];
  for await (const r of it) {
    out.push(r);
    if (done(r, out)) break;
  }
  return out;
}

/** Every line of the kept output files, oldest file first. */
function outputFileLines(dir: string): Array<{ source: string; message: string }> {
  const names = readdirSync(dir).filter((f) => /^output(\.\d+)?\.log$/.test(f));
  const index = (f: string) => Number(/^output\.(\d+)\.log$/.exec(f)?.[1] ?? 0);
  return names
    .sort((a, b) => index(b) - index(a))
    .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean))
    .map((l) => JSON.parse(l) as { source: string; message: string });
}

/**
 * The event stream, logs, snapshots, metrics and diagnostics of one gateway through an
 * in-place restart and a crash restart. One boot, one in-place restart, one respawn.
 */
export function describeObservabilityContract(target: ObserveTarget): void {
  describe(`${target.label}: watching a gateway (events, logs, resources, metrics, diagnostics)`, () => {
    const tmp = makeTmp(`observe-${target.label}`);
    const fleet = new GatewayWatch();
    let host: GatewayHost;
    let gw: Gateway;
    let token: string;
    const ac = new AbortController();
    // Both followers start before the first spawn and run through every restart.
    const followed: LogRecord[] = [];
    let follower: Promise<unknown>;
    let eventsFirst: Promise<EventRecord[]>;
    const MAX_FILE_BYTES = 512;
    const logSeqAt = { inPlace: 0, kill: 0 };
    const newestLogSeq = async (): Promise<number> => (await collect(gw.logs({ tail: 1 }), () => true)).at(-1)?.seq ?? 0;
    const KEEP_FILES = 2;

    beforeAll(async () => {
      host = fleet.host(
        new GatewayHost({
          root: join(tmp.dir, "root"),
          ports: { from: target.portBase, to: target.portBase + 239 },
          leaseDir: target.leaseDir,
          restart: { initialDelayMs: 200 },
          logs: { maxFileBytes: MAX_FILE_BYTES, keepFiles: KEEP_FILES, redact: [/sk-obs-[a-z0-9]+/] },
          ...target.hostOptions,
        }),
      );
      // The fake prints its token once ready (a careless gateway); the real one does not.
      // OBSERVE_KEY is redacted for its name, REGION_NOTE only by the `logs.redact` pattern.
      gw = await host.add({
        name: "watched",
        env: { FAKE_GATEWAY_LEAK_TOKEN: "1" },
        config: { env: { vars: { OBSERVE_KEY: "sk-obs-abc123", REGION_NOTE: "see sk-obs-def456" } } },
      });
      follower = collect(gw.logs({ follow: true, signal: ac.signal }), (r) => {
        followed.push(r);
        return false;
      });
      eventsFirst = collect(host.events({ since: 0 }), (r) => r.type === "ready");
      await gw.start();
      token = readFileSync(gw.context.tokenFile, "utf8").trim();
    });
    afterAll(async () => {
      ac.abort();
      await finishFile(fleet, target.leaseDir, tmp);
    });

    it("events: a consumer that drops and resumes with `since` misses nothing and repeats nothing, across an in-place and a crash restart", async () => {
      const first = await eventsFirst;
      const pid = gw.pid!;
      const bootId = gw.bootId!;
      logSeqAt.inPlace = await newestLogSeq();
      await gw.restart({ inPlace: true });
      expect(gw.pid).toBe(pid);
      expect(gw.bootId).not.toBe(bootId);
      const back = nextEvent(gw, "ready", () => true);
      logSeqAt.kill = await newestLogSeq();
      process.kill(pid, "SIGKILL");
      await back;
      const resumed = await collect(host.events({ since: first.at(-1)!.seq }), (r) => r.seq === host.snapshot().seq);
      const all = [...first, ...resumed];
      expect(all.map((r) => r.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
      const kinds = all.filter((r) => r.type !== "log").map((r) => (r.type === "state" ? `state:${r.data.to}` : r.type));
      for (const k of ["added", "state:starting", "ready", "state:restarting", "exit", "backoff", "state:backoff"]) expect(kinds).toContain(k);
      expect(all.filter((r) => r.type === "ready").map((r) => (r.type === "ready" ? r.data.via : ""))).toEqual(["spawn", "in-place-restart", "spawn"]);
      expect(all.find((r) => r.type === "exit")).toMatchObject({ data: { reason: "signal", signal: "SIGKILL" } });
    });

    it("logs: one follower saw every run's output and OpenClaw's own file, in order, with no gap, token redacted", async () => {
      const lastSeq = (await collect(gw.logs({ tail: 1 }), () => true)).at(-1)!.seq;
      await waitUntil(() => (followed.at(-1)?.seq ?? 0) >= lastSeq, "the follower caught up");
      const got = [...followed];
      expect(got.filter((r) => r.gap)).toEqual([]);
      expect(got.map((r) => r.seq)).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
      expect(got.at(-1)!.seq).toBeGreaterThanOrEqual(lastSeq);
      expect(new Set(got.map((r) => r.source))).toEqual(new Set(["stdout", "openclaw-file", ...(got.some((r) => r.source === "stderr") ? ["stderr"] : [])]));
      for (const r of got) {
        expect(Object.isFrozen(r)).toBe(true);
        expect(["trace", "debug", "info", "warn", "error", "fatal"]).toContain(r.level);
        expect(Number.isNaN(Date.parse(r.time))).toBe(false);
      }
      // Output of the first process before and after its in-place restart, and of the second.
      expect(logSeqAt.inPlace).toBeGreaterThan(0);
      expect(got.some((r) => r.seq > logSeqAt.inPlace && r.seq <= logSeqAt.kill)).toBe(true);
      expect(got.some((r) => r.seq > logSeqAt.kill && r.source !== "openclaw-file")).toBe(true);
      const text = JSON.stringify(got);
      expect(text).not.toContain(token);
      if (target.printsToken) expect(got.filter((r) => r.message.includes("auth token is [redacted]")).length).toBeGreaterThanOrEqual(2);
      expect(text).not.toContain("sk-obs-abc123");
    });

    it("output.log rotates at a small size, keeps N files, loses and repeats no line of the kept window", async () => {
      const dir = join(gw.context.dir, "logs");
      const ring = await collect(gw.logs({ sources: ["stdout", "stderr"] }), () => false);
      await waitUntil(() => outputFileLines(dir).at(-1)?.message === ring.at(-1)?.message, "the output file caught up");
      const files = readdirSync(dir).filter((f) => /^output(\.\d+)?\.log$/.test(f)).sort();
      expect(files).toEqual(["output.1.log", "output.2.log", "output.log"].slice(0, KEEP_FILES + 1).sort());
      const lines = outputFileLines(dir);
      expect(lines.length).toBeLessThan(ring.length);
      expect(lines.map((l) => l.message)).toEqual(ring.slice(-lines.length).map((r) => r.message));
      expect(JSON.stringify(lines)).not.toContain(token);
    });

    it("snapshot: RSS and CPU of the tree match /proc (read just before and after the sample) within 10 %; uptime, health, restarts", async () => {
      await waitUntil(() => gw.snapshot().resources?.cpuPercent !== undefined && gw.snapshot().health?.ok === true, "a CPU figure and a ping");
      // /proc read just before and just after a sample: the sample lies between. A walk reads
      // /proc over several turns and stamps its end, so the walk that ends first after `before`
      // may have begun before it; the one after that began after it.
      const readTree = () => {
        const tree = treeOf(gw.pid!).map((p) => readProc(p.pid)!).filter(Boolean);
        return { n: tree.length, rss: tree.reduce((n, p) => n + p.rssPages * 4096, 0), cpuMs: tree.reduce((n, p) => n + (p.utime + p.stime) * 10, 0) };
      };
      const nextSample = async (): Promise<void> => {
        const previous = gw.snapshot().resources!.sampledAt;
        await waitUntil(() => gw.snapshot().resources!.sampledAt !== previous, "the next sample");
      };
      const before = readTree();
      await nextSample();
      await nextSample();
      const snap = gw.snapshot();
      const after = readTree();
      const r = snap.resources!;
      expect(r.rssBytes).toBeGreaterThanOrEqual(Math.min(before.rss, after.rss) * 0.9);
      expect(r.rssBytes).toBeLessThanOrEqual(Math.max(before.rss, after.rss) * 1.1);
      expect(r.cpuMs).toBeGreaterThanOrEqual(before.cpuMs * 0.9);
      expect(r.cpuMs).toBeLessThanOrEqual(after.cpuMs * 1.1);
      expect(r.processes).toBeGreaterThanOrEqual(Math.min(before.n, after.n));
      expect(r.processes).toBeLessThanOrEqual(Math.max(before.n, after.n));
      expect(snap.restartsTotal).toBe(1);
      expect(snap.uptimeMs).toBeGreaterThanOrEqual(0);
      expect(snap.version).toBeTruthy();
    });

    it("metrics parse as Prometheus text; diagnostics and everything else carry no token", async () => {
      await expect(gw.call("no.such.method", {})).rejects.toThrow();
      const text = await host.metrics();
      const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
      const value = (name: string, labels: Record<string, string>) =>
        families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
      expect(value("clawhost_gateway_up", { gateway: "watched" })).toBe("1");
      expect(value("clawhost_gateway_restarts_total", { gateway: "watched" })).toBe("1");
      expect(value("clawhost_gateway_rpc_errors_total", { gateway: "watched" })).toBe("1");
      expect(Number(value("clawhost_gateway_resident_memory_bytes", { gateway: "watched" }))).toBeGreaterThan(1e6);
      const diag = await gw.diagnostics();
      expect(diag.processTree.map((p) => p.pid)).toContain(gw.pid);
      expect(diag.logTail.length).toBeGreaterThan(0);
      expect(diag.versions.gatewayReported).toBe(gw.version);
      const events = await collect(host.events({ since: 0 }), (r) => r.seq === host.snapshot().seq);
      const everything = JSON.stringify([events, host.snapshot(), text, diag, diag.config]);
      expect(everything).not.toContain(token);
      expect(everything).not.toContain("sk-obs-abc123");
      expect(everything).not.toContain("sk-obs-def456");
      expect(diag.config).toMatchObject({ env: { vars: { OBSERVE_KEY: "[redacted]", REGION_NOTE: "see [redacted]" } } });
    });
  });
}
