// One measurement of the config benchmark's second part, in a fresh process (a process
// compiles OpenClaw's schema once). argv: mode, root.
//   clawhost: the first gateway.updateConfig() of a process (schema loaded, compiled and
//             checked in clawhost's validator process)
//   inline:   the same schema compiled and checked with ajv on the main thread
// Prints {"ms", "maxGapMs"}: time to the update's end, and the longest the event loop
// went without running a 5 ms interval timer meanwhile.
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import { GatewayHost } from "clawhost";

const [mode, root] = process.argv.slice(2);
let last = performance.now();
let maxGapMs = 0;
const ticker = setInterval(() => {
  const now = performance.now();
  maxGapMs = Math.max(maxGapMs, now - last);
  last = now;
}, 5);
await new Promise((r) => setTimeout(r, 50));
const host = new GatewayHost({ root, ports: { from: 45000, to: 45239 } });
const gw = await host.add({ name: "v" });
const t0 = performance.now();
if (mode === "clawhost") {
  await gw.updateConfig((cfg) => {
    (cfg.env ??= {}).vars = { A: "1" };
  });
} else {
  const uid = process.getuid();
  const dir = join(tmpdir(), `clawhost-cache-${uid}`);
  const file = readdirSync(dir).find((f) => f.startsWith(`openclaw-config-schema-${host.runtime.openclawVersion}-`));
  const schema = JSON.parse(readFileSync(join(dir, file), "utf8"));
  const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  validate({ gateway: { mode: "local" }, env: { vars: { A: "1" } } });
}
const ms = performance.now() - t0;
await new Promise((r) => setTimeout(r, 20));
clearInterval(ticker);
await host[Symbol.asyncDispose]();
process.stdout.write(`${JSON.stringify({ ms, maxGapMs })}\n`);
