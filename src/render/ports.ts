import { ClawhostError } from "../errors.js";
import type { NormalizedGatewaySpec } from "../context/schema.js";
import { blockOf, PORT_BLOCK_SPAN, PORT_BLOCK_STRIDE, rangesOverlap } from "../ports/block.js";
import type { PortRange } from "../ports/block.js";

/**
 * Base ports of a fleet, deterministically: a spec's `port`, else the lowest aligned block
 * from `range.from` (stride 120, as the lease registry allocates) that overlaps no other.
 * No lease is taken and nothing is probed: the target machine's ports are its own business.
 */
export function assignPorts(specs: readonly NormalizedGatewaySpec[], range: { from: number; to: number }): number[] {
  const taken: Array<{ name: string; block: PortRange }> = [];
  const bases: Array<number | undefined> = specs.map((s) => s.port);
  for (const [i, s] of specs.entries()) {
    if (s.port === undefined) continue;
    const block = blockOf(s.port);
    const other = taken.find((t) => rangesOverlap(t.block, block));
    if (other) {
      throw new ClawhostError("CLAWHOST_PORT_OVERLAP", `port block ${block.start}..${block.end} overlaps ${other.name}'s ${other.block.start}..${other.block.end}.`, {
        gateway: s.name,
        value: s.port,
        fix: `put base ports at least ${PORT_BLOCK_STRIDE} apart, or omit port.`,
      });
    }
    taken.push({ name: specs[i]!.name, block });
  }
  let next = range.from;
  for (const [i, s] of specs.entries()) {
    if (bases[i] !== undefined) continue;
    while (next + PORT_BLOCK_SPAN - 1 <= range.to && taken.some((t) => rangesOverlap(t.block, blockOf(next)))) next += PORT_BLOCK_STRIDE;
    if (next + PORT_BLOCK_SPAN - 1 > range.to) {
      throw new ClawhostError("CLAWHOST_PORTS_EXHAUSTED", `no free block of ${PORT_BLOCK_SPAN} ports left in ${range.from}..${range.to}.`, {
        gateway: s.name,
        value: { from: range.from, to: range.to },
        fix: "widen the fleet's ports range, or give gateways explicit ports.",
      });
    }
    bases[i] = next;
    taken.push({ name: s.name, block: blockOf(next) });
  }
  return bases as number[];
}
