// Config writes under contention: 4 processes each fire 250 concurrent updates (1,000 in
// all, each setting its own key under env.vars) at one config file, at the same moment.
// Three writers, alternating in one run: clawhost's ConfigStore, a naive read-modify-write
// with fs.writeFile, and write-file-atomic without a queue or lock. Counted: wall time,
// updates per second (acknowledged updates / wall time), updates that reported an error,
// and updates lost (acknowledged, yet absent from the file at the end).
// Run: npm run bench:config   (writes bench/reports/config.md)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const PROCS = 4;
const PER_PROC = 250;
const ROUNDS = 5;
const METHODS = ["clawhost", "naive", "write-file-atomic"] as const;
type Method = (typeof METHODS)[number];
const root = mkdtempSync(join(tmpdir(), "clawhost-bench-config-"));
const workerPath = new URL("./config-worker.mjs", import.meta.url).pathname;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

interface Round {
  wallMs: number;
  errors: number;
  present: number;
  lost: number;
  corrupt: boolean;
}

async function round(method: Method, r: number): Promise<Round> {
  const path = join(root, `${method}-${r}.json`);
  writeFileSync(path, `${JSON.stringify({ gateway: { mode: "local" }, meta: { lastTouchedVersion: "bench" } }, null, 2)}\n`, { mode: 0o600 });
  const ws = await Promise.all(
    Array.from({ length: PROCS }, async (_, p) => {
      const child = spawn(process.execPath, [workerPath, method, path, `P${p}`, String(PER_PROC)], { stdio: ["pipe", "pipe", "inherit"] });
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      await lines.next();
      return { child, lines };
    }),
  );
  const t0 = performance.now();
  for (const w of ws) w.child.stdin.write("go\n");
  const results = await Promise.all(ws.map(async (w) => JSON.parse((await w.lines.next()).value as string) as { ms: number; errors: number }));
  const wallMs = performance.now() - t0;
  const errors = results.reduce((a, b) => a + b.errors, 0);
  let present = 0;
  let corrupt = false;
  try {
    const cfg = JSON.parse(readFileSync(path, "utf8")) as { env?: { vars?: Record<string, string> } };
    present = Object.keys(cfg.env?.vars ?? {}).length;
  } catch {
    corrupt = true;
  }
  // Acknowledged = fired - errors; lost = acknowledged but not in the file.
  return { wallMs, errors, present, lost: Math.max(0, PROCS * PER_PROC - errors - present), corrupt };
}

// Part two: the first validated update of a process. OpenClaw's 2.4 MB schema takes
// seconds to compile; clawhost does it in its validator process. Side by side: the same compile
// and check with ajv on the main thread. Each measurement in a fresh process.
const VALIDATE_ROUNDS = 5;
const validatePath = new URL("./validate-worker.mjs", import.meta.url).pathname;
async function validateRound(mode: "clawhost" | "inline", r: number): Promise<{ ms: number; maxGapMs: number }> {
  const child = spawn(process.execPath, [validatePath, mode, join(root, `v-${mode}-${r}`)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return JSON.parse((await lines.next()).value as string) as { ms: number; maxGapMs: number };
}

const results: Record<Method, Round[]> = { clawhost: [], naive: [], "write-file-atomic": [] };
const firstUpdate: Record<"clawhost" | "inline", Array<{ ms: number; maxGapMs: number }>> = { clawhost: [], inline: [] };
try {
  for (let r = 0; r < ROUNDS; r++) for (const m of METHODS) results[m].push(await round(m, r));
  // A warm-up fills the on-disk schema cache, so both sides start from it.
  await validateRound("clawhost", -1);
  for (let r = 0; r < VALIDATE_ROUNDS; r++) for (const m of ["clawhost", "inline"] as const) firstUpdate[m].push(await validateRound(m, r));
} finally {
  rmSync(root, { recursive: true, force: true });
}

const total = PROCS * PER_PROC;
const row = (m: Method): string => {
  const rs = results[m];
  const wall = median(rs.map((x) => x.wallMs));
  const ups = median(rs.map((x) => ((total - x.errors) / x.wallMs) * 1000));
  const kept = median(rs.map((x) => (x.present / x.wallMs) * 1000));
  return `| ${m} | ${Math.round(wall)} ms | ${Math.round(ups)} | ${Math.round(kept)} | ${rs.map((x) => x.errors).join(", ")} | ${rs.map((x) => x.lost).join(", ")} | ${rs.filter((x) => x.corrupt).length} of ${ROUNDS} |`;
};
const clawWall = median(results.clawhost.map((x) => x.wallMs));
const report = `# Config writes under contention

Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:config\` on ${cpus().length} cores.
${PROCS} processes at the same moment, each firing ${PER_PROC} concurrent updates (each sets
its own key under \`env.vars\`), ${total} updates in all, on one config file. The three
writers alternate round by round in one run, ${ROUNDS} rounds each. clawhost is the
standalone \`ConfigStore\` (no schema check, so the write path alone is compared).

- *errors*: updates whose promise rejected (for the two others, a read of a file another
  writer was half-way through: JSON.parse fails).
- *lost*: updates that resolved, yet whose key is not in the file at the end.
- *updates/s*: resolved updates over the round's wall time; *kept/s*: updates actually
  in the file at the end over the same time.

| writer | wall, median | updates/s, median | kept/s, median | errors per round | lost per round | file unparsable at the end |
|---|---|---|---|---|---|---|
${METHODS.map(row).join("\n")}

clawhost's wall time against the naive writer: ratio ${(clawWall / median(results.naive.map((x) => x.wallMs))).toFixed(2)};
against write-file-atomic: ${(clawWall / median(results["write-file-atomic"].map((x) => x.wallMs))).toFixed(2)}.

## The first validated update of a process

OpenClaw's own schema (\`openclaw config schema\`, 2.4 MB, cached on disk) is compiled
once per process. *clawhost*: the first \`gateway.updateConfig()\` of a fresh process,
schema loaded and checked in clawhost's validator process (a child process; from its code cache when one is there). *inline*: the same schema
compiled and one config checked with ajv on the main thread. Each a fresh process,
alternating, ${VALIDATE_ROUNDS} rounds. *Longest event-loop stall*: the longest gap between runs of a 5 ms
interval timer while it happened (what every other gateway's liveness probe, RPC and
timer in the host would wait).

| | time to done, median | longest event-loop stall, median (all rounds) |
|---|---|---|
| clawhost (validator process) | ${Math.round(median(firstUpdate.clawhost.map((x) => x.ms)))} ms | ${Math.round(median(firstUpdate.clawhost.map((x) => x.maxGapMs)))} ms (${firstUpdate.clawhost.map((x) => Math.round(x.maxGapMs)).join(", ")}) |
| inline (main thread) | ${Math.round(median(firstUpdate.inline.map((x) => x.ms)))} ms | ${Math.round(median(firstUpdate.inline.map((x) => x.maxGapMs)))} ms (${firstUpdate.inline.map((x) => Math.round(x.maxGapMs)).join(", ")}) |
`;
writeFileSync(new URL("./reports/config.md", import.meta.url), report);
console.log(report);
