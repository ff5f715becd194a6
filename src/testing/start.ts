import { isClawhostError } from "../index.js";
import type { Gateway, GatewayHost, GatewaySpec } from "../index.js";

const ATTEMPTS = 3;

/**
 * Add and start a gateway; when its block is taken between lease and spawn (a client's
 * ephemeral port, common on a busy CI machine), try again on another block: the taken one
 * stays leased until the end, so the registry hands out a different one. Returns the ready
 * gateway; its name gets `-2`, `-3` on a retry. `onAdded` sees each gateway once added.
 */
export async function addAndStart(host: GatewayHost, spec: GatewaySpec, onAdded: (gw: Gateway) => void = () => {}): Promise<Gateway> {
  const taken: string[] = [];
  try {
    for (let attempt = 1; ; attempt++) {
      const gateway = await host.add({ ...spec, name: attempt === 1 ? spec.name : `${spec.name}-${attempt}` });
      onAdded(gateway);
      try {
        await gateway.start();
        return gateway;
      } catch (err) {
        if (!isClawhostError(err, "CLAWHOST_PORT_IN_USE") || attempt >= ATTEMPTS) throw err;
        taken.push(gateway.name);
      }
    }
  } finally {
    await Promise.allSettled(taken.map((name) => host.remove(name)));
  }
}
