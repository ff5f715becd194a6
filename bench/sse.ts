// SSE fan-out: 50 clients on GET /events while one fake gateway writes a burst of 10,000
// output lines at once (each a `log` record of the host's event stream, so 500,000 records
// delivered). Measured per run, the server in a fresh process: its CPU from the start of
// the gateway to the last client's last line (process.cpuUsage), its peak RSS, and the
// latency of every record from its emit (the record's time) to the client's receipt, p50,
// p99, max; what the clients got and how many `gap` records told them they fell behind.
// Anchors in the same run, alternating: the same burst to 1 client (the cost of fan-out), and
// 50 clients served by the obvious code (a host.on("gateway:log") listener per client
// writing to its response at once). Medians of the runs.
// Run: npm run bench:sse                           (3 runs each; writes bench/reports/sse.md)
//      npm run bench:sse -- --runs 1 --lines 2000  (smoke: writes sse.smoke.md)
import { spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({ options: { runs: { type: "string", default: "3" }, lines: { type: "string", default: "10000" }, clients: { type: "string", default: "50" }, out: { type: "string" } } });
const RUNS = Number(opts.runs);
const LINES = Number(opts.lines);
const CLIENTS = Number(opts.clients);
const full = RUNS >= 3 && LINES === 10_000 && CLIENTS === 50;
const outFile = opts.out ?? new URL(`./reports/${full ? "sse.md" : "sse.smoke.md"}`, import.meta.url).pathname;
const here = (p: string): string => new URL(p, import.meta.url).pathname;
const base = mkdtempSync(join(tmpdir(), "clawhost-bench-sse-"));
// Clear of the test suite's ranges and of the other benches.
const PORTS = { from: 2_000, to: 2_239 };
const LAST = `line ${LINES} of ${LINES}`;

type Mode = "handler" | "naive";
interface Run {
  label: string;
  mode: Mode;
  clients: number;
  cpuMs: number;
  peakRssMb: number;
  deliveryMs: number;
  p50: number;
  p99: number;
  max: number;
  got: number;
  gaps: number;
  missed: number;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const median = (xs: number[]): number => pct(xs, 50);

/** One client: reads the stream, notes each burst line's latency, resolves at the last line. */
function client(port: number, mode: Mode, latencies: number[]): { ready: Promise<void>; done: Promise<{ got: number; gaps: number; missed: number }> } {
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const done = new Promise<{ got: number; gaps: number; missed: number }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: mode === "handler" ? "/events?types=log" : "/", headers: { authorization: `Bearer ${"b".repeat(32)}` } }, (res) => {
      let buf = "";
      let got = 0;
      let gaps = 0;
      let missed = 0;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        const now = Date.now();
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (block.startsWith(":")) {
            ready();
            continue;
          }
          const data = block.slice(block.indexOf("data: ") + 6);
          const r = JSON.parse(data) as { type: string; time?: string; emitted?: number; data: { line?: string; missed?: number } };
          if (r.type === "gap") {
            gaps++;
            missed += r.data.missed ?? 0;
            continue;
          }
          const line = r.data.line ?? "";
          if (!line.includes(" burst ")) continue;
          got++;
          latencies.push(now - (r.emitted ?? Date.parse(r.time!)));
          if (line.includes(LAST)) {
            res.destroy();
            resolve({ got, gaps, missed });
          }
        }
      });
      res.on("error", () => undefined);
    });
    req.on("error", reject).end();
  });
  return { ready: readyP, done };
}

async function once(label: string, mode: Mode, clients: number, i: number): Promise<Run> {
  const cfg = { mode, lines: LINES, root: join(base, `${label}-${i}`), leaseDir: join(base, "leases"), ports: PORTS, bin: here("../test/fixtures/fake-openclaw/openclaw.mjs"), dist: here("../dist/index.js"), distHttp: here("../dist/http/index.js") };
  const worker = spawn(process.execPath, [here("./sse-worker.mjs"), JSON.stringify(cfg)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: worker.stdout! });
  const next = (prefix: string): Promise<string> => new Promise((resolve) => {
    const on = (l: string): void => {
      if (!l.startsWith(prefix)) return;
      lines.off("line", on);
      resolve(l.slice(prefix.length));
    };
    lines.on("line", on);
  });
  const port = Number(await next("@port "));
  const latencies: number[] = [];
  const cs = Array.from({ length: clients }, () => client(port, mode, latencies));
  await Promise.all(cs.map((c) => c.ready));
  const t0 = performance.now();
  worker.stdin!.write("go\n");
  const results = await Promise.all(cs.map((c) => c.done));
  const deliveryMs = performance.now() - t0;
  const figures = next("@bench ");
  worker.stdin!.write("done\n");
  const { cpuMs, peakRssMb } = JSON.parse(await figures) as { cpuMs: number; peakRssMb: number };
  await new Promise((r) => worker.once("exit", r));
  return {
    label, mode, clients, cpuMs, peakRssMb, deliveryMs,
    p50: pct(latencies, 50), p99: pct(latencies, 99), max: pct(latencies, 100),
    got: results.reduce((s, r) => s + r.got, 0), gaps: results.reduce((s, r) => s + r.gaps, 0), missed: results.reduce((s, r) => s + r.missed, 0),
  };
}

const plans: Array<[string, Mode, number]> = [
  [`clawhost/http, ${CLIENTS} clients`, "handler", CLIENTS],
  [`naive listener per client, ${CLIENTS} clients`, "naive", CLIENTS],
  ["clawhost/http, 1 client", "handler", 1],
];
const runs: Run[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    for (const [label, mode, clients] of plans) {
      const r = await once(label, mode, clients, i);
      runs.push(r);
      console.log(JSON.stringify(r));
    }
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

const row = (label: string): string => {
  const rs = runs.filter((r) => r.label === label);
  const m = (f: (r: Run) => number, d = 0): string => median(rs.map(f)).toFixed(d);
  return `| ${label} | ${m((r) => r.cpuMs)} | ${m((r) => r.deliveryMs)} | ${m((r) => r.p50)} | ${m((r) => r.p99)} | ${m((r) => r.max)} | ${m((r) => r.got)} | ${m((r) => r.gaps)} | ${m((r) => r.missed)} | ${m((r) => r.peakRssMb)} |`;
};
const report = `# SSE fan-out (bench/sse.ts)

${CLIENTS} clients on \`GET /events?types=log\` while one fake gateway writes ${LINES.toLocaleString("en")} output lines at once
(each a \`log\` record of the host's event stream). The server runs in its own process; the clients
share the bench process. Medians of ${RUNS} alternating runs per row.

- **server CPU**: \`process.cpuUsage()\` of the server process from the gateway's start to the last
  client's last line (the gateway's boot is in it; the gateway's own process is not).
- **delivery**: from the start to the last client's last line.
- **latency**: per record, from its emit (the record's \`time\`; the naive server stamps \`Date.now()\`
  at its listener) to the client's receipt (ms resolution).
- **gaps / missed**: \`gap\` records received (summed over clients), and the records they said were
  gone: the replay ring (1,000 records by default) moved past a client that read slower than the burst.

| server | server CPU ms | delivery ms | latency p50 ms | latency p99 ms | latency max ms | lines received (all clients) | gaps | missed | server peak RSS MB |
|---|---|---|---|---|---|---|---|---|---|
${plans.map(([l]) => row(l)).join("\n")}

Reading it: the 50 clients parse every record in one process on a 2-core machine that also
runs the server and the gateway, so delivery and latency are bounded by the clients as much
as by the server; the rows compare servers under the same load. The server's cost per record
and client is the anchor-relative figure: CPU of 50 clients against 1 client, and against the
obvious listener-per-client code, which writes every line to every response at once without
backpressure (its buffers grow with slow clients; clawhost/http's clients pull from cursors).

Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 1024 ** 3).toFixed(0)} GB, Linux ${release()}, Node ${process.version}; shared with other work.

Per run:

| server | run | CPU ms | delivery ms | p99 ms | received | gaps | missed |
|---|---|---|---|---|---|---|---|
${runs.map((r, i) => `| ${r.label} | ${Math.floor(i / plans.length) + 1} | ${r.cpuMs.toFixed(0)} | ${r.deliveryMs.toFixed(0)} | ${r.p99} | ${r.got} | ${r.gaps} | ${r.missed} |`).join("\n")}
`;
writeFileSync(outFile, report);
console.log(report);
