// The server side of one run of the SSE bench, in a fresh process (its CPU is its own): a host
// with one fake gateway that writes a burst of output lines (each a `log` record of the event
// stream) and an HTTP server on 127.0.0.1:0. Modes (argv[2] is the JSON config of sse.ts):
//   handler  clawhost/http's createHttpHandler: GET /events, one journal cursor per client
//   naive    the obvious code: per client a host.on("gateway:log") listener writing each
//            line to its response at once (no resume, no backpressure)
// Protocol on stdout/stdin: prints "@port N"; on "go" starts the gateway (the burst follows);
// on "done" prints one "@bench " JSON line (CPU between go and done, RSS) and stops.
import { createServer } from "node:http";
import { createInterface } from "node:readline";

const cfg = JSON.parse(process.argv[2]);
const { GatewayHost } = await import(cfg.dist);
const { createHttpHandler } = await import(cfg.distHttp);
const { createAdaptorServer } = await import("@hono/node-server");

const host = new GatewayHost({ root: cfg.root, leaseDir: cfg.leaseDir, ports: cfg.ports, openclaw: { bin: cfg.bin }, liveness: false });
const gw = await host.add({ name: "burst", env: { FAKE_GATEWAY_LOG_BURST: String(cfg.lines), FAKE_GATEWAY_LOG_BURST_AFTER_MS: "200" } });

let server;
if (cfg.mode === "handler") {
  const token = "b".repeat(32);
  let handler;
  server = createAdaptorServer({ fetch: (req) => handler(req) });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  handler = createHttpHandler(host, { token, port: server.address().port });
  server.on("close", () => handler.close());
} else {
  server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(": connected\n\n");
    const onLog = (g, line) => res.write(`data: ${JSON.stringify({ gateway: g.name, type: "log", emitted: Date.now(), data: line })}\n\n`);
    host.on("gateway:log", onLog);
    req.on("close", () => host.off("gateway:log", onLog));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
}
process.stdout.write(`@port ${server.address().port}\n`);

let cpu0;
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "go") {
    cpu0 = process.cpuUsage();
    void gw.start();
  } else if (line === "done") {
    const cpu = process.cpuUsage(cpu0);
    clearInterval(rssTimer);
    process.stdout.write(`@bench ${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: peakRss / 1048576 })}\n`);
    server.closeAllConnections?.();
    server.close();
    await host.dispose();
    process.exit(0);
  }
}
