import { writeFileSync } from "node:fs";
import { afterAll } from "vitest";
import { makeTmp, REAL_OPENCLAW, realHostOptions } from "../helpers.js";
import { describeSupervisionContract } from "./supervision.js";

// The real OpenClaw gateway (the pinned one, or the version `npm run test:compat`
// installed). A string where a port number belongs fails OpenClaw's schema (exit 78), and
// `doctor --fix` cannot repair it.
const leases = makeTmp("sup-real-leases");
afterAll(() => leases.cleanup());

describeSupervisionContract({
  label: REAL_OPENCLAW.label,
  portBase: 6200,
  poolPorts: { from: 8160, to: 8759 },
  leaseDir: leases.dir,
  bin: REAL_OPENCLAW.bin,
  hostOptions: realHostOptions,
  breakConfig: (path) => writeFileSync(path, `${JSON.stringify({ gateway: { mode: "local", port: "not-a-port" } }, null, 2)}\n`, { mode: 0o600 }),
});
