// Config validator lives: host process RSS across repeated validator lives. A host process
// (a child of this one, so its RSS is its own) runs `--lives` rounds of one updateConfig on a
// stopped gateway (no gateway process: the config file path, validated against the installed
// OpenClaw's schema) followed by a window in which the validator idles out (30 s) and ends.
// Per life: host RSS before, peak and after; the first update's time; the event loop's
// longest stall meanwhile; the validator process's own peak RSS (when it is one).
// Run: npm run bench:validator   options: --lives <n> (6) --window <s> (45) --cold (remove the
//      validator code caches first) --label <text> --out <file> (bench/reports/validator.md)
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    lives: { type: "string", default: "6" },
    window: { type: "string", default: "45" },
    cold: { type: "boolean", default: false },
    label: { type: "string", default: "" },
    out: { type: "string", default: new URL("./reports/validator.md", import.meta.url).pathname },
  },
});

interface Life {
  life: number;
  rssBeforeMB: number;
  peakMB: number;
  rssAfterMB: number;
  firstUpdateMs: number;
  maxGapMs: number;
  validatorPid?: number;
  validatorPeakMB: number;
  aliveMs: number;
}

const cacheDir = join(tmpdir(), `clawhost-cache-${process.getuid?.() ?? "user"}`);
if (opts.cold) {
  for (const f of readdirSync(cacheDir).filter((n) => /^openclaw-config-schema-.*\.validator\./.test(n))) rmSync(join(cacheDir, f), { force: true });
}
const root = mkdtempSync(join(tmpdir(), "clawhost-bench-validator-"));
const load0 = loadavg();
const lives: Life[] = [];
try {
  const worker = new URL("./validator-worker.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, [worker, join(root, "fleet"), join(root, "leases"), opts.lives, String(Number(opts.window) * 1000)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  for await (const line of createInterface({ input: child.stdout })) {
    const life = JSON.parse(line) as Life;
    lives.push(life);
    console.log(line);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
if (lives.length === 0) throw new Error("the host process measured no validator life");
const load1 = loadavg();
const f = (n: number): string => n.toFixed(1);
const rows = lives.map(
  (l) =>
    `| ${l.life} | ${f(l.rssBeforeMB)} | ${f(l.peakMB)} | ${f(l.rssAfterMB)} | ${Math.round(l.firstUpdateMs)} ms | ${Math.round(l.maxGapMs)} ms | ${l.validatorPid ? f(l.validatorPeakMB) : "(in the host)"} | ${f(l.aliveMs / 1000)} s |`,
);
const report = `# Config validator lives${opts.label ? `: ${opts.label}` : ""}

Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:validator${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(" ")}` : ""}\` on ${cpus().length} cores,
Node ${process.versions.node}; load average (1 min) ${load0[0]!.toFixed(2)} at the start, ${load1[0]!.toFixed(2)} at the end.

A host process (a child of the bench, importing the built package) with one stopped gateway
runs ${opts.lives} rounds of: one \`updateConfig\` (written to the file, validated against the installed
OpenClaw's own schema: a new validator starts, loads the schema and checks the config), then
${opts.window} s of samples every 200 ms while the validator idles out (30 s) and ends.${opts.cold ? " The validator code caches were removed first (life 1 builds them)." : ""}

- *RSS before / peak / after*: the host process's VmRSS before the update, the highest sample
  in the life, and at the end of its window (the validator gone by then).
- *first update*: time to the update's end (the validator's start, schema load and check).
- *longest stall*: the longest gap between runs of a 5 ms interval timer during that update.
- *validator peak*: the validator process's own VmHWM (a worker thread's memory is the host's).
- *alive*: from the update until the validator was last seen.

| life | host RSS before MB | host RSS peak MB | host RSS after MB | first update | longest stall | validator peak MB | alive |
|---|---|---|---|---|---|---|---|
${rows.join("\n")}

Host RSS after life 1: ${f(lives[0]?.rssAfterMB ?? 0)} MB; after life ${lives.length}: ${f(lives.at(-1)?.rssAfterMB ?? 0)} MB
(${f((lives.at(-1)?.rssAfterMB ?? 0) - (lives[0]?.rssAfterMB ?? 0))} MB over ${lives.length - 1} lives).
`;
writeFileSync(opts.out, report);
console.log(report);
