import { createHash } from "node:crypto";
import { mkdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EventEmitter } from "eventemitter3";
import type { InstanceContext, PortBlock } from "../context/context.js";
import { ensurePrivateDir, loadOrCreateToken, redactSecret } from "../context/secrets.js";
import { ownedConfig, ownedConfigRules } from "../config/file.js";
import type { OpenClawConfig } from "../config/file.js";
import { applyMergePatch } from "../config/merge.js";
import { openClawValidator } from "../config/schema.js";
import { ConfigStore } from "../config/store.js";
import type { ConfigChange, ConfigUpdate, ConfigUpdateResult, UpdateConfigOptions } from "../config/store.js";
import { ClawhostError, isClawhostError } from "../errors.js";
import { findPortHolders, listeningPorts } from "../ports/holders.js";
import type { PortHolder } from "../ports/holders.js";
import { findBusyPorts } from "../ports/probe.js";
import { runDoctor } from "../process/doctor.js";
import type { DoctorResult } from "../process/doctor.js";
import { classifyExit, EXIT_CONFIG, readStateDirLocks, removeStaleStateDirLocks } from "../process/exit.js";
import type { ExitReason, StateDirLock } from "../process/exit.js";
import { isAlive, readProc } from "../process/proc.js";
import { readRunRecord, removeRunRecord, writeRunRecord } from "../process/runfile.js";
import type { ResolvedRuntime } from "../process/runtime.js";
import { adoptGateway, spawnGateway, untrackTree } from "../process/spawn.js";
import type { ExitInfo, SpawnedGateway } from "../process/spawn.js";
import { ProcessTree } from "../process/tree.js";
import { waitForHello } from "../readiness/handshake.js";
import { probeHealthz } from "../readiness/liveness.js";
import type { GatewayConnection, GatewayEventFrame, HelloOk } from "../rpc/connection.js";
import { RestartTracker } from "./policy.js";
import type { Clock, LivenessOptions, RestartPolicy } from "./policy.js";

export type { ExitReason } from "../process/exit.js";

/**
 * Lifecycle state of a gateway (drawn in docs/lifecycle.md).
 *
 * - `stopped`: no process. `start()` leaves it.
 * - `starting`: spawned (or being adopted), waiting for `hello-ok`.
 * - `ready`: answered `hello-ok`; liveness is probed.
 * - `restarting`: the gateway announced an in-place restart (SIGUSR2 or a config change
 *   it applies by restarting); same process, waiting for the new `bootId`.
 * - `unhealthy`: liveness probes failed; the tree is being ended, then policy decides.
 * - `backoff`: waiting to restart after an unexpected end.
 * - `stopping`: clawhost is ending the tree.
 * - `failed`: down and not restarted (policy, budget, or a cause a restart cannot fix);
 *   `lastError` says why. `start()` leaves it.
 *
 * `stop()` from any state ends in `stopped`.
 */
export type GatewayState = "stopped" | "starting" | "ready" | "restarting" | "unhealthy" | "stopping" | "backoff" | "failed";

/** Payload of the `exit` event. */
export interface GatewayExitInfo extends ExitInfo {
  reason: ExitReason;
  /** `starting` when it ended before its first `hello-ok` of this run. */
  phase: "starting" | "running";
  /** How long it had been ready, when it had been. */
  uptimeMs: number | undefined;
  /** Last lines the process wrote (token redacted). */
  outputTail: string[];
}

/** Payload of the `ready` event. */
export interface GatewayReadyInfo {
  pid: number;
  bootId: string;
  version: string;
  /** From spawn (or from the restart announcement, or adoption) to hello-ok. */
  readyMs: number;
  /** How this readiness came about. */
  via: "spawn" | "in-place-restart" | "adopted";
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
  /**
   * - `CDP_PORTS_BUSY`: ports of the CDP range are held by other processes (`ports`).
   * - `DOCTOR_RAN`: the gateway exited 78; `openclaw doctor --fix` ran once before a retry.
   * - `ORPHAN_ENDED`: a gateway process left behind by an earlier host was ended.
   * - `STALE_LOCKS_REMOVED`: OpenClaw state-dir locks of dead processes were removed.
   * - `BOOT_CHANGED`: an adopted gateway had restarted in place since it was recorded.
   */
  code: "CDP_PORTS_BUSY" | "DOCTOR_RAN" | "ORPHAN_ENDED" | "STALE_LOCKS_REMOVED" | "BOOT_CHANGED";
  message: string;
  ports?: number[];
  details?: Record<string, unknown>;
}

/** Payload of the `unhealthy` event. */
export interface GatewayUnhealthyInfo {
  pid: number;
  /** Probes missed in a row (or 0 when an in-place restart never came back). */
  missed: number;
  lastOkAt: string | undefined;
  reason: string;
}

/** Payload of the `backoff` event: a restart is scheduled. */
export interface GatewayBackoffInfo {
  delayMs: number;
  /** 1 for the first restart after a stable run, then 2, 3, ... */
  attempt: number;
  failuresInWindow: number;
  /** Why the previous process ended (or why its restart failed). */
  after: ExitReason | "start-failed";
}

/** Typed events of a {@link Gateway}. */
export interface GatewayEvents {
  state: [change: GatewayStateChange];
  ready: [info: GatewayReadyInfo];
  exit: [info: GatewayExitInfo];
  log: [line: GatewayLogLine];
  warning: [warning: GatewayWarning];
  unhealthy: [info: GatewayUnhealthyInfo];
  backoff: [info: GatewayBackoffInfo];
  /** The config file changed: through `updateConfig` (`clawhost`) or by anyone else (`external`). */
  config: [change: ConfigChange];
  /** A server-pushed protocol event (tick, health, shutdown, ...). */
  event: [frame: GatewayEventFrame];
}

/** Options of every long operation. */
export interface OperationOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Options of `gateway.restart()`. */
export interface RestartOptions extends OperationOptions {
  /**
   * Restart inside the same process with SIGUSR2 (OpenClaw's own restart): same pid,
   * new `bootId`, ~2-3 s instead of a full boot. Needs a `ready` gateway.
   */
  inPlace?: boolean;
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
  /** Restarts by the policy since the last explicit start. */
  restarts: number;
  /** Started to outlive its host (and adoptable by the next one). */
  outlive: boolean;
  /** Taken over from an earlier host rather than spawned by this one. */
  adopted: boolean;
  lastExit: Omit<GatewayExitInfo, "outputTail"> | undefined;
  lastError: Record<string, unknown> | undefined;
}

/** How a gateway is supervised, all defaults applied. */
export interface SupervisionOptions {
  restart: RestartPolicy;
  liveness: LivenessOptions | false;
  /** Let the gateway outlive the host; a later host on the same root adopts it. */
  outlive: boolean;
  /** Run `openclaw doctor --fix` once on exit 78 before failing (default true). */
  doctor: boolean;
}

/** What the host hands each gateway. @internal */
export interface GatewayDeps {
  runtime: () => ResolvedRuntime;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  supervision: SupervisionOptions;
  clock?: Clock;
  random?: () => number;
}

const TAIL_LINES = 40;
const PORT_FREE_POLL_MS = 50;
const UNHEALTHY_GRACE_MS = 2_000;
const DOCTOR_TIMEOUT_MS = 180_000;
const ADOPT_TIMEOUT_MS = 15_000;

type Requested = "stopped" | "unhealthy" | "start-timeout";

/**
 * One supervised OpenClaw gateway: a state machine with an operation lock over a process
 * it spawned itself. `start()`, `stop()` and `restart()` are idempotent and safe to call
 * concurrently; `stop()` always ends in `stopped`. Once ready, an unexpected end is
 * classified and handled by the restart policy; a hang is caught by liveness probes; an
 * in-place restart is followed to the new `bootId` without a respawn. Created by
 * `host.add()`.
 *
 * @example
 * ```ts
 * const main = host.add({ name: "main", restart: { mode: "always" } });
 * main.on("ready", ({ bootId, readyMs }) => console.log(bootId, readyMs));
 * main.on("exit", ({ reason }) => console.log("exited:", reason));
 * await main.start({ timeoutMs: 60_000 });
 * console.log(await main.call("health", {}));
 * await main.stop();
 * ```
 */
export class Gateway extends EventEmitter<GatewayEvents> {
  /** Paths, ports and child env of this gateway. Immutable. */
  readonly context: InstanceContext;
  /** Restart policy, liveness and outlive settings in effect. */
  readonly supervision: Readonly<SupervisionOptions>;
  readonly #deps: GatewayDeps;
  readonly #tracker: RestartTracker;
  readonly #config: ConfigStore;
  #state: GatewayState = "stopped";
  #proc: SpawnedGateway | undefined;
  #conn: GatewayConnection | undefined;
  #hello: HelloOk | undefined;
  #token: string | undefined;
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #restartPromise: Promise<void> | undefined;
  #startAbort: AbortController | undefined;
  #inPlaceAbort: AbortController | undefined;
  readonly #requested = new WeakMap<SpawnedGateway, Requested>();
  readonly #exits = new WeakMap<SpawnedGateway, GatewayExitInfo>();
  #everReady = new WeakSet<SpawnedGateway>();
  #tail: string[] = [];
  #startedAt: Date | undefined;
  #readyAt: Date | undefined;
  #readySince: number | undefined;
  #readyMs: number | undefined;
  #lastExit: GatewayExitInfo | undefined;
  /** What the last exit means, with the holders clawhost found when it happened. */
  #lastExitError: ClawhostError | undefined;
  #lastError: ClawhostError | undefined;
  #restarts = 0;
  #adopted = false;
  #disposed = false;
  #stopRequested = false;
  #cleanup: Promise<void> | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #livenessTimer: NodeJS.Timeout | undefined;

  /** @internal Use `host.add()`. */
  constructor(context: InstanceContext, deps: GatewayDeps) {
    super();
    this.context = context;
    this.#deps = deps;
    this.supervision = Object.freeze({ ...deps.supervision });
    this.#tracker = new RestartTracker(deps.supervision.restart, deps.clock, deps.random);
    this.#config = new ConfigStore({
      name: context.name,
      configPath: context.configPath,
      schema: () => openClawValidator(deps.runtime()),
      owned: ownedConfigRules(context),
      baseline: () => ownedConfig(context),
      target: {
        mode: () => this.#configMode(),
        changed: () => new Promise((r) => this.once("state", () => r())),
        call: (method, params) => this.call(method, params),
      },
    });
    this.#config.on("config", (c) => this.emit("config", c));
  }

  /** The gateway's name. */
  get name(): string {
    return this.context.name;
  }

  /** Current lifecycle state. */
  get state(): GatewayState {
    return this.#state;
  }

  /** Pid of the gateway process while one runs (undefined once it exited). */
  get pid(): number | undefined {
    const proc = this.#proc;
    return proc && !this.#exits.has(proc) ? proc.pid : undefined;
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

  /** How the last process ended. */
  get lastExit(): GatewayExitInfo | undefined {
    return this.#lastExit;
  }

  /**
   * Spawn the gateway (or adopt the one an earlier host left running with `outlive`) and
   * resolve once it answers the protocol handshake (`hello-ok`). Idempotent: concurrent
   * calls share one start; a ready gateway resolves at once; in `backoff` it starts now.
   * Exit 78 runs `openclaw doctor --fix` once and retries once, then rejects with
   * `CLAWHOST_CONFIG_INVALID`. A failed start ends the whole process tree before it rejects.
   *
   * @example
   * ```ts
   * await gateway.start({ timeoutMs: 60_000, signal: AbortSignal.timeout(90_000) });
   * ```
   */
  async start(opts: OperationOptions = {}): Promise<void> {
    this.#assertUsable();
    while (this.#stopPromise || this.#cleanup) await (this.#stopPromise ?? this.#cleanup)!.catch(() => undefined);
    while (this.#state === "unhealthy") await new Promise((r) => this.once("state", r));
    if (this.#state === "ready") return;
    if (this.#state === "restarting") return this.onReady({ timeoutMs: opts.timeoutMs ?? this.#deps.readyTimeoutMs, signal: opts.signal });
    if (!this.#startPromise) {
      this.#clearBackoff();
      this.#tracker.reset();
      this.#restarts = 0;
      this.#startPromise = this.#runStart(opts, false).finally(() => {
        this.#startPromise = undefined;
      });
    }
    return this.#startPromise;
  }

  /**
   * SIGTERM, then SIGKILL of the whole process tree after `timeoutMs` (default: the
   * host's `stopTimeoutMs`). Resolves when no process of this gateway is left and its
   * ports accept a bind. Idempotent; interrupts a start, a backoff or an in-place restart.
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
   * Stop, then start again (a new process, a new `bootId`); with `inPlace: true`, SIGUSR2
   * instead: the same process restarts itself and the promise resolves at the new
   * `bootId`'s hello-ok. Concurrent calls share one restart. `inPlace` on a gateway that
   * is not `ready` throws `CLAWHOST_ILLEGAL_STATE`.
   *
   * @example
   * ```ts
   * await gateway.restart();
   * await gateway.restart({ inPlace: true }); // same pid, new bootId
   * ```
   */
  restart(opts: RestartOptions = {}): Promise<void> {
    this.#assertUsable();
    if (opts.inPlace && !this.#restartPromise) {
      if (this.#state !== "ready" || !this.#proc) {
        return Promise.reject(
          new ClawhostError("CLAWHOST_ILLEGAL_STATE", `cannot restart in place: the gateway is ${this.#state}.`, {
            gateway: this.name,
            value: this.#state,
            fix: "an in-place restart needs a ready gateway; use restart() without inPlace, or start() first.",
          }),
        );
      }
    }
    this.#restartPromise ??= (opts.inPlace ? this.#restartInPlace(opts) : this.stop(opts).then(() => this.start(opts))).finally(() => {
      this.#restartPromise = undefined;
    });
    return this.#restartPromise;
  }

  /**
   * Call a gateway RPC method over the protocol connection; reconnects once when the
   * socket dropped while the process still runs. During an in-place restart it waits for
   * the new boot first.
   *
   * @example
   * ```ts
   * const health = await gateway.call("health", {});
   * const { hash } = (await gateway.call("config.get", {})) as { hash: string };
   * ```
   */
  async call(method: string, params: unknown = {}, opts: OperationOptions = {}): Promise<unknown> {
    if (this.#state === "restarting") {
      await this.onReady({ timeoutMs: opts.timeoutMs ?? this.#deps.readyTimeoutMs, signal: opts.signal });
    }
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
   * The gateway's config as it is on disk (JSON5 parsed; `{}` before the first write).
   *
   * @example
   * ```ts
   * const cfg = await gateway.readConfig();
   * ```
   */
  readConfig(): Promise<OpenClawConfig> {
    return this.#config.read();
  }

  /**
   * Change the config: `update` mutates the object it gets (or returns a new one), or is
   * a JSON merge patch. Every update of this gateway goes through one queue; updates
   * waiting together become one write. Resolves when the change is durable: written
   * atomically under a cross-process lock while the gateway is stopped, or taken by the
   * running gateway through `config.patch` (`applied: "live"`, or `"restart"` when it
   * restarts in place to apply it). An update that breaks OpenClaw's schema or a key
   * clawhost owns rejects with `CLAWHOST_CONFIG_INVALID` naming the path and rule, and
   * nothing is written.
   *
   * @example
   * ```ts
   * await gateway.updateConfig((cfg) => {
   *   const env = (cfg.env ??= {}) as { vars?: Record<string, string> };
   *   (env.vars ??= {}).REGION = "eu";
   * });
   * const { changedPaths } = await gateway.updateConfig({ env: { vars: { REGION: null } } });
   * ```
   */
  async updateConfig(update: ConfigUpdate, opts: UpdateConfigOptions = {}): Promise<ConfigUpdateResult> {
    this.#assertUsable();
    return this.#config.update(update, opts);
  }

  /**
   * Resolve when the gateway is ready: at once if it already is. Rejects when it ends
   * in `failed` or `stopped` first, or at `timeoutMs` / `signal`. Through `backoff` and
   * `restarting` it keeps waiting.
   *
   * @example
   * ```ts
   * void gateway.start();
   * await gateway.onReady({ timeoutMs: 60_000 });
   * ```
   */
  onReady(opts: OperationOptions = {}): Promise<void> {
    if (this.#state === "ready") return Promise.resolve();
    return this.#waitFor((resolve) => {
      const onState = ({ to }: GatewayStateChange): void => {
        if (to === "ready") resolve();
        else if (to === "failed" || (to === "stopped" && !this.#startPromise))
          resolve(this.#lastError ?? new ClawhostError("CLAWHOST_NOT_READY", `ended in ${to} before ready.`, { gateway: this.name }));
      };
      this.on("state", onState);
      return () => this.off("state", onState);
    }, opts);
  }

  /**
   * JSON-safe view: state, pid, bootId, ports, paths, restarts, last exit; the token and
   * secret-looking env values redacted.
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
      restarts: this.#restarts,
      outlive: this.supervision.outlive,
      adopted: this.#adopted,
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
    this.#config.unwatch();
  }

  /**
   * @internal Host disposal with `outlive`: stop watching a ready gateway and leave it
   * running for the next host to adopt. Returns false when there was nothing to hand over.
   */
  release(): boolean {
    const proc = this.#proc;
    if (!proc || !proc.outlive || this.#state !== "ready") return false;
    this.#stopLiveness();
    this.#clearBackoff();
    this.#inPlaceAbort?.abort();
    this.#requested.set(proc, "stopped");
    this.#conn?.close();
    this.#conn = undefined;
    proc.release();
    untrackTree(proc.tree);
    this.#proc = undefined;
    this.#hello = undefined;
    this.#setState("stopped");
    return true;
  }

  // ---- internals ---------------------------------------------------------------------

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

  /** A promise settled by `arm` (resolve() or resolve(error)), with timeout and abort. */
  #waitFor(arm: (settle: (err?: unknown) => void) => () => void, opts: OperationOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      let disarm = (): void => undefined;
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(
              () => done(new ClawhostError("CLAWHOST_READINESS_TIMEOUT", `not ready within ${opts.timeoutMs} ms.`, { gateway: this.name })),
              opts.timeoutMs,
            );
      const onAbort = (): void => done(new ClawhostError("CLAWHOST_ABORTED", "wait aborted.", { gateway: this.name, cause: opts.signal?.reason }));
      const done = (err?: unknown): void => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        disarm();
        if (err) reject(err);
        else resolve();
      };
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      disarm = arm(done);
    });
  }

  /**
   * One start: spawn (or adopt), wait for hello-ok; on exit 78 run doctor once and try
   * once more. `supervised` starts come from the restart policy: their failure goes back
   * to the policy instead of to a caller.
   */
  async #runStart(opts: OperationOptions, supervised: boolean): Promise<void> {
    const abort = new AbortController();
    this.#startAbort = abort;
    const onCallerAbort = (): void => abort.abort(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
    if (opts.signal?.aborted) abort.abort(opts.signal.reason);
    const timeoutMs = opts.timeoutMs ?? this.#deps.readyTimeoutMs;
    this.#lastError = undefined;
    this.#hello = undefined;
    this.#tail = [];
    this.#setState("starting");
    this.#startedAt = new Date();
    try {
      let doctor: DoctorResult | undefined;
      try {
        await this.#launch(abort, timeoutMs);
      } catch (err) {
        if (!this.#isExit(err, "config-invalid") || !this.supervision.doctor || abort.signal.aborted) throw err;
        const first = this.#lastExit;
        doctor = await runDoctor(this.#deps.runtime(), this.context, this.#token!, (l) => redactSecret(l, this.#token), DOCTOR_TIMEOUT_MS);
        this.emit("warning", {
          code: "DOCTOR_RAN",
          message: `${this.name}: exit 78 (config); ran \`openclaw doctor --fix\` (exit ${doctor.code}), retrying once.`,
          details: { doctorExit: doctor.code, doctorOutput: doctor.output, gatewayOutput: first?.outputTail ?? [] },
        });
        if (abort.signal.aborted) throw err;
        this.#tail = [];
        try {
          await this.#launch(abort, timeoutMs);
        } catch (err2) {
          if (!this.#isExit(err2, "config-invalid")) throw err2;
          throw this.#configInvalid(doctor, err2);
        }
      }
    } catch (err) {
      const stopping = this.#stopRequested;
      await this.#endProcess(this.#deps.stopTimeoutMs, "stopped");
      const aborted = stopping || abort.signal.aborted;
      const error = aborted ? this.#abortedError(abort.signal.reason, err) : this.#startError(err, timeoutMs);
      if (!stopping) {
        this.#lastError = error;
        if (aborted) this.#setState("stopped");
        else if (supervised) {
          const reason = isClawhostError(err, "CLAWHOST_GATEWAY_EXITED") && this.#lastExit ? this.#lastExit.reason : "start-failed";
          this.#afterFailure(reason, undefined, error);
        }
        else this.#setState("failed");
      }
      throw error;
    } finally {
      opts.signal?.removeEventListener("abort", onCallerAbort);
      if (this.#startAbort === abort) this.#startAbort = undefined;
    }
  }

  /** Prepare, clean what an earlier host left, adopt or spawn, and wait for hello-ok. */
  async #launch(abort: AbortController, timeoutMs: number): Promise<void> {
    const runtime = this.#deps.runtime();
    await this.#prepare();
    if (await this.#adoptOrClean(abort.signal)) return;
    await this.#preflight();
    if (abort.signal.aborted) throw this.#abortedError(abort.signal.reason);
    const t0 = performance.now();
    const proc = spawnGateway(runtime, this.context, this.#token!, (stream, line) => this.#onLine(stream, line), {
      outlive: this.supervision.outlive,
    });
    this.#proc = proc;
    void proc.exited.then((info) => this.#onExit(proc, info));
    let conn: GatewayConnection;
    try {
      conn = await waitForHello({
        port: this.context.ports.gateway,
        token: this.#token!,
        gateway: this.name,
        deadline: Date.now() + timeoutMs,
        signal: abort.signal,
        check: () => {
          const exit = this.#exits.get(proc);
          if (exit) throw this.#exitedDuringStart(exit);
        },
      });
    } catch (err) {
      if (isClawhostError(err, "CLAWHOST_READINESS_TIMEOUT")) this.#requested.set(proc, "start-timeout");
      else if (!this.#exits.has(proc)) this.#requested.set(proc, "stopped");
      throw err;
    }
    this.#assertOwnGateway(conn, proc);
    this.#becomeReady(proc, conn, Math.round(performance.now() - t0), "spawn");
  }

  #assertOwnGateway(conn: GatewayConnection, proc: SpawnedGateway | undefined): void {
    const stateDir = conn.hello.snapshot.stateDir;
    if (stateDir !== undefined && stateDir !== this.context.stateDir) {
      conn.close();
      if (proc) this.#requested.set(proc, "stopped");
      throw new ClawhostError("CLAWHOST_START_FAILED", `port ${this.context.ports.gateway} is answered by a gateway with state dir ${stateDir}.`, {
        gateway: this.name,
        value: stateDir,
        fix: "another gateway holds this port: stop it or use another port block.",
      });
    }
  }

  #becomeReady(proc: SpawnedGateway, conn: GatewayConnection, readyMs: number, via: GatewayReadyInfo["via"]): void {
    this.#attach(conn);
    this.#everReady.add(proc);
    this.#readyMs = readyMs;
    this.#readyAt = new Date();
    this.#readySince = performance.now();
    const info = readProc(proc.pid);
    writeRunRecord(this.context.runFile, {
      pid: proc.pid,
      startTime: info?.startTime ?? proc.tree.root.startTime,
      bootId: conn.hello.server.bootId,
      port: this.context.ports.gateway,
      outlive: proc.outlive,
      hostPid: process.pid,
      startedAt: (this.#startedAt ?? new Date()).toISOString(),
    });
    this.#setState("ready");
    this.emit("ready", { pid: proc.pid, bootId: conn.hello.server.bootId, version: conn.hello.server.version, readyMs, via });
    this.#startLiveness(proc);
  }

  /**
   * What an earlier host left behind: a run record whose process lives is adopted (with
   * `outlive`: pid, start time and bootId checked) or ended (an orphan); dead records and
   * OpenClaw locks of dead processes are removed; a state-dir lock held by a live process
   * that is not ours refuses the start before anything is spawned.
   */
  async #adoptOrClean(signal: AbortSignal): Promise<boolean> {
    const rec = readRunRecord(this.context.runFile);
    if (rec) {
      const id = { pid: rec.pid, startTime: rec.startTime };
      const live = isAlive(id) && (readProc(rec.pid)?.comm ?? "").startsWith("openclaw");
      if (live && this.supervision.outlive && rec.port === this.context.ports.gateway) {
        const t0 = performance.now();
        const conn = await waitForHello({
          port: this.context.ports.gateway,
          token: this.#token!,
          gateway: this.name,
          deadline: Date.now() + ADOPT_TIMEOUT_MS,
          signal,
        });
        this.#assertOwnGateway(conn, undefined);
        if (conn.hello.server.bootId !== rec.bootId) {
          this.emit("warning", {
            code: "BOOT_CHANGED",
            message: `${this.name}: pid ${rec.pid} restarted in place since it was recorded (bootId ${rec.bootId} -> ${conn.hello.server.bootId}); same process, adopted.`,
          });
        }
        const proc = adoptGateway(id, this.context, (stream, line) => this.#onLine(stream, line));
        this.#proc = proc;
        this.#adopted = true;
        void proc.exited.then((info) => this.#onExit(proc, info));
        this.#becomeReady(proc, conn, Math.round(performance.now() - t0), "adopted");
        return true;
      }
      if (live) {
        await new ProcessTree(rec.pid).kill(this.#deps.stopTimeoutMs);
        this.emit("warning", {
          code: "ORPHAN_ENDED",
          message: `${this.name}: ended pid ${rec.pid}, a gateway of this root left running by host pid ${rec.hostPid}.`,
          details: { pid: rec.pid, hostPid: rec.hostPid },
        });
      }
      removeRunRecord(this.context.runFile);
    }
    this.#adopted = false;
    const held = readStateDirLocks(this.context.stateDir).find((l) => l.alive && l.pid !== process.pid);
    if (held) throw this.#stateDirInUse(held.pid, held.path);
    const removed = removeStaleStateDirLocks(this.context.stateDir);
    if (removed.length > 0) {
      this.emit("warning", {
        code: "STALE_LOCKS_REMOVED",
        message: `${this.name}: removed ${removed.length} OpenClaw lock file(s) of dead processes.`,
        details: { paths: removed },
      });
    }
    return false;
  }

  async #doStop(opts: OperationOptions): Promise<void> {
    const graceMs = opts.timeoutMs ?? this.#deps.stopTimeoutMs;
    this.#stopRequested = true;
    try {
      this.#clearBackoff();
      if (this.#cleanup) await this.#cleanup;
      this.#clearBackoff();
      this.#stopLiveness();
      this.#inPlaceAbort?.abort();
      if (!this.#proc && !this.#startPromise) {
        this.#setState("stopped");
        return;
      }
      this.#setState("stopping");
      this.#startAbort?.abort(new ClawhostError("CLAWHOST_ABORTED", "stopped while starting.", { gateway: this.name }));
      if (this.#startPromise) await this.#startPromise.catch(() => undefined);
      await this.#endProcess(graceMs, "stopped");
      removeRunRecord(this.context.runFile);
      await this.#waitForPortsFree(graceMs);
      this.#setState("stopped");
    } finally {
      this.#stopRequested = false;
    }
  }

  /** Close the connection and end the process tree; resolves when every member is gone. */
  async #endProcess(graceMs: number, why: Requested): Promise<void> {
    this.#stopLiveness();
    this.#conn?.close();
    this.#conn = undefined;
    const proc = this.#proc;
    if (!proc) return;
    if (!this.#exits.has(proc) && !this.#requested.has(proc)) this.#requested.set(proc, why);
    await proc.tree.kill(graceMs);
    await proc.exited;
    proc.release();
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
   * only after ~10-16 s of bind retries). Taken CDP ports are reported as a warning.
   */
  async #preflight(): Promise<void> {
    const { ports } = this.context;
    const busy = await findBusyPorts([ports.gateway, ports.browserControl]);
    if (busy.length > 0) throw this.#portInUse(busy, findPortHolders(busy), "nothing was spawned");
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
    await this.#writeSpecConfig();
    await this.#config.watch();
    // A token already in the config (an adopted profile) wins over the env in OpenClaw: use it.
    const configured = ((await this.#config.read()) as { gateway?: { auth?: { token?: unknown } } }).gateway?.auth?.token;
    this.#token = typeof configured === "string" && configured.length > 0 ? configured : await loadOrCreateToken(ctx);
    await mkdir(ctx.compileCacheDir, { recursive: true });
    // Node's compile cache lives under TMPDIR: link the shared one so starts stay warm.
    const link = join(ctx.tmpDir, "node-compile-cache");
    const current = await readlink(link).catch(() => undefined);
    if (current !== ctx.compileCacheDir) {
      await rm(link, { recursive: true, force: true });
      await symlink(ctx.compileCacheDir, link, "dir");
    }
  }

  /**
   * The spec's `config` is written before the first start (with what clawhost owns), and
   * merged again, through the same queue, when a later `add()` brings a changed one.
   */
  async #writeSpecConfig(): Promise<void> {
    const initial = this.context.initialConfig as OpenClawConfig;
    const hash = createHash("sha256").update(JSON.stringify(initial)).digest("hex");
    const record = join(this.context.dir, "spec-config.sha256");
    const applied = (await readFile(record, "utf8").catch(() => "")).trim();
    const owned = ownedConfig(this.context);
    await this.#config.update((cfg, { exists }) => {
      const merged = !exists || applied !== hash ? (applyMergePatch(cfg, initial) as OpenClawConfig) : cfg;
      return applyMergePatch(merged, owned) as OpenClawConfig;
    });
    if (applied !== hash) await writeFile(record, `${hash}\n`, { mode: 0o600 });
  }

  /** Where config writes go now: the running gateway, the file, or wait for the next state. */
  #configMode(): "live" | "file" | "wait" {
    switch (this.#state) {
      case "ready":
        return "live";
      case "stopped":
      case "failed":
      case "backoff":
        return "file";
      case "starting":
        // Booting: wait for it; still preparing (or the last try exited): the file.
        return this.#proc && !this.#exits.has(this.#proc) ? "wait" : "file";
      default:
        return "wait";
    }
  }

  #attach(conn: GatewayConnection): void {
    if (this.#conn !== conn) this.#conn?.close();
    this.#conn = conn;
    this.#hello = conn.hello;
    conn.on("event", (frame) => {
      this.emit("event", frame);
      const payload = frame.payload as { restartExpectedMs?: unknown } | undefined;
      if (frame.event === "shutdown" && typeof payload?.restartExpectedMs === "number") this.#onRestartAnnounced(conn);
    });
  }

  #onLine(stream: "stdout" | "stderr", raw: string): void {
    const line = redactSecret(raw, this.#token);
    this.#tail.push(`[${stream}] ${line}`);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    this.emit("log", { stream, line });
  }

  // ---- supervision -------------------------------------------------------------------

  #onExit(proc: SpawnedGateway, info: ExitInfo): void {
    const requested = this.#requested.get(proc);
    // What clawhost checks itself, only where the exit status leaves it open: a state-dir
    // holder explains a 78, a port holder another non-zero code; our own ends need neither.
    const unexplained = requested === undefined && info.code !== 0 && info.code !== null;
    const mine = unexplained ? new Set([info.pid, ...proc.tree.alive().map((m) => m.pid)]) : new Set<number>();
    const holder =
      unexplained && info.code === EXIT_CONFIG ? readStateDirLocks(this.context.stateDir).find((l) => l.alive && !mine.has(l.pid)) : undefined;
    const portHolders =
      unexplained && info.code !== EXIT_CONFIG
        ? findPortHolders([this.context.ports.gateway, this.context.ports.browserControl]).filter((h) => h.pid !== undefined && !mine.has(h.pid))
        : [];
    const reason = classifyExit(info, {
      requested,
      stateDirHolder: holder?.pid,
      portHolders: portHolders.map((h) => h.pid!),
    });
    const ready = this.#everReady.has(proc);
    const uptimeMs = ready && this.#readySince !== undefined ? Math.round(performance.now() - this.#readySince) : undefined;
    const exit: GatewayExitInfo = { ...info, reason, phase: ready ? "running" : "starting", uptimeMs, outputTail: [...this.#tail] };
    this.#exits.set(proc, exit);
    this.#lastExit = exit;
    this.#lastExitError = this.#errorForExit(exit, holder, portHolders);
    if (reason !== "stopped" && reason !== "start-timeout") removeRunRecord(this.context.runFile);
    this.emit("exit", exit);
    if (this.#proc !== proc || !ready || requested === "stopped" || this.#stopRequested) return;
    // An unexpected end of a running gateway (or our unhealthy kill): end its orphans, then ask the policy.
    this.#stopLiveness();
    this.#inPlaceAbort?.abort();
    this.#conn?.close();
    this.#conn = undefined;
    this.#hello = undefined;
    const error = this.#lastExitError;
    this.#cleanup = this.#endProcess(this.#deps.stopTimeoutMs, "stopped").finally(() => {
      this.#cleanup = undefined;
    });
    this.#afterFailure(reason, uptimeMs, error);
  }

  /** The policy's turn after an unexpected end: back off and restart, or stay down. */
  #afterFailure(reason: ExitReason | "start-failed", uptimeMs: number | undefined, error: ClawhostError): void {
    this.#lastError = error;
    const terminal =
      reason === "state-dir-in-use" ||
      reason === "port-conflict" ||
      error.code === "CLAWHOST_CONFIG_INVALID" ||
      error.code === "CLAWHOST_STATE_DIR_IN_USE" ||
      error.code === "CLAWHOST_PORT_IN_USE";
    if (terminal) {
      this.#setState("failed");
      return;
    }
    const decision = this.#tracker.onEnd({ clean: reason === "clean-exit", uptimeMs });
    if (!decision.restart) {
      if (decision.why === "budget") {
        this.#lastError = new ClawhostError(
          "CLAWHOST_CRASH_LOOP",
          `ended unexpectedly ${decision.failuresInWindow} times within ${this.supervision.restart.windowMs} ms; not restarting (last: ${reason}).`,
          {
            gateway: this.name,
            value: decision.failuresInWindow,
            fix: "read details.lastExit and details.outputTail, fix the cause, then start() again.",
            details: { lastExit: this.#lastExitSummary(), outputTail: this.#lastExit?.outputTail ?? [] },
            cause: error,
          },
        );
        this.#setState("failed");
      } else {
        this.#setState(reason === "clean-exit" ? "stopped" : "failed");
      }
      return;
    }
    this.#setState("backoff");
    this.emit("backoff", { delayMs: decision.delayMs, attempt: decision.attempt, failuresInWindow: decision.failuresInWindow, after: reason });
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      if (this.#state !== "backoff" || this.#startPromise || this.#disposed) return;
      this.#restarts += 1;
      // The ended tree's orphans must be gone before a new process takes the ports.
      const cleanup = this.#cleanup ?? Promise.resolve();
      this.#startPromise = cleanup
        .then(() => {
          if (this.#stopRequested || this.#state !== "backoff") throw new Error("stopped during backoff");
          return this.#runStart({}, true);
        })
        .catch(() => undefined)
        .finally(() => {
          this.#startPromise = undefined;
        });
    }, decision.delayMs);
  }

  #clearBackoff(): void {
    if (this.#backoffTimer) clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
  }

  #startLiveness(proc: SpawnedGateway): void {
    const opts = this.supervision.liveness;
    if (!opts) return;
    this.#stopLiveness();
    let missed = 0;
    let lastOkAt: Date | undefined;
    const tick = async (): Promise<void> => {
      const ok = await probeHealthz(this.context.ports.gateway, opts.timeoutMs);
      if (this.#proc !== proc || this.#state !== "ready" || this.#livenessTimer === undefined) return;
      if (ok) {
        missed = 0;
        lastOkAt = new Date();
      } else if (++missed >= opts.failures) {
        this.#declareUnhealthy(proc, missed, lastOkAt, `no answer to GET /healthz within ${opts.timeoutMs} ms, ${missed} times in a row`);
        return;
      }
      schedule();
    };
    const schedule = (): void => {
      this.#livenessTimer = setTimeout(() => void tick(), opts.intervalMs);
      this.#livenessTimer.unref();
    };
    schedule();
  }

  #stopLiveness(): void {
    if (this.#livenessTimer) clearTimeout(this.#livenessTimer);
    this.#livenessTimer = undefined;
  }

  /** A hung gateway: report, end its tree (SIGCONT so a stopped one can take SIGTERM), let the policy decide. */
  #declareUnhealthy(proc: SpawnedGateway, missed: number, lastOkAt: Date | undefined, reason: string): void {
    this.#stopLiveness();
    this.#requested.set(proc, "unhealthy");
    this.#setState("unhealthy");
    this.emit("unhealthy", { pid: proc.pid, missed, lastOkAt: lastOkAt?.toISOString(), reason: `${this.name}: ${reason}` });
    for (const m of proc.tree.alive()) {
      try {
        process.kill(m.pid, "SIGCONT");
      } catch {
        // Gone.
      }
    }
    void proc.tree.kill(UNHEALTHY_GRACE_MS);
  }

  /** The gateway announced `shutdown` with `restartExpectedMs`: not a crash; follow it to the new bootId. */
  #onRestartAnnounced(conn: GatewayConnection): void {
    const proc = this.#proc;
    if (this.#state !== "ready" || conn !== this.#conn || !proc) return;
    const oldBoot = conn.hello.server.bootId;
    this.#stopLiveness();
    this.#setState("restarting");
    const abort = new AbortController();
    this.#inPlaceAbort = abort;
    const t0 = performance.now();
    const deadline = Date.now() + this.#deps.readyTimeoutMs;
    void (async () => {
      for (;;) {
        const next = await waitForHello({
          port: this.context.ports.gateway,
          token: this.#token!,
          gateway: this.name,
          deadline,
          signal: abort.signal,
          check: () => {
            if (this.#exits.has(proc) || this.#proc !== proc) throw new ClawhostError("CLAWHOST_ABORTED", "process ended.", { gateway: this.name });
          },
        });
        // The draining old boot may still answer for a moment: only a new bootId counts.
        if (next.hello.server.bootId !== oldBoot) return next;
        next.close();
        await new Promise((r) => setTimeout(r, 100));
      }
    })().then(
      (next) => {
        if (abort.signal.aborted || this.#proc !== proc || this.#state !== "restarting") {
          next.close();
          return;
        }
        this.#becomeReady(proc, next, Math.round(performance.now() - t0), "in-place-restart");
      },
      () => {
        if (abort.signal.aborted || this.#proc !== proc || this.#state !== "restarting" || this.#exits.has(proc)) return;
        this.#declareUnhealthy(proc, 0, undefined, `no hello-ok with a new bootId within ${this.#deps.readyTimeoutMs} ms of an in-place restart`);
      },
    );
  }

  async #restartInPlace(opts: OperationOptions): Promise<void> {
    const proc = this.#proc!;
    const oldBoot = this.bootId;
    const waiting = this.#waitFor((settle) => {
      const onReady = (info: GatewayReadyInfo): void => {
        if (info.bootId !== oldBoot) settle();
      };
      const onState = ({ to }: GatewayStateChange): void => {
        if (to === "failed" || to === "stopped" || to === "backoff" || to === "unhealthy")
          settle(this.#lastError ?? new ClawhostError("CLAWHOST_NOT_READY", `ended in ${to} during an in-place restart.`, { gateway: this.name }));
      };
      this.on("ready", onReady);
      this.on("state", onState);
      return () => {
        this.off("ready", onReady);
        this.off("state", onState);
      };
    }, { timeoutMs: opts.timeoutMs ?? this.#deps.readyTimeoutMs, signal: opts.signal });
    process.kill(proc.pid, "SIGUSR2");
    await waiting;
  }

  // ---- errors ------------------------------------------------------------------------

  #isExit(err: unknown, reason: ExitReason): boolean {
    return isClawhostError(err, "CLAWHOST_GATEWAY_EXITED") && this.#lastExit?.reason === reason;
  }

  #lastExitSummary(): Omit<GatewayExitInfo, "outputTail"> | undefined {
    if (!this.#lastExit) return undefined;
    const { outputTail: _t, ...rest } = this.#lastExit;
    return rest;
  }

  #errorForExit(exit: GatewayExitInfo, stateDirHolder: StateDirLock | undefined, portHolders: PortHolder[]): ClawhostError {
    if (exit.reason === "state-dir-in-use" && stateDirHolder !== undefined) return this.#stateDirInUse(stateDirHolder.pid, stateDirHolder.path);
    if (exit.reason === "port-conflict") return this.#portInUse(portHolders.map((h) => h.port), portHolders, "the gateway exited");
    return new ClawhostError("CLAWHOST_GATEWAY_EXITED", `the gateway exited unexpectedly (${describeExit(exit)}, ${exit.reason}).`, {
      gateway: this.name,
      value: exit.code ?? exit.signal,
      details: { exit: this.#lastExitSummary(), outputTail: exit.outputTail },
    });
  }

  #stateDirInUse(pid: number, lockPath: string | undefined): ClawhostError {
    return new ClawhostError("CLAWHOST_STATE_DIR_IN_USE", `state dir ${this.context.stateDir} is held by live pid ${pid}; two gateways must never share one.`, {
      gateway: this.name,
      value: pid,
      fix: `stop pid ${pid} (another OpenClaw gateway on this state dir) or give this gateway its own paths.stateDir.`,
      details: { pid, lockPath, command: undefined },
    });
  }

  #portInUse(busy: number[], holders: PortHolder[], what: string): ClawhostError {
    const ports = this.context.ports;
    const who = holders.map((h) => `${h.port} (${h.pid === undefined ? "holder not visible" : `pid ${h.pid}: ${h.command ?? "?"}`})`).join(", ");
    return new ClawhostError("CLAWHOST_PORT_IN_USE", `port ${who} of block ${ports.block.start}..${ports.block.end} is already bound; ${what}.`, {
      gateway: this.name,
      value: busy,
      fix: "stop the process holding it or give this gateway another port block.",
      details: { holders },
    });
  }

  #configInvalid(doctor: DoctorResult, cause: unknown): ClawhostError {
    const tail = this.#lastExit?.outputTail ?? [];
    const diagnosis = tail.filter((l) => /invalid|config|error/i.test(l)).slice(-5);
    return new ClawhostError(
      "CLAWHOST_CONFIG_INVALID",
      `the gateway rejects its config ${this.context.configPath} (exit 78), also after \`openclaw doctor --fix\`${diagnosis.length ? `:\n  ${diagnosis.join("\n  ")}\n` : "."}`,
      {
        gateway: this.name,
        value: this.context.configPath,
        fix: "correct the keys the gateway names in details.outputTail (run `openclaw doctor` with this gateway's env to see more).",
        details: { outputTail: tail, doctor: { exit: doctor.code, timedOut: doctor.timedOut, output: doctor.output } },
        cause,
      },
    );
  }

  #exitedDuringStart(exit: GatewayExitInfo): ClawhostError {
    return new ClawhostError("CLAWHOST_GATEWAY_EXITED", `the gateway exited before it was ready (${describeExit(exit)}, ${exit.reason}).`, {
      gateway: this.name,
      value: exit.code ?? exit.signal,
      fix: "read details.outputTail; exit 78 means a config problem, 1 a bad flag or busy port.",
      details: { exit: this.#lastExitSummary(), outputTail: exit.outputTail },
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
    // The holder found when it exited names the cause better than the exit itself.
    const reason = this.#lastExit?.reason;
    if (isClawhostError(err, "CLAWHOST_GATEWAY_EXITED") && (reason === "state-dir-in-use" || reason === "port-conflict") && this.#lastExitError) {
      return this.#lastExitError;
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
  if (info.code === null && info.signal === null) return "status unknown: not our child";
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}

function redactJson<T>(value: T, secret: string | undefined): T {
  if (!secret) return value;
  return JSON.parse(redactSecret(JSON.stringify(value), secret)) as T;
}
