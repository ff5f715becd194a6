import { readFileSync } from "node:fs";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { listeningSet, listenTable, readListeningPorts } from "../../src/ports/holders.js";

// Rows as the kernel writes them: a header, then one socket per row (tcp: IPv4, tcp6: IPv6).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:138A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 112 1 0000000000000000 100 0 0 10 0
  12: 0100007F:C350 0100007F:1388 01 00000000:00000000 00:00000000 00000000     0        0 113 1 0000000000000000 20 4 30 10 -1
 123: 0100007F:1388 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 114 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1388 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 211 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:ABCD 00000000000000000000000001000000:1389 06 00000000:00000000 03:00000F9E 00000000     0        0 0 3 0000000000000000
`;

/** The reference: a LISTEN (0A) row's local port and inode, by regex. */
function byRegex(texts: string[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const text of texts) {
    for (const m of text.matchAll(/^\s*\d+: [0-9A-F]+:([0-9A-F]{4}) [0-9A-F]+:[0-9A-F]{4} 0A (?:\S+\s+){5}(\d+)/gm)) {
      const port = Number.parseInt(m[1]!, 16);
      out.set(port, [...(out.get(port) ?? []), m[2]!]);
    }
  }
  return out;
}

describe("listenTable", () => {
  it("finds the LISTEN rows of tcp and tcp6, and their inodes", () => {
    const table = listenTable([TCP, TCP6]);
    expect([5000, 5002, 50000, 43981, 5001].map((p) => table.has(p))).toEqual([true, true, false, false, false]);
    expect(table.inodes(5000)).toEqual(["111", "211"]);
    expect(table.inodes(5002)).toEqual(["112"]);
    expect(table.inodes(50000)).toEqual([]);
  });

  it("agrees with a regex over this machine's tables", () => {
    const texts = ["/proc/net/tcp", "/proc/net/tcp6"].map((f) => {
      try {
        return readFileSync(f, "latin1");
      } catch {
        return "";
      }
    });
    const table = listenTable(texts);
    const reference = byRegex(texts);
    for (const [port, inodes] of reference) expect(table.inodes(port)).toEqual(inodes);
    for (let port = 1; port < 65536; port++) expect(table.has(port)).toBe(reference.has(port));
    expect([...listeningSet(texts.map((t) => Buffer.from(t, "latin1")))].sort()).toEqual([...reference.keys()].sort());
  });

  it("reads the same ports from the tables' bytes as from their text", () => {
    expect([...listeningSet([Buffer.from(TCP), Buffer.from(TCP6)])].sort()).toEqual([5000, 5002]);
  });

  it("reads empty or truncated tables as listening nowhere", () => {
    expect(listenTable(["", TCP.split("\n")[0]!]).has(5000)).toBe(false);
    expect(listenTable([TCP.slice(0, TCP.indexOf(" 0A"))]).has(5000)).toBe(false);
  });

  it("stops reading at the first row that does not listen, and still finds every listener: one opened after hundreds of connections too", async () => {
    const servers: Server[] = [];
    const sockets: Socket[] = [];
    const listen = async (): Promise<Server> => {
      const s = createServer((c) => sockets.push(c));
      await new Promise<void>((resolve) => s.listen({ port: 0, host: "127.0.0.1" }, resolve));
      servers.push(s);
      return s;
    };
    try {
      // Connections first (rows in other states, pages of them), then listeners.
      const hub = await listen();
      const hubPort = (hub.address() as { port: number }).port;
      for (let i = 0; i < 150; i++) {
        const c = connect({ port: hubPort, host: "127.0.0.1" });
        sockets.push(c);
        await once(c, "connect");
      }
      for (let i = 0; i < 40; i++) await listen();
      const full = ["/proc/net/tcp", "/proc/net/tcp6"].map((f) => readFileSync(f, "latin1"));
      const table = await readListeningPorts();
      const reference = byRegex(full);
      expect(reference.size).toBeGreaterThanOrEqual(41);
      for (const s of servers) expect(table.has((s.address() as { port: number }).port)).toBe(true);
      for (let port = 1; port < 65536; port++) expect(table.has(port)).toBe(reference.has(port));
      // The kernel's order this relies on: no LISTEN row after a row in another state.
      for (const text of full) {
        const states = text.split("\n").slice(1).filter(Boolean).map((row) => row.trim().split(/\s+/)[3]);
        const firstOther = states.findIndex((st) => st !== "0A");
        if (firstOther !== -1) expect(states.slice(firstOther)).not.toContain("0A");
      }
    } finally {
      for (const c of sockets) c.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });

  it("reads the kernel's tables off the loop: a port this process listens on is found, and callers asking together share one read", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1" }, resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const [a, b] = await Promise.all([readListeningPorts(), readListeningPorts()]);
      expect(a).toBe(b);
      expect(a.has(port)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
