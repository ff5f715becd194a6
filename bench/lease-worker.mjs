// One of the lease-bench processes: N lease + release cycles on its own root.
import { mkdirSync } from "node:fs";
import { GatewayHost } from "clawhost";

const [root, count, from, to] = process.argv.slice(2);
mkdirSync(root, { recursive: true });
const host = new GatewayHost({ root, ports: { from: Number(from), to: Number(to) } });
process.stdout.write("ready\n");
process.stdin.once("data", async () => {
  const lat = [];
  const t0 = performance.now();
  for (let i = 0; i < Number(count); i++) {
    const s = performance.now();
    await host.add({ name: `g${i}` });
    lat.push(performance.now() - s);
    await host.remove(`g${i}`);
  }
  process.stdout.write(`${JSON.stringify({ totalMs: performance.now() - t0, lat })}\n`);
  process.exit(0);
});
