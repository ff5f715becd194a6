// The main job on the real OpenClaw gateway: `main` and `rescue` side by side, isolated.
// Run with `npm run demo` (builds first, runs on the project's Node 24).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayHost } from "clawhost";
import type { Gateway } from "clawhost";

/** Resolves once `gw` is ready on a boot other than `bootId` (its `ready` events). */
async function waitForNewBoot(gw: Gateway, bootId: string | undefined): Promise<void> {
  const timeout = AbortSignal.timeout(60_000);
  while (gw.state !== "ready" || gw.bootId === bootId) {
    await new Promise<void>((resolve, reject) => {
      gw.once("ready", () => resolve());
      timeout.addEventListener("abort", () => reject(new Error(`${gw.name}: no restart within 60 s`)), { once: true });
    });
  }
}

const root = mkdtempSync(join(tmpdir(), "clawhost-demo-"));
const host = new GatewayHost({ root });
try {
  const main = await host.add({ name: "main" });
  const rescue = await host.add({ name: "rescue" });
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

  // Config writes go through one queue per gateway; while it runs, through config.patch.
  const bootBefore = rescue.bootId;
  const burst = await Promise.all(
    ["EU", "US", "APAC"].map((region) =>
      rescue.updateConfig((cfg) => {
        const env = (cfg.env ??= {}) as { vars?: Record<string, string> };
        (env.vars ??= {})[`REGION_${region}`] = region.toLowerCase();
      }),
    ),
  );
  if (burst.some((r) => r.applied === "restart")) {
    // OpenClaw applies env changes by restarting in place: same pid, new bootId.
    await waitForNewBoot(rescue, bootBefore);
    console.log(`\nrescue restarted in place to apply its config: pid ${rescue.pid}, bootId ${rescue.bootId}`);
  }
  const live = (await rescue.call("config.get", {})) as { config: { env?: { vars?: Record<string, string> } } };
  console.log(`rescue config: ${burst.map((r) => `${r.changedPaths.join(",")} (${r.applied})`).join("; ")}`);
  console.log(`  config.get env.vars: ${JSON.stringify(live.config.env?.vars)}`);
  if (Object.keys(live.config.env?.vars ?? {}).length !== 3) process.exitCode = 1;

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
