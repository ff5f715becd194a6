// The main job on the real OpenClaw gateway: `main` and `rescue` side by side, isolated.
// Run with `npm run demo` (builds first, runs on the project's Node 24).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayHost } from "clawhost";

const root = mkdtempSync(join(tmpdir(), "clawhost-demo-"));
const host = new GatewayHost({ root });
try {
  const main = host.add({ name: "main" });
  const rescue = host.add({ name: "rescue" });
  console.log(`openclaw ${host.runtime.openclawVersion} on node ${host.runtime.nodeVersion}; root ${root}`);

  const t0 = performance.now();
  await host.startAll();
  console.log(`both ready after ${Math.round(performance.now() - t0)} ms (started together)\n`);

  for (const gw of [main, rescue]) {
    const { ports } = gw.context;
    console.log(`${gw.name}: pid ${gw.pid}, bootId ${gw.bootId}, ready in ${gw.snapshot().readyMs} ms`);
    console.log(`  ports   gateway ${ports.gateway}, browser control ${ports.browserControl}, cdp ${ports.cdp.start}-${ports.cdp.end}, block ${ports.block.start}-${ports.block.end}`);
    console.log(`  config  ${gw.context.configPath}`);
    console.log(`  state   ${gw.context.stateDir}`);
    console.log(`  work    ${gw.context.workspace}`);
    console.log(`  log     ${gw.context.logFile}`);
  }

  await main.stop();
  console.log(`\nmain stopped (state ${main.state}); asking rescue for health...`);
  const health = (await rescue.call("health", {})) as { ok?: boolean };
  console.log(`rescue answers health: ok=${String(health.ok)}`);
  if (health.ok !== true) process.exitCode = 1;
} finally {
  await host.stopAll();
  console.log("all gateways stopped");
  rmSync(root, { recursive: true, force: true });
}
