// prom-client costs ~20 MB of RSS once loaded: it is imported on the first metrics() call,
// so hosts that never serve /metrics never pay for it.
type PromClient = typeof import("prom-client");
let promClient: Promise<PromClient> | undefined;

/** What the metrics of one gateway are made from (a gateway snapshot has all of it). */
export interface GatewayFigures {
  name: string;
  state: string;
  readyMs: number | undefined;
  uptimeMs: number | undefined;
  restartsTotal: number;
  resources: { rssBytes: number; cpuPercent: number | undefined; processes: number } | undefined;
  health: { ok: boolean; latencyMs: number } | undefined;
  configWrites: Readonly<{ [outcome in "file" | "live" | "restart" | "unchanged" | "rejected"]: number }>;
  rpcErrors: number;
}

/** What the host adds: its states, its event count and its own process. */
export interface HostFigures {
  states: readonly string[];
  eventsTotal: number;
  gateways: GatewayFigures[];
}

/** The content type of `host.metrics()`' text (Prometheus text exposition 0.0.4). */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Prometheus exposition text for a host and its gateways, from one pass over figures
 * the host already holds (no process-table walk): a fresh registry per call, so
 * nothing accumulates between scrapes and removed gateways leave no series behind.
 */
export async function renderMetrics(figures: HostFigures): Promise<string> {
  const { Registry, Gauge, Counter } = await (promClient ??= import("prom-client"));
  const registers = [new Registry()];
  const registry = registers[0]!;
  const gauge = (name: string, help: string, labelNames: string[] = ["gateway"]) => new Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string, labelNames: string[] = ["gateway"]) => new Counter({ name, help, labelNames, registers });

  const up = gauge("clawhost_gateway_up", "1 while the gateway is ready, else 0.");
  const state = gauge("clawhost_gateway_state", "1 for the gateway's current lifecycle state, 0 for the others.", ["gateway", "state"]);
  const restarts = counter("clawhost_gateway_restarts_total", "Restarts by the restart policy since the gateway was added.");
  const rss = gauge("clawhost_gateway_resident_memory_bytes", "Resident memory of the gateway's whole process tree.");
  const cpu = gauge("clawhost_gateway_cpu_percent", "CPU use of the gateway's process tree between the last two samples, % of one core.");
  const procs = gauge("clawhost_gateway_processes", "Live processes in the gateway's tree.");
  const ready = gauge("clawhost_gateway_ready_seconds", "How long the last start took until hello-ok.");
  const uptime = gauge("clawhost_gateway_uptime_seconds", "Since the current process became ready.");
  const healthOk = gauge("clawhost_gateway_health_ok", "1 if the latest liveness ping was answered, else 0.");
  const healthLatency = gauge("clawhost_gateway_health_latency_seconds", "Round trip of the latest liveness ping.");
  const writes = counter("clawhost_gateway_config_updates_total", "Config updates settled, by outcome (file, live, restart, unchanged, rejected).", ["gateway", "outcome"]);
  const rpcErrors = counter("clawhost_gateway_rpc_errors_total", "call()s that failed.");
  const byState = gauge("clawhost_gateways", "Gateways of this host per lifecycle state.", ["state"]);
  const treeRss = gauge("clawhost_gateways_resident_memory_bytes", "Resident memory of every gateway's process tree, summed.", []);
  const events = counter("clawhost_events_total", "Records appended to the host's event stream.", []);

  const counts = new Map(figures.states.map((s) => [s, 0]));
  let rssSum = 0;
  for (const g of figures.gateways) {
    const gateway = g.name;
    counts.set(g.state, (counts.get(g.state) ?? 0) + 1);
    up.set({ gateway }, g.state === "ready" ? 1 : 0);
    for (const s of figures.states) state.set({ gateway, state: s }, s === g.state ? 1 : 0);
    restarts.inc({ gateway }, g.restartsTotal);
    if (g.resources) {
      rss.set({ gateway }, g.resources.rssBytes);
      procs.set({ gateway }, g.resources.processes);
      if (g.resources.cpuPercent !== undefined) cpu.set({ gateway }, g.resources.cpuPercent);
      rssSum += g.resources.rssBytes;
    }
    if (g.readyMs !== undefined) ready.set({ gateway }, g.readyMs / 1000);
    if (g.uptimeMs !== undefined) uptime.set({ gateway }, g.uptimeMs / 1000);
    if (g.health) {
      healthOk.set({ gateway }, g.health.ok ? 1 : 0);
      healthLatency.set({ gateway }, g.health.latencyMs / 1000);
    }
    for (const [outcome, n] of Object.entries(g.configWrites)) writes.inc({ gateway, outcome }, n);
    rpcErrors.inc({ gateway }, g.rpcErrors);
  }
  for (const [s, n] of counts) byState.set({ state: s }, n);
  treeRss.set(rssSum);
  events.inc(figures.eventsTotal);
  return registry.metrics();
}
