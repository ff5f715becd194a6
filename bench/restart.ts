// Crash-to-ready on the real gateway: kill -9 a ready gateway and time until the restart
// policy has it answering hello-ok again. clawhost's default first delay (1 s) alternates
// in one run with the fixed 5 s of OpenClaw's systemd unit (RestartSec=5), run through the
// same supervisor so that only the delay differs. Reports medians and "minus delay" (what
// the recovery itself costs: tree cleanup, respawn, boot).
// Run: npm run bench:restart   (writes bench/reports/restart.md)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { DEFAULT_RESTART_POLICY, GatewayHost } from "clawhost";
import type { Gateway } from "clawhost";

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const root = mkdtempSync(join(tmpdir(), "clawhost-bench-restart-"));
const host = new GatewayHost({ root, ports: { from: 25000, to: 25999 }, liveness: false });
const variants = [
  { label: "clawhost default (1 s, backoff)", delayMs: DEFAULT_RESTART_POLICY.initialDelayMs },
  { label: "systemd unit (RestartSec=5, fixed)", delayMs: 5_000 },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

async function crashToReady(gw: Gateway): Promise<number> {
  const ready = new Promise<void>((r) => gw.once("ready", () => r()));
  const t0 = performance.now();
  process.kill(gw.pid!, "SIGKILL");
  await ready;
  return Math.round(performance.now() - t0);
}

const results = variants.map(() => [] as number[]);
try {
  const gws = await Promise.all(variants.map((v, i) => host.add({ name: `v${i}`, restart: { initialDelayMs: v.delayMs, factor: 1, jitter: 0, resetAfterMs: 0 } })));
  for (const gw of gws) await gw.start();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < gws.length; i++) {
      const ms = await crashToReady(gws[i]!);
      results[i]!.push(ms);
      console.log(`round ${round + 1} ${variants[i]!.label}: ${ms} ms`);
    }
  }
} finally {
  await host.stopAll();
  rmSync(root, { recursive: true, force: true });
}

const rows = variants
  .map((v, i) => `| ${v.label} | ${v.delayMs} ms | ${median(results[i]!)} ms | ${median(results[i]!) - v.delayMs} ms | ${results[i]!.join(", ")} |`)
  .join("\n");
const ratio = median(results[0]!) / median(results[1]!);
const report = `# Crash to ready: clawhost's backoff vs systemd's RestartSec=5

Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:restart\` on ${cpus().length} cores,
${Math.round(totalmem() / 2 ** 30)} GiB, openclaw ${host.runtime.openclawVersion}, Node ${host.runtime.nodeVersion}.
Two ready gateways on one host; each round kills one with SIGKILL and times until it answers
\`hello-ok\` again (exit noticed, orphans ended, delay, respawn, boot), then the other.
${ROUNDS} rounds, the two variants alternating in one run. Both use clawhost's supervisor;
they differ only in the first restart delay (the systemd unit OpenClaw renders restarts
after a fixed 5 s).

| restart delay | configured | median crash-to-ready | minus delay | all runs (ms) |
|---|---|---|---|---|
${rows}

Ratio of medians, clawhost default / systemd unit: **${ratio.toFixed(2)}**.
"Minus delay" is the recovery itself (exit noticed, orphans ended, respawn, boot; the boot
dominates, see start.md): ${median(results[0]!) - variants[0]!.delayMs} ms vs ${median(results[1]!) - variants[1]!.delayMs} ms here.
Every crash in this run is a first crash (\`resetAfterMs: 0\`); repeated crashes back off
1, 2, 4 ... 30 s with clawhost, while systemd keeps 5 s until its start limit (10 in 300 s).
`;
writeFileSync(new URL("./reports/restart.md", import.meta.url), report);
console.log(report);
