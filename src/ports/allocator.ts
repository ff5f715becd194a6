import { readFileSync } from "node:fs";
import { MAX_BASE_PORT, PORT_BLOCK_SPAN } from "./block.js";
import type { PortRange } from "./block.js";

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
