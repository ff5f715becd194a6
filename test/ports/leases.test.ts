import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { ClawhostError, GatewayHost } from "clawhost";
import { LeaseRegistry } from "../../src/ports/leases.js";
import { rangesOverlap } from "../../src/ports/block.js";
import { expectNothingLeft, GatewayWatch, makeTmp } from "../helpers.js";

const tmp = makeTmp("leases");
// This file's own registry: every host here and in its workers leases from it.
const leases = makeTmp("leases-registry");
const registry = (): LeaseRegistry => new LeaseRegistry(leases.dir);
const workers: ChildProcess[] = [];
const fleet = new GatewayWatch();
function newHost(root: string, range: [number, number]): GatewayHost {
  return fleet.host(new GatewayHost({ root, ports: { from: range[0], to: range[1] }, leaseDir: leases.dir }));
}
afterAll(async () => {
  try {
    await Promise.all(workers.filter((w) => w.exitCode === null && w.signalCode === null).map((w) => killed(w)));
    await fleet.disposeHosts();
    await expectNothingLeft({ leaseDir: leases.dir, gateways: fleet });
  } finally {
    tmp.cleanup();
    leases.cleanup();
  }
});

interface Block {
  name: string;
  base: number;
  end: number;
}

/** Start a host process; resolves once it is constructed and waiting for "go". */
async function worker(root: string, count: number, range: [number, number], mode: "hold" | "exit") {
  const args = [new URL("../fixtures/lease-worker.mjs", import.meta.url).pathname, root, String(count), String(range[0]), String(range[1]), mode, leases.dir];
  const child = spawn(process.execPath, args, {
    stdio: ["pipe", "pipe", "inherit"],
  });
  workers.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe("ready");
  return {
    child,
    go: () => child.stdin!.write("go\n"),
    blocks: async (): Promise<Block[]> => JSON.parse((await lines.next()).value as string) as Block[],
  };
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

describe("host-wide port leases", () => {
  it("4 processes x 8 gateways leasing at the same moment get 32 blocks that never overlap", async () => {
    const range: [number, number] = [26000, 29999];
    const ws = await Promise.all([0, 1, 2, 3].map((i) => worker(join(tmp.dir, `p${i}`), 8, range, "exit")));
    for (const w of ws) w.go();
    const all = (await Promise.all(ws.map((w) => w.blocks()))).flat();
    expect(all).toHaveLength(32);
    for (const b of all) {
      expect(b.base).toBeGreaterThanOrEqual(range[0]);
      expect(b.end).toBeLessThanOrEqual(range[1]);
      expect((b.base - range[0]) % 120).toBe(0);
    }
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        expect(rangesOverlap({ start: all[i]!.base, end: all[i]!.end }, { start: all[j]!.base, end: all[j]!.end })).toBe(false);
      }
    }
    const leased = (await registry().list()).filter((l) => l.root.startsWith(tmp.dir));
    expect(leased.length).toBeGreaterThanOrEqual(32);
    for (let i = 0; i < 4; i++) rmSync(join(tmp.dir, `p${i}`), { recursive: true, force: true });
    expect((await registry().list()).filter((l) => l.root.startsWith(join(tmp.dir, "p")))).toEqual([]);
  });

  it("a SIGKILLed holder's leases stay with its root (same blocks for a new host) and free once the root is gone", async () => {
    const range: [number, number] = [30000, 30999];
    const rootA = join(tmp.dir, "killed-a");
    const a = await worker(rootA, 3, range, "hold");
    a.go();
    const blocksA = await a.blocks();
    await killed(a.child);

    // The same root gets the same blocks back.
    const again = newHost(rootA, range);
    const bases: number[] = [];
    for (const n of ["g0", "g1", "g2"]) bases.push((await again.add({ name: n })).context.ports.gateway);
    expect(bases).toEqual(blocksA.map((b) => b.base));
    await again[Symbol.asyncDispose]();

    // While a live process holds a gateway's lease, another host on that root is refused.
    const rootB = join(tmp.dir, "killed-b");
    const b = await worker(rootB, 2, range, "hold");
    b.go();
    const blocksB = await b.blocks();
    const rival = newHost(rootB, range);
    await expect(async () => await rival.add({ name: "g0" })).rejects.toMatchObject({ code: "CLAWHOST_LEASE_HELD" });
    // An explicit port overlapping a live lease of another root is refused, naming it.
    const other = newHost(join(tmp.dir, "other"), range);
    let err: unknown;
    try {
      await other.add({ name: "x", port: blocksB[0]!.base + 50 });
    } catch (e) {
      err = e;
    }
    expect((err as ClawhostError).code).toBe("CLAWHOST_PORT_OVERLAP");
    expect((err as ClawhostError).message).toContain('"g0"');
    expect((err as ClawhostError).message).toContain(rootB);
    await killed(b.child);

    // Root gone: the dead holder's blocks are free for anyone.
    rmSync(rootB, { recursive: true, force: true });
    const taker = newHost(join(tmp.dir, "taker"), range);
    expect((await taker.add({ name: "x", port: blocksB[0]!.base })).context.ports.gateway).toBe(blocksB[0]!.base);
    expect((await taker.add({ name: "y", port: blocksB[1]!.base })).context.ports.gateway).toBe(blocksB[1]!.base);
    await taker.remove("x");
    await taker.remove("y");
  });

  it("a dead holder's block is given up when no other block is left; remove() releases at once", async () => {
    const range: [number, number] = [31000, 31110]; // exactly one block
    const a = await worker(join(tmp.dir, "dormant"), 1, range, "hold");
    a.go();
    const [only] = await a.blocks();
    const rival = newHost(join(tmp.dir, "dormant-rival"), range);
    await expect(async () => await rival.add({ name: "r" })).rejects.toMatchObject({ code: "CLAWHOST_PORTS_EXHAUSTED" });
    await killed(a.child);
    expect((await rival.add({ name: "r" })).context.ports.gateway).toBe(only!.base);
    await rival.remove("r");
    const third = newHost(join(tmp.dir, "dormant-third"), range);
    expect((await third.add({ name: "t" })).context.ports.gateway).toBe(only!.base);
    await third.remove("t");
  });

  it("an explicit base off the grid takes every grid block it overlaps; automatic blocks go around it", async () => {
    const range: [number, number] = [31000, 31999];
    const host = newHost(join(tmp.dir, "offgrid"), range);
    // 31050..31160 overlaps the grid's 31000 and 31120 blocks.
    await host.add({ name: "fixed", port: 31050 });
    const first = (await host.add({ name: "a" })).context.ports.gateway;
    const second = (await host.add({ name: "b" })).context.ports.gateway;
    expect([first, second]).toEqual([31240, 31360]);
    // Remove the explicit one: its two grid blocks are free again, lowest first.
    await host.remove("fixed");
    expect((await host.add({ name: "c" })).context.ports.gateway).toBe(31000);
    for (const name of ["a", "b", "c"]) await host.remove(name);
  });

  it("a leased block whose ports another process took moves, and says so", async () => {
    const range: [number, number] = [31200, 31999];
    const root = join(tmp.dir, "moving");
    mkdirSync(root, { recursive: true });
    const first = newHost(root, range);
    const base = (await first.add({ name: "m" })).context.ports.gateway;
    await first[Symbol.asyncDispose]();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen({ port: base, host: "127.0.0.1" }, r));
    try {
      const second = newHost(root, range);
      const moves: Array<{ from: number; to: number }> = [];
      second.on("gateway:lease-moved", (_gw, m) => moves.push(m));
      const moved = await second.add({ name: "m" });
      expect(moved.context.ports.gateway).not.toBe(base);
      expect(moves).toEqual([{ from: base, to: moved.context.ports.gateway, reason: expect.stringContaining(String(base)) }]);
      await second.remove("m");
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });
});
