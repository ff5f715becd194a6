/** Ports one gateway may claim: base..base+110. */
export const PORT_BLOCK_SPAN = 111;
/** Distance between automatically allocated blocks (OpenClaw: base ports >= 120 apart). */
export const PORT_BLOCK_STRIDE = 120;
/** Highest base port whose block still fits below 65536. */
export const MAX_BASE_PORT = 65535 - (PORT_BLOCK_SPAN - 1);
/** Offset of the browser control server from the base port. */
export const BROWSER_CONTROL_OFFSET = 2;
/** Offsets of the CDP range of browser profiles from the base port. */
export const CDP_OFFSETS = { start: 11, end: 110 } as const;

/** A range of ports, both ends included. */
export interface PortRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The ports one gateway claims, all derived from its base port.
 *
 * @example
 * ```ts
 * const { gateway, browserControl, cdp, block } = main.context.ports;
 * ```
 */
export interface PortBlock {
  /** The gateway's WebSocket/HTTP port (the base). */
  readonly gateway: number;
  /** Browser control server: base+2. */
  readonly browserControl: number;
  /** CDP range of browser profiles: base+11..base+110. */
  readonly cdp: PortRange;
  /** Every port the gateway may bind: base..base+110. */
  readonly block: PortRange;
}

/** Derive the port block of a base port. */
export function portBlockFor(base: number): PortBlock {
  return Object.freeze({
    gateway: base,
    browserControl: base + BROWSER_CONTROL_OFFSET,
    cdp: Object.freeze({ start: base + CDP_OFFSETS.start, end: base + CDP_OFFSETS.end }),
    block: blockOf(base),
  });
}

/** The block a base port claims. */
export function blockOf(base: number): PortRange {
  return Object.freeze({ start: base, end: base + PORT_BLOCK_SPAN - 1 });
}

/** True when the two ranges share a port. */
export function rangesOverlap(a: PortRange, b: PortRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** The ports a gateway binds when idle or on first use, which must be free before a spawn. */
export function essentialPorts(base: number): number[] {
  return [base, base + BROWSER_CONTROL_OFFSET];
}
