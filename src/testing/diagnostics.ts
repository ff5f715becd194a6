import type { GatewayDiagnostics } from "../index.js";

/**
 * A gateway's diagnostics as text for a failed test's output: state and last exit, the
 * newest log lines, recent events and the redacted config. Everything in it is already
 * redacted by `gateway.diagnostics()`.
 *
 * @example
 * ```ts
 * console.error(formatDiagnostics(await gateway.diagnostics(), { logLines: 20 }));
 * ```
 */
export function formatDiagnostics(d: GatewayDiagnostics, limits: { logLines?: number; events?: number } = {}): string {
  const logLines = limits.logLines ?? 40;
  const events = limits.events ?? 20;
  const s = d.snapshot;
  const lines = [
    `── clawhost diagnostics: gateway ${d.gateway} (${d.generatedAt}) ──`,
    `state ${s.state}, pid ${s.pid ?? "-"}, port ${s.ports.gateway}, openclaw ${d.versions.openclaw}, node ${d.versions.node}`,
  ];
  if (d.lastExit) {
    const e = d.lastExit;
    lines.push(`last exit: ${e.reason} (${e.code ?? e.signal}) while ${e.phase}`);
  }
  lines.push(`log tail (${Math.min(logLines, d.logTail.length)} of ${d.logTail.length}):`);
  for (const r of d.logTail.slice(-logLines)) lines.push(`  ${r.time} ${r.source} ${r.level} ${r.message}`);
  lines.push(`recent events (${Math.min(events, d.recentEvents.length)} of ${d.recentEvents.length}):`);
  for (const r of d.recentEvents.slice(-events)) {
    if (r.type === "log") continue;
    lines.push(`  #${r.seq} ${r.time} ${r.type} ${JSON.stringify(r.data).slice(0, 200)}`);
  }
  lines.push("config (redacted):", ...JSON.stringify(d.config, null, 2).split("\n").map((l) => `  ${l}`));
  return lines.join("\n");
}
