import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// After the whole run: no OpenClaw gateway that a test started may still be alive.
// Tests root their gateways in <tmpdir>/clawhost-test-*, so a leaked one is recognised by its
// cwd (benchmarks running beside the tests use other prefixes).
function leakedGateways(): string[] {
  const prefix = join(tmpdir(), "clawhost-test-");
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

export function teardown(): void {
  const leaked = leakedGateways();
  if (leaked.length > 0) throw new Error(`gateway processes left behind by the tests: ${leaked.join(", ")}`);
}
