// Starts the run's gateways once (here `main`) and hands every worker the pool options.
// CLAWHOST_EXAMPLE_OPENCLAW / CLAWHOST_EXAMPLE_PORTS: how clawhost's own tests run this suite on
// the fault-injection gateway in a port range of their own; unset, the installed openclaw runs.
import { globalSetup } from "clawhost/testing/vitest";

const bin = process.env.CLAWHOST_EXAMPLE_OPENCLAW;
const ports = process.env.CLAWHOST_EXAMPLE_PORTS?.split("-").map(Number);

export default globalSetup({
  spares: 1,
  gateways: [{ name: "main" }],
  ...(bin ? { openclaw: { bin } } : {}),
  ...(ports ? { ports: { from: ports[0]!, to: ports[1]! } } : {}),
});
