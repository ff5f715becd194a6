// Fails when api-docs/ differs from what typedoc generates from the current sources.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const out = mkdtempSync(join(tmpdir(), "clawhost-api-docs-"));
const r = spawnSync("npx", ["typedoc", "--out", out, "--logLevel", "Warn"], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);

function files(dir, base = dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p, base) : [relative(base, p)];
  });
}
const fresh = new Set(files(out));
const committed = new Set(files("api-docs"));
const stale = [...new Set([...fresh, ...committed])].filter(
  (f) => !fresh.has(f) || !committed.has(f) || readFileSync(join(out, f), "utf8") !== readFileSync(join("api-docs", f), "utf8"),
);
rmSync(out, { recursive: true, force: true });
if (stale.length > 0) {
  console.error(`api-docs/ is stale (${stale.length} files differ: ${stale.slice(0, 5).join(", ")}). Run \`npm run docs\` and commit.`);
  process.exit(1);
}
console.log("api-docs/ is fresh.");
