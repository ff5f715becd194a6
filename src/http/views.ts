import { redactConfig } from "../index.js";
import type { Gateway, GatewayHost, GatewaySnapshot } from "../index.js";

/** A snapshot as the API shows it: the child env (even redacted) stays on the host. */
export function gatewayView(snapshot: GatewaySnapshot): GatewaySnapshot {
  const { env: _env, ...context } = snapshot.context;
  return { ...snapshot, context };
}

/** `GET /gateways`: the newest seq and every gateway. */
export function hostView(host: GatewayHost): { seq: number; gateways: GatewaySnapshot[] } {
  const s = host.snapshot();
  return { seq: s.seq, gateways: s.gateways.map(gatewayView) };
}

/** The config file, secret-looking values redacted, and its hash. */
export async function configView(gateway: Gateway): Promise<{ config: Record<string, unknown>; hash: string | undefined }> {
  const config = redactConfig(await gateway.readConfig()) as Record<string, unknown>;
  return { config, hash: gateway.snapshot().configHash };
}
