import { readFileSync } from "node:fs";
import { ClawhostError } from "../errors.js";
import { MAX_BASE_PORT, PORT_BLOCK_SPAN, PORT_BLOCK_STRIDE } from "../context/schema.js";
import type { PortRange } from "../context/context.js";

/** OpenClaw's own default blocks (18789 and the rescue/dev default 19001), kept clear. */
const OPENCLAW_DEFAULT_BLOCKS: readonly PortRange[] = [
  { start: 18789, end: 18789 + PORT_BLOCK_SPAN - 1 },
  { start: 19001, end: 19001 + PORT_BLOCK_SPAN - 1 },
];

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

/**
 * In-host allocator of port blocks: aligned slots `from + k*120` inside the host's range,
 * skipping OpenClaw's defaults and blocks already taken by this host's gateways.
 */
export class PortAllocator {
  readonly #from: number;
  readonly #to: number;

  constructor(range: { from: number; to: number }) {
    this.#from = range.from;
    this.#to = range.to;
  }

  /** Pick the lowest free aligned base, or throw `CLAWHOST_PORTS_EXHAUSTED`. */
  allocate(name: string, taken: readonly PortRange[]): number {
    for (let base = this.#from; base + PORT_BLOCK_SPAN - 1 <= this.#to; base += PORT_BLOCK_STRIDE) {
      const block = blockOf(base);
      if (OPENCLAW_DEFAULT_BLOCKS.some((d) => rangesOverlap(d, block))) continue;
      if (taken.some((t) => rangesOverlap(t, block))) continue;
      return base;
    }
    throw new ClawhostError(
      "CLAWHOST_PORTS_EXHAUSTED",
      `no free block of ${PORT_BLOCK_SPAN} ports left in ${this.#from}..${this.#to}.`,
      { gateway: name, value: { from: this.#from, to: this.#to }, fix: "widen the host's `ports` range or remove gateways." },
    );
  }
}
