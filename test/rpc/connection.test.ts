import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import { GatewayConnection } from "../../src/rpc/connection.js";

// A socket ws drops must never leave an unheard "error" behind: that would end the process
// embedding clawhost (vitest fails the run on one). Each case waits past the tick on which
// ws emits it.
const servers: Array<{ close(): void }> = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

const ticks = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

/** A TCP server that accepts and never answers: a socket that stays "connecting". */
async function silentServer(): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen({ port: 0, host: "127.0.0.1" }, r));
  servers.push({ close: () => (sockets.forEach((s) => s.destroy()), server.close()) });
  return (server.address() as { port: number }).port;
}

/** A gateway that completes the handshake, then hands its side of the socket to `after`. */
async function helloServer(after: (ws: WebSocket) => void): Promise<number> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((r) => wss.once("listening", r));
  servers.push(wss);
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "n" } }));
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { id: string; method: string };
      if (frame.method !== "connect") return;
      ws.send(JSON.stringify({ type: "res", id: frame.id, ok: true, payload: { type: "hello-ok", server: { version: "t", bootId: "b" }, snapshot: {} } }));
      after(ws);
    });
  });
  return (wss.address() as { port: number }).port;
}

describe("GatewayConnection: sockets that fail", () => {
  it("a handshake past its deadline while still connecting rejects CLAWHOST_RPC_TIMEOUT, nothing unheard", async () => {
    const port = await silentServer();
    const err = await GatewayConnection.open({ url: `ws://127.0.0.1:${port}`, token: "t", timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CLAWHOST_RPC_TIMEOUT" });
    await ticks();
  });

  it("an abort while still connecting rejects CLAWHOST_ABORTED, nothing unheard", async () => {
    const port = await silentServer();
    const ac = new AbortController();
    const opening = GatewayConnection.open({ url: `ws://127.0.0.1:${port}`, token: "t", timeoutMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(opening).rejects.toMatchObject({ code: "CLAWHOST_ABORTED" });
    await ticks();
  });

  it("a frame it cannot read after hello-ok closes the connection and fails what was pending, nothing unheard", async () => {
    const port = await helloServer((ws) => {
      // A text frame whose payload is not UTF-8: ws refuses it with an "error", then closes.
      ws.on("message", () => (ws as unknown as { _socket: Socket })._socket.write(Buffer.from([0x81, 0x02, 0xff, 0xfe])));
    });
    const conn = await GatewayConnection.open({ url: `ws://127.0.0.1:${port}`, token: "t", timeoutMs: 5_000 });
    const err = await conn.request("health", {}, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CLAWHOST_CONNECTION_CLOSED" });
    expect(conn.closed).toBe(true);
    await ticks();
  });
});
