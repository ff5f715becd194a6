// One measured run of the events bench, in a fresh process (its RSS is its own). Plain JS
// like the scale worker: type stripping alone would add ~18 MB of RSS.
// Modes (argv[2] is the JSON config of events.ts):
//   stream  a fast and a slow consumer of host.events(), the journal's cursors
//   naive   the same two consumers as the obvious emitter code: each listener pushes into
//           its own array, drained by the consumer at its pace
// The gateway is the fault-injection fake with FAKE_GATEWAY_LOG_BURST: N output lines at
// once, each a `log` record. Prints one "@bench " JSON line with the figures.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

const cfg = JSON.parse(process.argv[2]);
const { GatewayHost } = await import(cfg.dist);
const RES = 10;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const host = new GatewayHost({
  root: cfg.root,
  leaseDir: cfg.leaseDir,
  ports: cfg.ports,
  openclaw: { bin: cfg.bin },
  liveness: false,
  events: { replay: cfg.replay },
});
const gw = await host.add({
  name: "burst",
  env: {
    FAKE_GATEWAY_LOG_BURST: String(cfg.lines),
    FAKE_GATEWAY_LOG_BURST_AFTER_MS: "300",
    FAKE_GATEWAY_LOG_BURSTS: String(cfg.bursts),
    FAKE_GATEWAY_LOG_BURST_EVERY_MS: String(cfg.everyMs),
  },
});
const isBurst = (line) => line.includes("] burst ");
const lastOf = (k) => `burst ${k} line ${cfg.lines} of ${cfg.lines}`;
// RSS when the fast consumer read each burst's last line, and 1 s later.
const afterBurst = [];
const burstEnded = (line) => {
  for (let k = 1; k <= cfg.bursts; k++) {
    if (!line.endsWith(lastOf(k))) continue;
    setTimeout(() => afterBurst.push(process.memoryUsage().rss / 2 ** 20), 1000);
    if (k === cfg.bursts) fast.done = true;
  }
};

const fast = { got: 0, lastSeq: 0, done: false, firstAt: 0, lastAt: 0 };
const slow = { got: 0, gaps: 0, missed: 0 };
const ac = new AbortController();
let produced = 0; // log records of the burst the host has emitted
gw.on("log", (l) => {
  if (isBurst(l.line)) produced++;
});

let consumers;
if (cfg.mode === "stream") {
  const fastLoop = (async () => {
    for await (const r of host.events({ since: host.snapshot().seq, types: ["log"], signal: ac.signal })) {
      fast.lastSeq = r.seq;
      if (r.type !== "log" || !isBurst(r.data.line)) continue;
      fast.got++;
      fast.firstAt ||= performance.now();
      fast.lastAt = performance.now();
      burstEnded(r.data.line);
    }
  })();
  const slowLoop = (async () => {
    for await (const r of host.events({ since: host.snapshot().seq, types: ["log"], signal: ac.signal })) {
      if (r.type === "gap") {
        slow.gaps++;
        slow.missed += r.data.missed;
      } else if (isBurst(r.data.line)) slow.got++;
      await sleep(1);
    }
  })();
  consumers = [fastLoop, slowLoop];
} else {
  // The obvious code: a listener per consumer, an array per consumer, nothing dropped.
  const fastQ = [];
  const slowQ = [];
  host.on("gateway:log", (_g, l) => {
    fastQ.push(l);
    slowQ.push(l);
  });
  const fastLoop = (async () => {
    while (!ac.signal.aborted) {
      if (fastQ.length === 0) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      const l = fastQ.shift();
      fast.lastSeq++;
      if (!isBurst(l.line)) continue;
      fast.got++;
      fast.firstAt ||= performance.now();
      fast.lastAt = performance.now();
      burstEnded(l.line);
    }
  })();
  const slowLoop = (async () => {
    while (!ac.signal.aborted) {
      const l = slowQ.shift();
      slow.backlogAtEnd = slowQ.length;
      if (l && isBurst(l.line)) slow.got++;
      await sleep(1);
    }
  })();
  consumers = [fastLoop, slowLoop];
}

await gw.start();
const h = monitorEventLoopDelay({ resolution: RES });
const rss = [];
const lag = [];
const baseRss = process.memoryUsage().rss;
h.enable();
const t0 = performance.now();
const tick = setInterval(() => {
  rss.push(process.memoryUsage().rss);
  // Lag: burst records the host has emitted that the fast consumer has not yet read.
  lag.push(produced - fast.got);
}, 20);
while (!fast.done && performance.now() - t0 < cfg.timeoutMs) await sleep(20);
const burstMs = fast.lastAt - fast.firstAt;
await sleep(cfg.settleMs);
clearInterval(tick);
h.disable();
const endRss = process.memoryUsage().rss;
// What is still reachable (the bench runs with --expose-gc; the host never calls gc()).
global.gc();
const retainedMb = process.memoryUsage().heapUsed / 2 ** 20;
ac.abort();
await host.stopAll();
await host.dispose();
await Promise.race([Promise.all(consumers), sleep(2000)]);

process.stdout.write(
  `@bench ${JSON.stringify({
    mode: cfg.mode,
    lines: cfg.lines,
    fastGot: fast.got,
    burstMs,
    lagP99: pct(lag, 99),
    lagMax: Math.max(0, ...lag),
    lagMedian: median(lag),
    slowGot: slow.got,
    slowGaps: slow.gaps,
    slowMissed: slow.missed,
    baseRssMb: baseRss / 2 ** 20,
    peakRssMb: Math.max(baseRss, ...rss) / 2 ** 20,
    endRssMb: endRss / 2 ** 20,
    afterBurstRssMb: afterBurst,
    retainedHeapMb: retainedMb,
    slowBacklog: slow.backlogAtEnd ?? 0,
    eldP99: Math.max(0, h.percentile(99) / 1e6 - RES),
    eldMax: Math.max(0, h.max / 1e6 - RES),
  })}\n`,
);
process.exit(0);
