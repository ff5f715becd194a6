// How fast a busy port is refused: a foreign listener on a gateway's base port, and
// separately on base+2, then gateway.start() until it rejects with CLAWHOST_PORT_IN_USE
// (bind probes on 127.0.0.1 and ::1, holder lookup through /proc, nothing spawned).
// OpenClaw itself reports the same conflict only after ~10-16 s of bind retries.
// Run: npm run bench:refusal   (writes bench/reports/refusal.md)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { GatewayHost, isClawhostError } from "clawhost";

const ROUNDS = Number(process.env.ROUNDS ?? 50);
const root = mkdtempSync(join(tmpdir(), "clawhost-bench-refusal-"));
const host = new GatewayHost({ root, ports: { from: 25000, to: 25999 } });
const gw = await host.add({ name: "busy" });

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const results: Record<string, number[]> = { "base port": [], "base+2 (browser control)": [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, port] of [
      ["base port", gw.context.ports.gateway],
      ["base+2 (browser control)", gw.context.ports.browserControl],
    ] as const) {
      const server = createServer();
      await new Promise<void>((r) => server.listen({ port, host: "127.0.0.1", exclusive: true }, r));
      const t0 = performance.now();
      const err = await gw.start().catch((e: unknown) => e);
      const ms = performance.now() - t0;
      await new Promise((r) => server.close(r));
      if (!isClawhostError(err, "CLAWHOST_PORT_IN_USE") || gw.pid !== undefined) throw new Error(`unexpected outcome: ${String(err)}`);
      results[label]!.push(ms);
    }
  }
} finally {
  await host[Symbol.asyncDispose]();
  rmSync(root, { recursive: true, force: true });
}

const rows = Object.entries(results)
  .map(([label, xs]) => `| ${label} | ${pct(xs, 50).toFixed(1)} ms | ${pct(xs, 95).toFixed(1)} ms | ${Math.max(...xs).toFixed(1)} ms |`)
  .join("\n");
const report = `# Busy port refused before spawn

Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:refusal\` on ${cpus().length} cores,
${Math.round(totalmem() / 2 ** 30)} GiB, openclaw ${host.runtime.openclawVersion}, Node ${host.runtime.nodeVersion}.
A foreign listener on 127.0.0.1 holds the port; \`gateway.start()\` prepares the gateway's
dirs, token and config, probes the ports, finds the holder's pid through /proc and rejects
with \`CLAWHOST_PORT_IN_USE\`, without spawning. ${ROUNDS} rounds, both cases alternating.

| held port | median | p95 | max |
|---|---|---|---|
${rows}

OpenClaw started on such a port exits 1 only after ~10-16 s of bind retries.
`;
writeFileSync(new URL("./reports/refusal.md", import.meta.url), report);
console.log(report);
