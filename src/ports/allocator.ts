import { readFileSync } from "node:fs";
import { MAX_BASE_PORT, PORT_BLOCK_SPAN } from "../context/schema.js";
import type { PortRange } from "../context/context.js";

/** The kernel's ephemeral port range (outgoing connections), or Linux's default. */
export function readEphemeralRange(path = "/proc/sys/net/ipv4/ip_local_port_range"): PortRange {
  try {
    const [lo, hi] = readFileSync(path, "utf8").trim().split(/\s+/).map(Number);
    if (lo && hi && lo <= hi) return { start: lo, end: hi };
  } catch {
    // Not Linux: fall back to the Linux default.
  }
  return { start: 32768, end: 60999 };
}

/** Default allocation range: from 20000 up to just below the ephemeral range. */
export function defaultPortRange(): { from: number; to: number } {
  const eph = readEphemeralRange();
  const to = eph.start > 20000 + PORT_BLOCK_SPAN ? eph.start - 1 : MAX_BASE_PORT + PORT_BLOCK_SPAN - 1;
  return { from: 20000, to };
}

/** True when the two ranges share a port. */
export function rangesOverlap(a: PortRange, b: PortRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** The block a base port claims. */
export function blockOf(base: number): PortRange {
  return { start: base, end: base + PORT_BLOCK_SPAN - 1 };
}
