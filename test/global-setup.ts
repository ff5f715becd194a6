import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// After the whole run: no OpenClaw gateway that a test started may still be alive. A leaked
// one is recognised by its cwd (benchmarks running beside the tests use other prefixes).
function leakedGateways(prefix: string): string[] {
  const leaked: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (comm.startsWith("openclaw") && cwd.startsWith(prefix)) leaked.push(`${pid} (${comm}, cwd ${cwd})`);
    } catch {
      // Gone or not ours to read.
    }
  }
  return leaked;
}

// The suites' own hosts root their gateways in <tmpdir>/clawhost-test-*: checked at the
// global teardown. The test kit's pools (<tmpdir>/clawhost-testing-*) are worker fixtures,
// closed when vitest stops its workers, which comes after the global teardown: checked
// when this process exits.
const SUITES = join(tmpdir(), "clawhost-test-");
const KIT = join(tmpdir(), "clawhost-testing-");

function checkKitAtExit(): void {
  const leaked = leakedGateways(KIT);
  if (leaked.length === 0) return;
  process.stderr.write(`\ngateway processes left behind by the test kit's pools: ${leaked.join(", ")}\n`);
  process.exitCode = 1;
}

export function setup(): void {
  process.once("exit", checkKitAtExit);
}

export function teardown(): void {
  const leaked = leakedGateways(SUITES);
  if (leaked.length > 0) throw new Error(`gateway processes left behind by the tests: ${leaked.join(", ")}`);
}
