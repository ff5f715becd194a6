// The main job through the `clawhost` command, on the real OpenClaw gateway: a fleet file of
// two gateways, started detached, listed, reconfigured live, restarted in place, read, checked
// and taken down, each step a separate invocation that adopts what runs.
// Run with `npm run demo:cli` (builds first). CLAWHOST_DEMO_OPENCLAW_BIN runs another
// openclaw executable instead (the fault-injection gateway, for a quick look).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const repo = new URL("..", import.meta.url).pathname;
const bin = join(repo, "dist/cli/bin.js");
const dir = mkdtempSync(join(tmpdir(), "clawhost-cli-demo-"));
const openclaw = process.env.CLAWHOST_DEMO_OPENCLAW_BIN
  ? { bin: process.env.CLAWHOST_DEMO_OPENCLAW_BIN, node: process.execPath }
  : { searchFrom: repo };

writeFileSync(
  join(dir, "clawhost.json5"),
  `// The fleet: host options, then one spec per gateway.
{
  $schema: "${join(repo, "dist/fleet.schema.json")}",
  root: "./gateways",
  openclaw: ${JSON.stringify(openclaw)},
  gateways: { main: {}, rescue: {} },
}
`,
);

/** Run one `clawhost` invocation in the fleet's directory, print it and what it printed; its exit code. */
function clawhost(...args: string[]): number {
  console.log(`\n$ clawhost ${args.join(" ")}`);
  try {
    process.stdout.write(execFileSync(process.execPath, [bin, ...args], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, COLUMNS: "100" } }));
    return 0;
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    process.stdout.write(e.stdout + e.stderr);
    console.log(`(exit ${e.status})`);
    return e.status;
  }
}

console.log(`fleet file: ${join(dir, "clawhost.json5")}`);
try {
  const t0 = performance.now();
  if (clawhost("up", "--detach") !== 0) throw new Error("the fleet did not start");
  console.log(`(both ready and detached after ${Math.round(performance.now() - t0)} ms; this invocation has ended)`);
  clawhost("ps");
  clawhost("config", "set", "rescue", "env.vars.REGION", '"eu"');
  clawhost("config", "get", "rescue", "env.vars");
  clawhost("restart", "main", "--in-place");
  clawhost("ps", "--json");
  clawhost("logs", "main", "--tail", "5");
  clawhost("doctor");
  clawhost("stop", "rescue");
  clawhost("stop", "rescue");
  clawhost("ps", "nosuch");
} finally {
  clawhost("down");
  rmSync(dir, { recursive: true, force: true });
}
