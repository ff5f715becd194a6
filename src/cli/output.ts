import stringWidth from "string-width";
import { isClawhostError } from "../index.js";
import type { GatewaySnapshot } from "../index.js";

/** Write one JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** An error as `--json` prints it, on stdout, so a script reads one document whatever happens. */
export function errorJson(err: unknown): Record<string, unknown> {
  if (isClawhostError(err)) return { error: { code: err.code, message: err.message, gateway: err.gateway, fix: err.fix, details: err.details } };
  return { error: { code: "ERROR", message: err instanceof Error ? err.message : String(err) } };
}

/** Milliseconds as `4s`, `12m`, `3h`, `2d`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "-";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Bytes as `87.2 MB`. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "-";
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - stringWidth(text)));
}

function cut(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = "";
  for (const ch of text) {
    if (stringWidth(`${out}${ch}…`) > width) break;
    out += ch;
  }
  return `${out}…`;
}

/** A column of {@link renderTable}: dropped from the right when the terminal is too narrow, unless `keep`. */
export interface Column {
  title: string;
  keep?: boolean;
}

/**
 * A plain table that fits `width`: optional columns are dropped from the right, then the
 * first column is cut with an ellipsis.
 */
export function renderTable(columns: readonly Column[], rows: readonly string[][], width: number): string {
  let idx = columns.map((_, i) => i);
  const widthOf = (ix: number[]): number[] => ix.map((i) => Math.max(stringWidth(columns[i]!.title), ...rows.map((r) => stringWidth(r[i] ?? ""))));
  const total = (w: number[]): number => w.reduce((a, b) => a + b, 0) + 2 * (w.length - 1);
  let widths = widthOf(idx);
  while (total(widths) > width && idx.some((i) => !columns[i]!.keep)) {
    const drop = [...idx].reverse().find((i) => !columns[i]!.keep)!;
    idx = idx.filter((i) => i !== drop);
    widths = widthOf(idx);
  }
  if (total(widths) > width) widths[0] = Math.max(4, widths[0]! - (total(widths) - width));
  const line = (cells: string[]): string => idx.map((i, k) => (k === idx.length - 1 ? cut(cells[i] ?? "", widths[k]!) : pad(cut(cells[i] ?? "", widths[k]!), widths[k]!))).join("  ").trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join("\n");
}

/** One `ps` row: what the table shows of a snapshot. */
export interface PsRow {
  name: string;
  state: string;
  pid: number | undefined;
  ports: string;
  uptimeMs: number | undefined;
  restarts: number;
  cpuPercent: number | undefined;
  /** CPU time of the tree since it started, ms. */
  cpuMs: number | undefined;
  rssBytes: number | undefined;
  adopted: boolean;
  lastExit: GatewaySnapshot["lastExit"] | undefined;
}

/** The `ps` table. */
export function renderPs(rows: readonly PsRow[], width: number): string {
  const columns: Column[] = [{ title: "NAME", keep: true }, { title: "STATE", keep: true }, { title: "PID" }, { title: "PORTS" }, { title: "UPTIME" }, { title: "RESTARTS" }, { title: "CPU" }, { title: "MEM" }];
  const cells = rows.map((r) => [
    r.name,
    r.state,
    r.pid === undefined ? "-" : String(r.pid),
    r.ports,
    formatDuration(r.uptimeMs),
    String(r.restarts),
    r.cpuPercent === undefined ? "-" : `${r.cpuPercent.toFixed(1)}%`,
    formatBytes(r.rssBytes),
  ]);
  return renderTable(columns, cells, width);
}
