// The lock bench's other process: takes the host-wide lease registry lock exactly as
// clawhost does (mkdir of `<leaseDir>/leases.lock`, then `owner.json` with this live
// process's pid and /proc start time), keeps it HOLD_MS with its event loop free, removes
// it. Prints "held" and "released" (with the time it held it, ms).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [leaseDir, holdMs = "2000"] = process.argv.slice(2);
const lockDir = join(leaseDir, "leases.lock");
const stat = readFileSync("/proc/self/stat", "utf8");
const startTime = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);

for (;;) {
  try {
    mkdirSync(lockDir, { mode: 0o700 });
    break;
  } catch (err) {
    if (err.code !== "EEXIST") throw err;
    await new Promise((r) => setTimeout(r, 5)); // Someone else has it for a moment.
  }
}
writeFileSync(join(lockDir, "owner.json"), JSON.stringify({ pid: process.pid, startTime }));
const t0 = performance.now();
process.stdout.write("held\n");
setTimeout(() => {
  rmSync(lockDir, { recursive: true, force: true });
  process.stdout.write(`released ${Math.round(performance.now() - t0)}\n`);
  process.exit(0);
}, Number(holdMs));
