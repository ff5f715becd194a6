import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describeSupervisionContract } from "./supervision.js";

// The fault-injection fake through the same supervision contract as the real gateway.
const bin = fileURLToPath(new URL("../fixtures/fake-openclaw/openclaw.mjs", import.meta.url));

describeSupervisionContract({
  label: "fake",
  portBase: 33000,
  bin,
  hostOptions: (root, ports) => ({ root, ports, openclaw: { bin } }),
  breakConfig: (path) => writeFileSync(path, `${JSON.stringify({ gateway: { mode: "local", port: "not-a-port" } }, null, 2)}\n`, { mode: 0o600 }),
});
