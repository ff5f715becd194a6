import { randomUUID } from "node:crypto";
import { EventEmitter } from "eventemitter3";
import WebSocket from "ws";
import { ClawhostError } from "../errors.js";

/** Protocol version clawhost speaks (OpenClaw gateway protocol 4). */
export const PROTOCOL_VERSION = 4;

/**
 * The `hello-ok` payload a gateway answers `connect` with (the fields clawhost relies
 * on; the rest is kept as sent).
 */
export interface HelloOk {
  type: "hello-ok";
  protocol?: number;
  server: { version: string; bootId: string; [k: string]: unknown };
  snapshot: { configPath?: string; stateDir?: string; [k: string]: unknown };
  policy?: { tickIntervalMs?: number; maxPayload?: number; [k: string]: unknown };
  features?: { methods?: string[]; events?: string[]; [k: string]: unknown };
  [k: string]: unknown;
}

/** An error frame's body: `{ code, message, details?, retryable?, retryAfterMs? }`. */
export interface GatewayErrorShape {
  code: string;
  message: string;
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
}

/** A server-pushed event frame. */
export interface GatewayEventFrame {
  event: string;
  payload?: unknown;
  seq?: number;
}

/** Events of a {@link GatewayConnection}. */
export interface GatewayConnectionEvents {
  event: [frame: GatewayEventFrame];
  close: [info: { code: number; reason: string }];
}

/**
 * What the gateway facade needs of a protocol connection (a seam: the state machine's
 * unit tests script one).
 */
export interface Connection {
  readonly hello: HelloOk;
  readonly closed: boolean;
  request(method: string, params?: unknown, opts?: RequestOptions): Promise<unknown>;
  ping(timeoutMs: number): Promise<boolean>;
  close(): void;
  on(event: "event", fn: (frame: GatewayEventFrame) => void): unknown;
  on(event: "close", fn: (info: { code: number; reason: string }) => void): unknown;
}

/** Options of {@link GatewayConnection.open}. */
export interface ConnectOptions {
  url: string;
  token: string;
  /** Whole-handshake deadline. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Gateway name for error messages. */
  gateway?: string | undefined;
  clientVersion?: string;
}

/** Options of one request. */
export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

type Frame =
  | { type: "res"; id: string; ok: boolean; payload?: unknown; error?: GatewayErrorShape }
  | ({ type: "event" } & GatewayEventFrame);

function rpcError(gateway: string | undefined, method: string, error: GatewayErrorShape): ClawhostError {
  return new ClawhostError("CLAWHOST_RPC_ERROR", `${method} failed: ${error.code}: ${error.message}`, {
    gateway,
    value: method,
    fix: "read details.code and details.message: the gateway refused the request (bad params, missing scope, or a state it is in).",
    details: { ...error },
  });
}

/**
 * One operator connection to a gateway over its WebSocket protocol: the
 * `connect.challenge` / `connect` / `hello-ok` handshake as a backend client
 * (`gateway-client`, mode `backend`, scope `operator.admin`, shared token), then
 * request/response by id and pushed events. It never reconnects by itself: the owner
 * decides when (the reference client's 1-30 s backoff is too slow for supervision).
 *
 * @example
 * ```ts
 * const conn = await GatewayConnection.open({ url: "ws://127.0.0.1:20000", token, timeoutMs: 5000 });
 * console.log(conn.hello.server.bootId, await conn.request("health", {}));
 * conn.close();
 * ```
 */
export class GatewayConnection extends EventEmitter<GatewayConnectionEvents> implements Connection {
  readonly hello: HelloOk;
  readonly #ws: WebSocket;
  readonly #pending = new Map<string, Pending>();
  readonly #gateway: string | undefined;
  /** Pings awaiting a pong: a pong answers every ping sent before it. */
  readonly #pingWaiters = new Set<(ok: boolean) => void>();
  #closed = false;

  private constructor(ws: WebSocket, hello: HelloOk, gateway: string | undefined) {
    super();
    this.#ws = ws;
    this.hello = hello;
    this.#gateway = gateway;
    ws.addEventListener("message", (ev) => this.#onMessage(ev.data));
    ws.addEventListener("close", (ev) => this.#onClose(ev.code, ev.reason));
    // A frame ws cannot read (bad UTF-8, a masked frame) is an "error", then a close: the
    // close settles everything; an unheard "error" would end the process.
    ws.on("error", () => {});
    ws.on("pong", () => this.#settlePings(true));
  }

  /** True once the socket closed (by either side). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Open a socket and complete the handshake. Rejects with `CLAWHOST_RPC_ERROR` when the
   * gateway refuses `connect` (`details.code`, e.g. `UNAVAILABLE` while booting, with
   * `retryAfterMs`), `CLAWHOST_CONNECTION_CLOSED` when the socket fails or closes first,
   * `CLAWHOST_RPC_TIMEOUT` at the deadline, `CLAWHOST_ABORTED` on abort.
   */
  static open(opts: ConnectOptions): Promise<GatewayConnection> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const ws = new WebSocket(opts.url, { perMessageDeflate: false });
      const connectId = randomUUID();
      const finish = (err: unknown, conn?: GatewayConnection): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        ws.removeEventListener("message", onMessage);
        ws.removeEventListener("close", onClose);
        ws.removeEventListener("error", onError);
        if (err) {
          // Closed while still connecting, ws emits "error" on the next tick: an unheard
          // one would end the process. The socket is dropped; the rejection says why.
          ws.on("error", () => {});
          try {
            ws.close();
          } catch {
            // Already closing.
          }
          reject(err);
        } else resolve(conn!);
      };
      const onAbort = (): void =>
        finish(new ClawhostError("CLAWHOST_ABORTED", "connect aborted.", { gateway: opts.gateway, value: opts.url, fix: "nothing to fix when the abort was meant; otherwise do not abort the signal.", cause: opts.signal?.reason }));
      const timer = setTimeout(
        () =>
          finish(
            new ClawhostError("CLAWHOST_RPC_TIMEOUT", `no hello-ok within ${opts.timeoutMs} ms.`, {
              gateway: opts.gateway,
              value: opts.timeoutMs,
              fix: "the gateway is busy or hung: raise timeoutMs, or check its liveness and output.",
            }),
          ),
        opts.timeoutMs,
      );
      const onClose = (ev: WebSocket.CloseEvent): void =>
        finish(
          new ClawhostError("CLAWHOST_CONNECTION_CLOSED", `socket closed during handshake (${ev.code} ${ev.reason}).`, {
            gateway: opts.gateway,
            value: opts.url,
            fix: "the gateway refused or dropped the connection (a wrong token closes with 1008): check its token and output.",
            details: { closeCode: ev.code, closeReason: ev.reason },
          }),
        );
      const onError = (): void =>
        finish(
          new ClawhostError("CLAWHOST_CONNECTION_CLOSED", `cannot open ${opts.url}.`, {
            gateway: opts.gateway,
            value: opts.url,
            fix: "nothing listens there yet (booting) or any more (exited): start() the gateway, or wait for onReady().",
          }),
        );
      const onMessage = (ev: WebSocket.MessageEvent): void => {
        let frame: Frame;
        try {
          frame = JSON.parse(String(ev.data)) as Frame;
        } catch {
          return;
        }
        if (frame.type === "event" && frame.event === "connect.challenge") {
          ws.send(
            JSON.stringify({
              type: "req",
              id: connectId,
              method: "connect",
              params: {
                minProtocol: PROTOCOL_VERSION,
                maxProtocol: PROTOCOL_VERSION,
                client: {
                  id: "gateway-client",
                  version: opts.clientVersion ?? "clawhost",
                  platform: process.platform,
                  mode: "backend",
                },
                role: "operator",
                scopes: ["operator.admin"],
                auth: { token: opts.token },
              },
            }),
          );
        } else if (frame.type === "res" && frame.id === connectId) {
          if (frame.ok && (frame.payload as HelloOk | undefined)?.type === "hello-ok") {
            finish(undefined, new GatewayConnection(ws, frame.payload as HelloOk, opts.gateway));
          } else {
            finish(rpcError(opts.gateway, "connect", frame.error ?? { code: "UNKNOWN", message: "no hello-ok" }));
          }
        }
      };
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      ws.addEventListener("message", onMessage);
      ws.addEventListener("close", onClose);
      ws.addEventListener("error", onError);
    });
  }

  /**
   * Call a gateway method. Resolves with the payload; rejects with `CLAWHOST_RPC_ERROR`
   * (the gateway's `{code, message, details}` in `details`), `CLAWHOST_RPC_TIMEOUT`,
   * `CLAWHOST_CONNECTION_CLOSED` or `CLAWHOST_ABORTED`.
   */
  request(method: string, params: unknown = {}, opts: RequestOptions = {}): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(
        new ClawhostError("CLAWHOST_CONNECTION_CLOSED", `cannot call ${method}: connection closed.`, {
          gateway: this.#gateway,
          value: method,
          fix: "call again: gateway.call() reopens the connection while the gateway runs.",
        }),
      );
    }
    const id = randomUUID();
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#settle(
          id,
          new ClawhostError("CLAWHOST_ABORTED", `${method} aborted.`, {
            gateway: this.#gateway,
            value: method,
            fix: "nothing to fix when the abort was meant; the gateway may still carry the request out.",
            cause: opts.signal?.reason,
          }),
        );
      };
      if (opts.signal?.aborted) return onAbort();
      const timer = setTimeout(
        () =>
          this.#settle(
            id,
            new ClawhostError("CLAWHOST_RPC_TIMEOUT", `${method} got no answer within ${timeoutMs} ms.`, {
              gateway: this.#gateway,
              value: method,
              fix: "raise the call's timeoutMs, or check the gateway's liveness (a hung gateway is restarted by its policy).",
            }),
          ),
        timeoutMs,
      );
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, {
        method,
        resolve,
        reject,
        timer,
        cleanup: () => opts.signal?.removeEventListener("abort", onAbort),
      });
      this.#ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  /**
   * A WebSocket ping: resolves true when the pong arrives within `timeoutMs`. The
   * gateway's event loop answers it, so a stopped or blocked gateway misses it, at the
   * cost of a few bytes on a connection already open.
   */
  ping(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    // One pong listener and one close path for the connection's life: a fleet pings every
    // gateway each interval, so a ping adds no listener, only its waiter and its timer.
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.#pingWaiters.delete(done);
        resolve(ok);
      };
      const timer = setTimeout(done, timeoutMs, false);
      this.#pingWaiters.add(done);
      try {
        this.#ws.ping();
      } catch {
        done(false);
      }
    });
  }

  #settlePings(ok: boolean): void {
    for (const done of [...this.#pingWaiters]) done(ok);
  }

  /** Close the socket; pending requests reject with `CLAWHOST_CONNECTION_CLOSED`. */
  close(code = 1000, reason = "clawhost"): void {
    if (this.#closed) return;
    try {
      this.#ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.#onClose(code, reason);
  }

  #settle(id: string, err: unknown, value?: unknown): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.cleanup();
    if (err) p.reject(err);
    else p.resolve(value);
  }

  #onMessage(data: unknown): void {
    let frame: Frame;
    try {
      frame = JSON.parse(String(data)) as Frame;
    } catch {
      return;
    }
    if (frame.type === "res") {
      const p = this.#pending.get(frame.id);
      if (!p) return;
      if (frame.ok) this.#settle(frame.id, undefined, frame.payload);
      else this.#settle(frame.id, rpcError(this.#gateway, p.method, frame.error ?? { code: "UNKNOWN", message: "error" }));
    } else if (frame.type === "event") {
      this.emit("event", { event: frame.event, payload: frame.payload, seq: frame.seq });
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#settlePings(false);
    for (const id of [...this.#pending.keys()]) {
      const method = this.#pending.get(id)?.method ?? "request";
      this.#settle(
        id,
        new ClawhostError("CLAWHOST_CONNECTION_CLOSED", `${method}: connection closed (${code} ${reason}).`, {
          gateway: this.#gateway,
          value: method,
          fix: "the gateway closed the socket (exit or in-place restart): call again once it is ready; the request may or may not have been carried out.",
          details: { closeCode: code, closeReason: reason },
        }),
      );
    }
    this.emit("close", { code, reason });
  }
}
