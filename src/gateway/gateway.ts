import { mkdir, readlink, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { EventEmitter } from "eventemitter3";
import type { InstanceContext, PortBlock } from "../context/context.js";
import { ensurePrivateDir, loadOrCreateToken, redactSecret } from "../context/secrets.js";
import { ensureInitialConfig } from "../config/file.js";
import { ClawhostError, isClawhostError } from "../errors.js";
import { findPortHolders, listeningPorts } from "../ports/holders.js";
import { findBusyPorts } from "../ports/probe.js";
import type { ResolvedRuntime } from "../process/runtime.js";
import { spawnGateway, untrackTree } from "../process/spawn.js";
import type { ExitInfo, SpawnedGateway } from "../process/spawn.js";
import { waitForHello } from "../readiness/handshake.js";
import type { GatewayConnection, GatewayEventFrame, HelloOk } from "../rpc/connection.js";

/**
 * Lifecycle state of a gateway.
 *
 * ```
 * stopped --start()--> starting --hello-ok--> ready
 *    ^                    |                     |
 *    |                 failure               crash
 *    |                    v                     v
 *    +---<--stop()-- stopping <--stop()----- failed
 * ```
 * `stop()` from any state ends in `stopped`; `start()` from `failed` starts again.
 * `backoff` is reserved for restart policies.
 */
export type GatewayState = "stopped" | "starting" | "ready" | "stopping" | "backoff" | "failed";

/** Why a gateway process ended. `stopped` is our own stop, never a crash. */
export type ExitReason = "stopped" | "crash" | "start-failed";

/** Payload of the `exit` event. */
export interface GatewayExitInfo extends ExitInfo {
  reason: ExitReason;
  /** Last lines the process wrote (token redacted). */
  outputTail: string[];
}

/** Payload of the `ready` event. */
export interface GatewayReadyInfo {
  pid: number;
  bootId: string;
  version: string;
  /** From spawn to hello-ok. */
  readyMs: number;
}

/** Payload of the `state` event. */
export interface GatewayStateChange {
  from: GatewayState;
  to: GatewayState;
}

/** Payload of the `log` event: one line of the child's stdout or stderr, token redacted. */
export interface GatewayLogLine {
  stream: "stdout" | "stderr";
  line: string;
}

/** Payload of the `warning` event: something worth knowing that does not stop the gateway. */
export interface GatewayWarning {
  /** `CDP_PORTS_BUSY`: ports of the CDP range are held by other processes. */
  code: "CDP_PORTS_BUSY";
  message: string;
  ports: number[];
}

/** Typed events of a {@link Gateway}. */
export interface GatewayEvents {
  state: [change: GatewayStateChange];
  ready: [info: GatewayReadyInfo];
  exit: [info: GatewayExitInfo];
  log: [line: GatewayLogLine];
  warning: [warning: GatewayWarning];
  /** A server-pushed protocol event (tick, health, shutdown, ...). */
  event: [frame: GatewayEventFrame];
}

/** Options of every long operation. */
export interface OperationOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** JSON-safe view of a gateway, secrets redacted. */
export interface GatewaySnapshot {
  name: string;
  state: GatewayState;
  pid: number | undefined;
  bootId: string | undefined;
  version: string | undefined;
  ports: PortBlock;
  context: Record<string, unknown>;
  startedAt: string | undefined;
  readyAt: string | undefined;
  readyMs: number | undefined;
  lastExit: Omit<GatewayExitInfo, "outputTail"> | undefined;
  lastError: Record<string, unknown> | undefined;
}

/** What the host hands each gateway. @internal */
export interface GatewayDeps {
  runtime: () => ResolvedRuntime;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
}

const TAIL_LINES = 40;
const PORT_FREE_POLL_MS = 50;

/**
 * One supervised OpenClaw gateway: a state machine with an operation lock over a child
 * process it spawned itself. `start()` and `stop()` are idempotent and safe to call
 * concurrently; `stop()` always ends in `stopped`. Created by `host.add()`.
 *
 * @example
 * ```ts
 * const main = host.add({ name: "main" });
 * main.on("ready", ({ bootId, readyMs }) => console.log(bootId, readyMs));
 * await main.start({ timeoutMs: 60_000 });
 * console.log(await main.call("health", {}));
 * await main.stop();
 * ```
 */
export class Gateway extends EventEmitter<GatewayEvents> {
  /** Paths, ports and child env of this gateway. Immutable. */
  readonly context: InstanceContext;
  readonly #deps: GatewayDeps;
  #state: GatewayState = "stopped";
  #proc: SpawnedGateway | undefined;
  #conn: GatewayConnection | undefined;
  #hello: HelloOk | undefined;
  #token: string | undefined;
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #startAbort: AbortController | undefined;
  #exitReason: ExitReason | undefined;
  #tail: string[] = [];
  #startedAt: Date | undefined;
  #readyAt: Date | undefined;
  #readyMs: number | undefined;
  #lastExit: GatewayExitInfo | undefined;
  #lastError: ClawhostError | undefined;
  #disposed = false;
  #cleanup: Promise<void> | undefined;

  /** @internal Use `host.add()`. */
  constructor(context: InstanceContext, deps: GatewayDeps) {
    super();
    this.context = context;
    this.#deps = deps;
  }

  /** The gateway's name. */
  get name(): string {
    return this.context.name;
  }

  /** Current lifecycle state. */
  get state(): GatewayState {
    return this.#state;
  }

  /** Pid of the gateway process while one runs. */
  get pid(): number | undefined {
    return this.#proc?.child.pid;
  }

  /** `bootId` of the current boot (from hello-ok), while ready. */
  get bootId(): string | undefined {
    return this.#hello?.server.bootId;
  }

  /** OpenClaw version the running gateway reported. */
  get version(): string | undefined {
    return this.#hello?.server.version;
  }

  /** The hello-ok payload of the current boot, while ready. */
  get hello(): HelloOk | undefined {
    return this.#hello;
  }

  /** The last error that put the gateway into `failed`. */
  get lastError(): ClawhostError | undefined {
    return this.#lastError;
  }

  /**
   * Spawn the gateway and resolve once it answers the protocol handshake (`hello-ok`).
   * Idempotent: concurrent calls share one start; a ready gateway resolves at once.
   * A failed start ends the whole process tree before it rejects.
   *
   * @example
   * ```ts
   * await gateway.start({ timeoutMs: 60_000, signal: AbortSignal.timeout(90_000) });
   * ```
   */
  async start(opts: OperationOptions = {}): Promise<void> {
    this.#assertUsable();
    while (this.#stopPromise || this.#cleanup) await (this.#stopPromise ?? this.#cleanup)!.catch(() => undefined);
    if (this.#state === "ready") return;
    this.#startPromise ??= this.#doStart(opts).finally(() => {
      this.#startPromise = undefined;
    });
    return this.#startPromise;
  }

  /**
   * SIGTERM, then SIGKILL of the whole process tree after `timeoutMs` (default: the
   * host's `stopTimeoutMs`). Resolves when no process of this gateway is left and its
   * ports accept a bind. Idempotent; interrupts a start in progress.
   *
   * @example
   * ```ts
   * await gateway.stop({ timeoutMs: 5_000 });
   * ```
   */
  stop(opts: OperationOptions = {}): Promise<void> {
    this.#stopPromise ??= this.#doStop(opts).finally(() => {
      this.#stopPromise = undefined;
    });
    return this.#stopPromise;
  }

  /**
   * Stop, then start again (a new process, a new `bootId`).
   *
   * @example
   * ```ts
   * await gateway.restart();
   * ```
   */
  async restart(opts: OperationOptions = {}): Promise<void> {
    await this.stop(opts);
    await this.start(opts);
  }

  /**
   * Call a gateway RPC method over the protocol connection; reconnects once when the
   * socket dropped while the process still runs.
   *
   * @example
   * ```ts
   * const health = await gateway.call("health", {});
   * const { hash } = (await gateway.call("config.get", {})) as { hash: string };
   * ```
   */
  async call(method: string, params: unknown = {}, opts: OperationOptions = {}): Promise<unknown> {
    if (this.#state !== "ready" || !this.#proc) {
      throw new ClawhostError("CLAWHOST_NOT_READY", `cannot call ${method}: the gateway is ${this.#state}.`, {
        gateway: this.name,
        value: method,
        fix: "await gateway.start() (or gateway.onReady()) first.",
      });
    }
    if (!this.#conn || this.#conn.closed) {
      this.#attach(
        await waitForHello({
          port: this.context.ports.gateway,
          token: this.#token!,
          gateway: this.name,
          deadline: Date.now() + (opts.timeoutMs ?? 10_000),
          signal: opts.signal ?? new AbortController().signal,
        }),
      );
    }
    const req: { timeoutMs?: number; signal?: AbortSignal } = {};
    if (opts.timeoutMs !== undefined) req.timeoutMs = opts.timeoutMs;
    if (opts.signal) req.signal = opts.signal;
    return this.#conn!.request(method, params, req);
  }

  /**
   * Resolve when the gateway is ready: at once if it already is. Rejects when it ends
   * in `failed` or `stopped` first, or at `timeoutMs` / `signal`.
   *
   * @example
   * ```ts
   * void gateway.start();
   * await gateway.onReady({ timeoutMs: 60_000 });
   * ```
   */
  onReady(opts: OperationOptions = {}): Promise<void> {
    if (this.#state === "ready") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(
              () => done(new ClawhostError("CLAWHOST_READINESS_TIMEOUT", `not ready within ${opts.timeoutMs} ms.`, { gateway: this.name })),
              opts.timeoutMs,
            );
      const onAbort = (): void => done(new ClawhostError("CLAWHOST_ABORTED", "onReady aborted.", { gateway: this.name }));
      const onState = ({ to }: GatewayStateChange): void => {
        if (to === "ready") done();
        else if (to === "failed" || (to === "stopped" && !this.#startPromise))
          done(this.#lastError ?? new ClawhostError("CLAWHOST_NOT_READY", `ended in ${to} before ready.`, { gateway: this.name }));
      };
      const done = (err?: unknown): void => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        this.off("state", onState);
        if (err) reject(err);
        else resolve();
      };
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.on("state", onState);
    });
  }

  /**
   * JSON-safe view: state, pid, bootId, ports, paths; the token and secret-looking env
   * values redacted.
   *
   * @example
   * ```ts
   * console.log(JSON.stringify(gateway.snapshot(), null, 2));
   * ```
   */
  snapshot(): GatewaySnapshot {
    const { outputTail: _tail, ...lastExit } = this.#lastExit ?? { outputTail: [] };
    return {
      name: this.name,
      state: this.#state,
      pid: this.pid,
      bootId: this.bootId,
      version: this.version,
      ports: this.context.ports,
      context: this.context.toJSON(),
      startedAt: this.#startedAt?.toISOString(),
      readyAt: this.#readyAt?.toISOString(),
      readyMs: this.#readyMs,
      lastExit: this.#lastExit ? (lastExit as Omit<GatewayExitInfo, "outputTail">) : undefined,
      lastError: this.#lastError ? redactJson(this.#lastError.toJSON(), this.#token) : undefined,
    };
  }

  /** Stops the gateway. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** @internal The host marks removed gateways unusable. */
  markDisposed(): void {
    this.#disposed = true;
  }

  #assertUsable(): void {
    if (this.#disposed) {
      throw new ClawhostError("CLAWHOST_HOST_DISPOSED", "this gateway was removed or its host disposed.", {
        gateway: this.name,
        fix: "add the gateway to a live host again.",
      });
    }
  }

  #setState(to: GatewayState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.emit("state", { from, to });
  }

  async #doStart(opts: OperationOptions): Promise<void> {
    const abort = new AbortController();
    this.#startAbort = abort;
    const onCallerAbort = (): void => abort.abort(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
    if (opts.signal?.aborted) abort.abort(opts.signal.reason);
    const timeoutMs = opts.timeoutMs ?? this.#deps.readyTimeoutMs;
    this.#exitReason = undefined;
    this.#lastError = undefined;
    this.#hello = undefined;
    this.#tail = [];
    this.#setState("starting");
    this.#startedAt = new Date();
    let t0 = performance.now();
    try {
      const runtime = this.#deps.runtime();
      await this.#prepare();
      await this.#preflight();
      if (abort.signal.aborted) throw this.#abortedError(abort.signal.reason);
      t0 = performance.now();
      const proc = spawnGateway(runtime, this.context, this.#token!, (stream, line) => this.#onLine(stream, line));
      this.#proc = proc;
      void proc.exited.then((info) => this.#onExit(proc, info));
      let exited: ExitInfo | undefined;
      void proc.exited.then((info) => (exited = info));
      const conn = await waitForHello({
        port: this.context.ports.gateway,
        token: this.#token!,
        gateway: this.name,
        deadline: Date.now() + timeoutMs,
        signal: abort.signal,
        check: () => {
          if (exited) throw this.#exitedDuringStart(exited);
        },
      });
      const stateDir = conn.hello.snapshot.stateDir;
      if (stateDir !== undefined && stateDir !== this.context.stateDir) {
        conn.close();
        throw new ClawhostError("CLAWHOST_START_FAILED", `port ${this.context.ports.gateway} is answered by a gateway with state dir ${stateDir}.`, {
          gateway: this.name,
          value: stateDir,
          fix: "another gateway holds this port: stop it or use another port block.",
        });
      }
      this.#attach(conn);
      this.#readyMs = Math.round(performance.now() - t0);
      this.#readyAt = new Date();
      this.#setState("ready");
      this.emit("ready", { pid: proc.child.pid!, bootId: conn.hello.server.bootId, version: conn.hello.server.version, readyMs: this.#readyMs });
    } catch (err) {
      const stopping = this.#exitReason === "stopped";
      this.#exitReason ??= "start-failed";
      await this.#endProcess(this.#deps.stopTimeoutMs);
      const error = stopping || abort.signal.aborted ? this.#abortedError(abort.signal.reason, err) : this.#startError(err, timeoutMs);
      if (!stopping) {
        this.#lastError = error;
        this.#setState(abort.signal.aborted ? "stopped" : "failed");
      }
      throw error;
    } finally {
      opts.signal?.removeEventListener("abort", onCallerAbort);
      this.#startAbort = undefined;
    }
  }

  async #doStop(opts: OperationOptions): Promise<void> {
    const graceMs = opts.timeoutMs ?? this.#deps.stopTimeoutMs;
    if (this.#cleanup) await this.#cleanup;
    if (!this.#proc && !this.#startPromise) {
      this.#setState("stopped");
      return;
    }
    this.#exitReason ??= "stopped";
    this.#setState("stopping");
    this.#startAbort?.abort(new ClawhostError("CLAWHOST_ABORTED", "stopped while starting.", { gateway: this.name }));
    if (this.#startPromise) await this.#startPromise.catch(() => undefined);
    await this.#endProcess(graceMs);
    await this.#waitForPortsFree(graceMs);
    this.#setState("stopped");
  }

  /** Close the connection and end the process tree; resolves when every member is gone. */
  async #endProcess(graceMs: number): Promise<void> {
    this.#conn?.close();
    this.#conn = undefined;
    const proc = this.#proc;
    if (!proc) return;
    await proc.tree.kill(graceMs);
    await proc.exited;
    untrackTree(proc.tree);
    if (this.#proc === proc) this.#proc = undefined;
  }

  async #waitForPortsFree(timeoutMs: number): Promise<void> {
    const ports = [this.context.ports.gateway, this.context.ports.browserControl];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const busy = await findBusyPorts(ports);
      if (busy.length === 0) return;
      if (Date.now() >= deadline) {
        throw new ClawhostError("CLAWHOST_STOP_TIMEOUT", `the gateway's processes are gone but port ${busy.join(", ")} is still bound.`, {
          gateway: this.name,
          value: busy,
          fix: "another process holds the port: find it with `ss -ltnp`.",
        });
      }
      await new Promise((r) => setTimeout(r, PORT_FREE_POLL_MS));
    }
  }

  /**
   * Right before a spawn: the gateway and browser-control ports must bind on 127.0.0.1
   * and ::1, else `CLAWHOST_PORT_IN_USE` naming the holder (OpenClaw itself would fail
   * only after ~16 s of bind retries). Taken CDP ports are reported as a warning.
   */
  async #preflight(): Promise<void> {
    const { ports } = this.context;
    const busy = await findBusyPorts([ports.gateway, ports.browserControl]);
    if (busy.length > 0) {
      const holders = findPortHolders(busy);
      const who = holders
        .map((h) => `${h.port} (${h.pid === undefined ? "holder not visible" : `pid ${h.pid}: ${h.command ?? "?"}`})`)
        .join(", ");
      throw new ClawhostError("CLAWHOST_PORT_IN_USE", `port ${who} of block ${ports.block.start}..${ports.block.end} is already bound; nothing was spawned.`, {
        gateway: this.name,
        value: busy,
        fix: "stop the process holding it or give this gateway another port block.",
        details: { holders },
      });
    }
    const cdpRange = Array.from({ length: ports.cdp.end - ports.cdp.start + 1 }, (_, i) => ports.cdp.start + i);
    const cdpBusy = listeningPorts(cdpRange);
    if (cdpBusy.length > 0) {
      this.emit("warning", {
        code: "CDP_PORTS_BUSY",
        message: `${this.name}: CDP port${cdpBusy.length > 1 ? "s" : ""} ${cdpBusy.join(", ")} of ${ports.cdp.start}..${ports.cdp.end} are held by other processes; browser profiles using them will fail.`,
        ports: cdpBusy,
      });
    }
  }

  async #prepare(): Promise<void> {
    const ctx = this.context;
    await mkdir(ctx.dir, { recursive: true, mode: 0o700 });
    for (const dir of ctx.ownedDirs) await ensurePrivateDir(dir);
    this.#token = await loadOrCreateToken(ctx);
    await ensureInitialConfig(ctx);
    await mkdir(ctx.compileCacheDir, { recursive: true });
    // Node's compile cache lives under TMPDIR: link the shared one so starts stay warm.
    const link = join(ctx.tmpDir, "node-compile-cache");
    const current = await readlink(link).catch(() => undefined);
    if (current !== ctx.compileCacheDir) {
      await rm(link, { recursive: true, force: true });
      await symlink(ctx.compileCacheDir, link, "dir");
    }
  }

  #attach(conn: GatewayConnection): void {
    this.#conn?.close();
    this.#conn = conn;
    this.#hello = conn.hello;
    conn.on("event", (frame) => this.emit("event", frame));
  }

  #onLine(stream: "stdout" | "stderr", raw: string): void {
    const line = redactSecret(raw, this.#token);
    this.#tail.push(`[${stream}] ${line}`);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    this.emit("log", { stream, line });
  }

  #onExit(proc: SpawnedGateway, info: ExitInfo): void {
    const reason = this.#exitReason ?? (this.#state === "starting" ? "start-failed" : "crash");
    this.#lastExit = { ...info, reason, outputTail: [...this.#tail] };
    this.emit("exit", this.#lastExit);
    if (reason === "crash" && this.#proc === proc) {
      this.#lastError = new ClawhostError("CLAWHOST_GATEWAY_EXITED", `the gateway exited unexpectedly (${describeExit(info)}).`, {
        gateway: this.name,
        value: info.code ?? info.signal,
        details: { exit: info, outputTail: this.#lastExit.outputTail },
      });
      this.#exitReason = "crash";
      this.#setState("failed");
      // Its orphans (spawn broker, terminals) still hold resources: end them.
      this.#cleanup = this.#endProcess(this.#deps.stopTimeoutMs).finally(() => {
        this.#cleanup = undefined;
      });
    }
  }

  #exitedDuringStart(info: ExitInfo): ClawhostError {
    return new ClawhostError("CLAWHOST_GATEWAY_EXITED", `the gateway exited before it was ready (${describeExit(info)}).`, {
      gateway: this.name,
      value: info.code ?? info.signal,
      fix: "read details.outputTail; exit 78 means a config problem, 1 a bad flag or busy port.",
      details: { exit: info, outputTail: [...this.#tail] },
    });
  }

  #startError(err: unknown, timeoutMs: number): ClawhostError {
    if (isClawhostError(err, "CLAWHOST_READINESS_TIMEOUT")) {
      const tail = [...this.#tail];
      const last = tail.slice(-5).join("\n  ");
      return new ClawhostError("CLAWHOST_READINESS_TIMEOUT", `no hello-ok within ${timeoutMs} ms; the process tree was ended.${last ? `\n  ${last}\n` : ""}`, {
        gateway: this.name,
        value: timeoutMs,
        fix: "raise timeoutMs (a cold first start on 2 cores takes ~15 s, several at once longer) or read details.outputTail.",
        details: { outputTail: tail },
        cause: err,
      });
    }
    if (isClawhostError(err)) return err;
    return new ClawhostError("CLAWHOST_START_FAILED", `start failed: ${(err as Error)?.message ?? String(err)}.`, {
      gateway: this.name,
      cause: err,
      details: { outputTail: [...this.#tail] },
    });
  }

  #abortedError(reason: unknown, cause?: unknown): ClawhostError {
    if (isClawhostError(reason, "CLAWHOST_ABORTED")) return reason;
    return new ClawhostError("CLAWHOST_ABORTED", "start aborted; the process tree was ended.", {
      gateway: this.name,
      cause: cause ?? reason,
    });
  }
}

function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}

function redactJson<T>(value: T, secret: string | undefined): T {
  if (!secret) return value;
  return JSON.parse(redactSecret(JSON.stringify(value), secret)) as T;
}
