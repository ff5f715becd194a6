// The host process of the validator bench: one GatewayHost, one stopped gateway, and
// `lives` rounds of: one updateConfig (a new config validator starts, loads OpenClaw's
// schema and checks the config), then `windowMs` of 200 ms samples while the validator
// idles out and ends. Prints one JSON line per life. argv: root, leaseDir, lives, windowMs.
import { GatewayHost } from "clawhost";
import { childrenOf, cmdlineOf, statusKb } from "./procfs.ts";
import { readFileSync } from "node:fs";

const [root, leaseDir, lives, windowMs] = process.argv.slice(2) as [string, string, string, string];
const threads = (): number => Number(/Threads:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
const mb = (kb: number | undefined): number => (kb ?? 0) / 1024;
const validatorPid = (): number | undefined => childrenOf(process.pid).find((p) => cmdlineOf(p).includes("validator"));

const host = new GatewayHost({ root, leaseDir, ports: { from: 19000, to: 19999 } });
const gw = await host.add({ name: "v" });
const baseThreads = threads();
for (let life = 1; life <= Number(lives); life++) {
  const rssBeforeMB = mb(statusKb("self", "VmRSS"));
  let last = performance.now();
  let maxGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 5);
  const t0 = performance.now();
  await gw.updateConfig((cfg) => {
    ((cfg.env ??= {}) as { vars?: Record<string, string> }).vars = { LIFE: String(life) };
  });
  const firstUpdateMs = performance.now() - t0;
  clearInterval(ticker);
  let peakMB = 0;
  let validatorPeakMB = 0;
  let aliveMs = 0;
  let pid: number | undefined;
  const start = performance.now();
  while (performance.now() - start < Number(windowMs)) {
    peakMB = Math.max(peakMB, mb(statusKb("self", "VmRSS")));
    const child = validatorPid();
    if (child !== undefined) {
      pid = child;
      validatorPeakMB = Math.max(validatorPeakMB, mb(statusKb(child, "VmHWM")));
    }
    if (child !== undefined || threads() > baseThreads) aliveMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
  }
  const rssAfterMB = mb(statusKb("self", "VmRSS"));
  process.stdout.write(`${JSON.stringify({ life, rssBeforeMB, peakMB, rssAfterMB, firstUpdateMs, maxGapMs, validatorPid: pid, validatorPeakMB, aliveMs })}\n`);
}
await host[Symbol.asyncDispose]();
