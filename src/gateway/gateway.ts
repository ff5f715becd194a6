import { dirname } from "node:path";
import { EventEmitter } from "eventemitter3";
import type { InstanceContext } from "../context/context.js";
import { redactSecret } from "../context/secrets.js";
import { ownedConfig, ownedConfigRules } from "../config/file.js";
import type { OpenClawConfig } from "../config/file.js";
import { validateUpdate } from "../config/options.js";
import { ConfigStore } from "../config/store.js";
import type { ConfigUpdate, ConfigUpdateResult, UpdateConfigOptions } from "../config/store.js";
import type { ClawhostError } from "../errors.js";
import { isClawhostError } from "../errors.js";
import type { ExitReason } from "../process/exit.js";
import { removeRunRecord } from "../process/runfile.js";
import type { ExitInfo } from "../process/spawn.js";
import type { KillReport, Survivor } from "../process/tree.js";
import type { Connection, HelloOk } from "../rpc/connection.js";
import { parseEventsOptions } from "../observe/events.js";
import { GatewayLogs } from "../observe/logs/logs.js";
import type { LogRecord, LogsQuery } from "../observe/logs/types.js";
import { clawhostVersion, describeTree, redactConfig } from "../observe/diagnostics.js";
import { jsonSafe } from "../observe/json.js";
import type { EventsOptions } from "../observe/types.js";
import type { GatewayDeps } from "./deps.js";
import { deadlineProblem, problemOf, within } from "./dispose.js";
import * as errors from "./errors.js";
import { explainExit } from "./exit.js";
import { askInPlaceRestart, followInPlaceRestart, inPlaceRestartWay } from "./inplace.js";
import { launch, prepare, recordRun } from "./launch.js";
import type { Launched, LaunchEnv } from "./launch.js";
import { Lifecycle, PROCESS_STATES } from "./lifecycle.js";
import { LivenessMonitor } from "./liveness.js";
import { parseOperationOptions, parseRestartOptions, timeoutMsSchema, validateCallArgs } from "./options.js";
import type { Run } from "./run.js";
import { endRun, waitForPortsFree } from "./stop.js";
import { Supervisor } from "./supervisor.js";
import type {
  DisposeOptions,
  DisposeReport,
  EventRecord,
  GatewayDiagnostics,
  GatewayEvents,
  GatewayExitInfo,
  GatewayLogLine,
  GatewayResources,
  GatewaySnapshot,
  GatewayState,
  OperationOptions,
  RestartOptions,
  SupervisionOptions,
} from "./types.js";

/** Records of the event stream a diagnostics bundle carries at most. */
const DIAGNOSTIC_EVENTS = 200;
/** Log records a diagnostics bundle carries at most. */
const DIAGNOSTIC_LOG_RECORDS = 200;
/** SIGTERM grace for a hung gateway's tree (it answers nothing anyway). */
const UNHEALTHY_GRACE_MS = 2_000;
/** A stop's deadline beyond its grace: orphans, SIGKILL settling, the exit status. */
const STOP_EXTRA_MS = 5_000;
/** A dispose's deadline beyond a stop's: the run record, the ports. */
const DISPOSE_EXTRA_MS = 5_000;

/**
 * One supervised OpenClaw gateway: a state machine with an operation lock over a process
 * it spawned itself. `start()`, `stop()` and `restart()` are idempotent and safe to call
 * concurrently; `stop()` ends in `stopped`, or rejects with a typed error while `state`
 * tells what is left. Once ready, an unexpected end is classified and handled by the
 * restart policy; a hang is caught by liveness pings; an in-place restart is followed to
 * the new `bootId` without a respawn. Created by `host.add()`.
 *
 * This class is the table of contents; each concern lives in its own file of
 * `gateway/` (see docs/architecture.md).
 *
 * @example
 * ```ts
 * const main = await host.add({ name: "main", restart: { mode: "always" } });
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
  readonly #life: Lifecycle;
  readonly #config: ConfigStore;
  readonly #supervisor: Supervisor;
  readonly #liveness: LivenessMonitor | undefined;
  readonly #logs: GatewayLogs;
  #run: Run | undefined;
  #token: string | undefined;
  /** Ending the tree of a run that ended unexpectedly; starts and stops wait for it. */
  #recovering: Promise<void> | undefined;
  #startedAt: Date | undefined;
  #readyAt: Date | undefined;
  #readyMs: number | undefined;
  #lastExit: GatewayExitInfo | undefined;
  #lastError: ClawhostError | undefined;
  #survivors: Survivor[] = [];
  #adopted = false;
  #disposed = false;
  #rpcErrors = 0;
  #restartsTotal = 0;

  /** @internal Use `host.add()`. */
  constructor(context: InstanceContext, deps: GatewayDeps) {
    super();
    this.context = context;
    this.#deps = deps;
    this.supervision = Object.freeze({ ...deps.supervision });
    this.#life = new Lifecycle(context.name, deps.clock, (change) => this.emit("state", change));
    this.#supervisor = new Supervisor(context.name, deps.supervision, deps.clock, deps.random);
    this.#liveness = deps.supervision.liveness ? new LivenessMonitor(deps.supervision.liveness, deps.ticker) : undefined;
    this.#config = new ConfigStore({
      name: context.name,
      configPath: context.configPath,
      schema: deps.validator,
      owned: ownedConfigRules(context),
      baseline: () => ownedConfig(context),
      target: {
        mode: () => this.#configMode(),
        changed: () => new Promise((r) => this.once("state", () => r())),
        call: (method, params) => this.call(method, params),
      },
    });
    this.#config.on("config", (c) => this.emit("config", c));
    this.#logs = new GatewayLogs({
      gateway: context.name,
      dir: dirname(context.logFile),
      openclawLogFile: context.logFile,
      options: deps.logs,
      onError: (err) =>
        this.emit("warning", { code: "LOGS_UNAVAILABLE", message: err.message, details: { code: err.code, path: err.value } }),
    });
  }

  /** The gateway's name. */
  get name(): string {
    return this.context.name;
  }

  /** Current lifecycle state. */
  get state(): GatewayState {
    return this.#life.state;
  }

  /** Pid of the gateway process while one runs (undefined once it exited). */
  get pid(): number | undefined {
    const run = this.#run;
    return run && !run.exit ? run.pid : undefined;
  }

  /** `bootId` of the current boot (from hello-ok), while ready. */
  get bootId(): string | undefined {
    return this.hello?.server.bootId;
  }

  /** OpenClaw version the running gateway reported. */
  get version(): string | undefined {
    return this.hello?.server.version;
  }

  /** The hello-ok payload of the current boot, while ready. */
  get hello(): HelloOk | undefined {
    return this.#life.state === "ready" || this.#life.state === "restarting" ? this.#run?.hello : undefined;
  }

  /** The last error that put the gateway into `failed`. */
  get lastError(): ClawhostError | undefined {
    return this.#lastError;
  }

  /** How the last process ended. */
  get lastExit(): GatewayExitInfo | undefined {
    return this.#lastExit;
  }

  /** Memory and CPU of the whole process tree at the host's last sample (no process: undefined). */
  get resources(): GatewayResources | undefined {
    const sample = this.#run && !this.#run.exit ? this.#run.proc.sample() : undefined;
    return (
      sample && {
        rssBytes: sample.rssBytes,
        cpuMs: sample.cpuMs,
        cpuPercent: sample.cpuPercent === undefined ? undefined : Math.round(sample.cpuPercent * 10) / 10,
        sampledAt: new Date(Date.now() - (performance.now() - sample.at)).toISOString(),
        processes: sample.alive.length,
      }
    );
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
    const o = parseOperationOptions(opts, "start options", this.name);
    this.#assertUsable();
    if (o.signal?.aborted) throw errors.alreadyAborted(this.name, "start", o.signal.reason);
    if (!this.#life.op && this.#life.state === "ready") return;
    return this.#life.run("start", (signal) => this.#start(o, signal, false));
  }

  /**
   * End the whole process tree: SIGTERM, then SIGKILL after `timeoutMs` (default: the
   * host's `stopTimeoutMs`); an aborted `signal` goes to SIGKILL at once. Resolves in
   * `stopped` when no process of this gateway is left. Never hangs: what outlives
   * SIGKILL (a process in uninterruptible sleep) is reported by
   * `CLAWHOST_STOP_TIMEOUT` with the survivors, and the state is `failed`. Idempotent;
   * interrupts a start, a backoff or an in-place restart.
   *
   * @example
   * ```ts
   * await gateway.stop({ timeoutMs: 5_000 });
   * ```
   */
  stop(opts: OperationOptions = {}): Promise<void> {
    let o: OperationOptions;
    try {
      o = parseOperationOptions(opts, "stop options", this.name);
    } catch (err) {
      return Promise.reject(err);
    }
    const op = this.#life.op;
    if (op?.kind === "stop") return op.promise;
    if (op && PROCESS_STATES.has(this.#life.state)) this.#life.set("stopping");
    return this.#life.run("stop", () => this.#stop(o), true);
  }

  /**
   * Stop, then start again (a new process, a new `bootId`); with `inPlace: true`, ask
   * OpenClaw to restart itself instead (`gateway.restart.request` when its hello-ok lists
   * it, else SIGUSR2 when the process handles that): the same process restarts and the
   * promise resolves at the new `bootId`'s hello-ok. Concurrent calls share one restart.
   * `inPlace` on a gateway that is not `ready` throws `CLAWHOST_ILLEGAL_STATE`; on an
   * OpenClaw that offers neither way, `CLAWHOST_RESTART_UNSUPPORTED` (nothing is sent).
   *
   * @example
   * ```ts
   * await gateway.restart();
   * await gateway.restart({ inPlace: true }); // same pid, new bootId
   * ```
   */
  async restart(opts: RestartOptions = {}): Promise<void> {
    opts = parseRestartOptions(opts, this.name);
    this.#assertUsable();
    if (opts.signal?.aborted) throw errors.alreadyAborted(this.name, "restart", opts.signal.reason);
    const op = this.#life.op;
    if (op?.kind === "restart") return op.promise;
    if (opts.inPlace && (this.#life.state !== "ready" || !this.#run)) {
      throw errors.illegalState(this.name, "restart in place", this.#life.state, "an in-place restart needs a ready gateway; use restart() without inPlace, or start() first.");
    }
    return this.#life.run("restart", async (signal) => {
      if (opts.inPlace) return this.#restartInPlace(opts);
      await this.#stop(opts);
      await this.#start(opts, signal, false);
    });
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
    validateCallArgs(this.name, method, params);
    opts = parseOperationOptions(opts, "call options", this.name);
    if (opts.signal?.aborted) throw errors.alreadyAborted(this.name, `call ${method}`, opts.signal.reason);
    if (this.#life.state === "restarting") {
      await this.onReady({ timeoutMs: opts.timeoutMs ?? this.#deps.readyTimeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    }
    const run = this.#run;
    if (this.#life.state !== "ready" || !run) throw errors.notReady(this.name, method, this.#life.state);
    let conn = run.conn;
    if (!conn || conn.closed) {
      conn = await this.#deps.readiness({
        port: this.context.ports.gateway,
        token: this.#token!,
        gateway: this.name,
        deadline: Date.now() + (opts.timeoutMs ?? 10_000),
        signal: opts.signal ?? run.signal,
      });
      this.#attach(run, conn);
    }
    try {
      return await conn.request(method, params, { ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      this.#rpcErrors++;
      throw err;
    }
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
    validateUpdate(this.name, update, opts);
    this.#assertUsable();
    return this.#config.update(update, opts);
  }

  /**
   * Resolve when the gateway is ready: at once if it already is. Rejects when it ends
   * in `failed` or `stopped` first, or at `timeoutMs` (default: the host's
   * `readyTimeoutMs` plus the restart policy's `maxDelayMs`, so one backoff fits) /
   * `signal`. Through `backoff` and `restarting` it keeps waiting.
   *
   * @example
   * ```ts
   * void gateway.start();
   * await gateway.onReady({ timeoutMs: 60_000 });
   * ```
   */
  onReady(opts: OperationOptions = {}): Promise<void> {
    try {
      opts = parseOperationOptions(opts, "onReady options", this.name);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#life.state === "ready") return Promise.resolve();
    const timeoutMs = opts.timeoutMs ?? this.#deps.readyTimeoutMs + this.supervision.restart.maxDelayMs;
    return this.#life.waitFor(
      (state) => {
        if (state === "ready") return true;
        if (state === "failed" || (state === "stopped" && !this.#life.op)) {
          return this.#lastError ?? errors.notReady(this.name, "onReady", state);
        }
        return undefined;
      },
      { ...opts, timeoutMs, what: "ready", changesOnly: true },
    );
  }

  /**
   * The gateway's logs: every line its process writes (stdout, stderr) and every line of
   * OpenClaw's own log file, parsed into `{ seq, gateway, time, level, subsystem?, message,
   * source }` and redacted (the token, and the `logs.redact` patterns). The last
   * `logs.ringSize` records (default 1000) are kept; the output is also written to
   * `<root>/<name>/logs/output.log`, rotated at `logs.maxFileBytes` keeping
   * `logs.keepFiles` files (OpenClaw rotates its own file by its `logging.maxFileBytes`).
   * First the kept records (`tail`: the newest n; `since`: after that `seq`, a `gap` record
   * when some are gone), then with `follow` new ones as they come, across in-place
   * restarts, crash restarts and adoption, until `signal` aborts or the loop breaks. A slow
   * reader is a cursor, not a queue: it never blocks the host.
   *
   * @example
   * ```ts
   * for await (const r of gateway.logs({ tail: 100, follow: true, signal: AbortSignal.timeout(60_000) })) {
   *   console.log(r.time, r.level, r.subsystem ?? r.source, r.message);
   * }
   * ```
   */
  logs(query?: LogsQuery): AsyncIterableIterator<LogRecord, undefined> {
    return this.#logs.logs(query);
  }

  /**
   * This gateway's records of the host's event stream (`host.events()`): the same
   * `{ seq, time, gateway, type, data }` records and `seq` numbers, resumable with `since`
   * while the host's replay ring still holds them (else one `gap` record first).
   *
   * @example
   * ```ts
   * const ac = new AbortController();
   * for await (const r of gateway.events({ types: ["state"], signal: ac.signal })) {
   *   if (r.type === "state" && r.data.to === "failed") ac.abort();
   * }
   * ```
   */
  events(options?: Omit<EventsOptions, "gateways">): AsyncIterableIterator<EventRecord> {
    const o = parseEventsOptions(options, this.name);
    const types = o.types ? new Set(o.types) : undefined;
    const name = this.name;
    return this.#deps.journal.follow(o, (r) => r.gateway === name && (!types || types.has(r.type)));
  }

  /**
   * A redacted bundle for a failing test or a support request: the snapshot, this
   * gateway's recent records of the event stream, the latest output lines, the last exit
   * with its output tail, the config with every secret-looking value replaced, the
   * process tree (pid, ppid, state letter, command name, RSS, CPU) and the versions in
   * play. JSON-safe; the token never appears in it. Reads the config file and the tree's
   * `/proc` entries off the event loop.
   *
   * @example
   * ```ts
   * afterEach(async (ctx) => {
   *   if (ctx.task.result?.state === "fail") console.log(JSON.stringify(await gateway.diagnostics(), null, 2));
   * });
   * ```
   */
  async diagnostics(): Promise<GatewayDiagnostics> {
    const runtime = this.#deps.runtime();
    const run = this.#run && !this.#run.exit ? this.#run : undefined;
    const config = await this.#config.read().then(
      (c) => redactConfig(c) as Record<string, unknown>,
      (err: unknown) => ({ error: isClawhostError(err) ? err.code : String(err) }),
    );
    const diagnostics: GatewayDiagnostics = {
      generatedAt: new Date().toISOString(),
      gateway: this.name,
      versions: {
        clawhost: await clawhostVersion(),
        openclaw: runtime.openclawVersion,
        gatewayReported: this.version,
        node: runtime.nodeVersion,
        hostNode: process.versions.node,
      },
      snapshot: this.snapshot(),
      recentEvents: this.#deps.journal.since(0).filter((r) => r.gateway === this.name).slice(-DIAGNOSTIC_EVENTS),
      output: run ? run.tail() : (this.#lastExit?.outputTail ?? []),
      logTail: this.#logs.recent(DIAGNOSTIC_LOG_RECORDS),
      lastExit: this.#lastExit,
      config,
      processTree: run ? await describeTree(run.proc.alive()) : [],
    };
    // The token and the `logs.redact` patterns, in every string of the bundle (config values under harmless keys too).
    return this.#logs.redactValue(redactJson(jsonSafe(diagnostics) as GatewayDiagnostics, this.#token)) as GatewayDiagnostics;
  }

  /**
   * JSON-safe view: state, pid, bootId, ports, paths, restarts, resources, last exit;
   * the token and secret-looking env values redacted.
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
      state: this.#life.state,
      pid: this.pid,
      bootId: this.bootId,
      version: this.version,
      ports: this.context.ports,
      context: this.context.toJSON(),
      startedAt: this.#startedAt?.toISOString(),
      readyAt: this.#readyAt?.toISOString(),
      readyMs: this.#readyMs,
      uptimeMs: this.#life.state === "ready" && this.#readyAt ? Date.now() - this.#readyAt.getTime() : undefined,
      restarts: this.#supervisor.restarts,
      restartsTotal: this.#restartsTotal,
      health: this.#liveness?.last,
      configHash: this.#config.hash,
      configWrites: { ...this.#config.counts },
      rpcErrors: this.#rpcErrors,
      outlive: this.supervision.outlive,
      adopted: this.#adopted,
      resources: this.resources,
      survivors: [...this.#survivors],
      lastExit: this.#lastExit ? (lastExit as Omit<GatewayExitInfo, "outputTail">) : undefined,
      lastError: this.#lastError ? redactJson(this.#lastError.toJSON(), this.#token) : undefined,
    };
  }

  /**
   * Stop the gateway within `timeoutMs` (default: the host's `stopTimeoutMs` + 10 s).
   * Never throws and never hangs: what it could not end is in the report's `problems`
   * and in a `DISPOSE_INCOMPLETE` warning, so `await using` is always safe.
   *
   * @example
   * ```ts
   * const { problems } = await gateway.dispose({ timeoutMs: 5_000 });
   * ```
   */
  async dispose(opts: DisposeOptions = {}): Promise<DisposeReport> {
    const report: DisposeReport = { stopped: [], released: [], problems: [] };
    const fallback = this.#deps.stopTimeoutMs + STOP_EXTRA_MS + DISPOSE_EXTRA_MS;
    const parsed = timeoutMsSchema.safeParse(opts?.timeoutMs ?? fallback);
    if (!parsed.success) report.problems.push({ gateway: this.name, code: "CLAWHOST_INVALID_OPTIONS", message: `${this.name}: dispose timeoutMs ${String(opts?.timeoutMs)} is not a duration; the default was used.` });
    const totalMs = parsed.success ? parsed.data : fallback;
    const graceMs = Math.max(0, Math.min(this.#deps.stopTimeoutMs, totalMs - STOP_EXTRA_MS));
    const outcome = await within(this.stop({ timeoutMs: graceMs }), totalMs);
    if (outcome === "timeout") report.problems.push(deadlineProblem(this.name, `still ${this.state} at the dispose's deadline; its processes die with this host process (watchdog).`));
    else if (!outcome.ok) report.problems.push(problemOf(this.name, outcome.error));
    else report.stopped.push(this.name);
    if (report.problems.length > 0) {
      this.emit("warning", {
        code: "DISPOSE_INCOMPLETE",
        message: `${this.name}: dispose could not end everything: ${report.problems.map((p) => p.message).join("; ")}`,
        details: { problems: report.problems },
      });
    }
    return report;
  }

  /** {@link Gateway.dispose} with its defaults: never throws. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** @internal The host marks removed gateways unusable; resolves once their log files are closed (never rejects). */
  markDisposed(): Promise<void> {
    this.#disposed = true;
    this.#supervisor.cancel();
    this.#config.unwatch();
    return this.#logs.close();
  }

  /**
   * @internal Host disposal with `outlive`: stop watching a ready gateway and leave it
   * running for the next host to adopt. Returns false when there was nothing to hand over.
   */
  release(): boolean {
    const run = this.#run;
    if (!run || !run.proc.outlive || this.#life.state !== "ready" || this.#life.op) return false;
    this.#liveness?.stop();
    this.#supervisor.cancel();
    run.request("stopped");
    run.retire();
    run.proc.release();
    this.#run = undefined;
    this.#life.set("stopped");
    return true;
  }

  // ---- operations (each runs under the lifecycle's operation lock) -------------------

  /** One start: prepare, launch (doctor and one retry on exit 78), ready. */
  async #start(opts: OperationOptions, opSignal: AbortSignal, supervised: boolean): Promise<void> {
    const state = this.#life.state;
    if (state === "ready") return;
    if (state === "restarting") return this.onReady({ timeoutMs: opts.timeoutMs ?? this.#deps.readyTimeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (this.#recovering) await this.#recovering;
    if (this.#life.state === "unhealthy") {
      // Its tree is being ended (a bounded kill): the policy's verdict comes within that.
      await this.#life.waitFor((s) => (s === "unhealthy" ? undefined : true), { what: "recovered", timeoutMs: UNHEALTHY_GRACE_MS + STOP_EXTRA_MS + this.#deps.stopTimeoutMs });
    }
    if (!supervised) this.#supervisor.reset();
    else if (this.#life.state !== "backoff") return;
    this.#supervisor.cancel();
    const signal = opts.signal ? AbortSignal.any([opSignal, opts.signal]) : opSignal;
    const timeoutMs = opts.timeoutMs ?? this.#deps.readyTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    this.#lastError = undefined;
    this.#life.set("starting");
    this.#startedAt = new Date();
    const env = this.#launchEnv();
    try {
      this.#token = await prepare(env);
      // Before the process can print anything: the token is redacted from its first line.
      this.#logs.setSecrets([this.#token]);
      await this.#logs.open();
      let launched: Launched;
      try {
        launched = await launch(env, this.#token, deadline, signal);
      } catch (err) {
        if (!this.#exitedWith("config-invalid") || !this.supervision.doctor || signal.aborted) throw err;
        launched = await this.#doctorAndRetry(env, deadline, signal);
      }
      await this.#becomeReady(launched);
    } catch (err) {
      const error = signal.aborted ? errors.aborted(this.name, "start", signal.reason, err) : this.#startError(err, timeoutMs);
      const run = this.#run;
      if (run) {
        const why = isClawhostError(err, "CLAWHOST_READINESS_TIMEOUT") ? "start-timeout" : "stopped";
        this.#forget(run, await endRun(run, why, this.#deps.stopTimeoutMs, this.#deps.stopTimeoutMs + STOP_EXTRA_MS));
      }
      const reason = isClawhostError(err, "CLAWHOST_GATEWAY_EXITED") && run?.exit ? run.exit.reason : "start-failed";
      // A stop that interrupted this start finishes the state itself.
      if (this.#life.state !== "stopping") {
        this.#lastError = error;
        if (signal.aborted) this.#life.set("stopped");
        else if (supervised) this.#afterFailure(reason, undefined, error);
        else this.#life.set("failed");
      }
      throw error;
    }
  }

  /** Exit 78: `openclaw doctor --fix` once, then one more launch. */
  async #doctorAndRetry(env: LaunchEnv, deadline: number, signal: AbortSignal): Promise<Launched> {
    const first = this.#run;
    if (first) await endRun(first, "stopped", this.#deps.stopTimeoutMs, this.#deps.stopTimeoutMs + STOP_EXTRA_MS);
    const token = this.#token!;
    const doctor = await this.#deps.doctor(this.#deps.runtime(), this.context, token, (l) => redactSecret(l, token));
    this.emit("warning", {
      code: "DOCTOR_RAN",
      message: `${this.name}: exit 78 (config); ran \`openclaw doctor --fix\` (exit ${doctor.code}), retrying once.`,
      details: { doctorExit: doctor.code, doctorOutput: doctor.output, gatewayOutput: first?.tail() ?? [] },
    });
    signal.throwIfAborted();
    try {
      return await launch(env, token, deadline, signal);
    } catch (err) {
      if (!this.#exitedWith("config-invalid")) throw err;
      throw errors.configInvalid(this.context, this.#lastExit?.outputTail ?? [], doctor, err);
    }
  }

  async #stop(opts: OperationOptions): Promise<void> {
    const graceMs = opts.timeoutMs ?? this.#deps.stopTimeoutMs;
    const deadlineMs = graceMs + STOP_EXTRA_MS;
    this.#supervisor.cancel();
    this.#liveness?.stop();
    if (this.#recovering) await this.#recovering;
    const run = this.#run;
    if (!run) {
      if (this.#life.state !== "stopped") this.#life.set("stopped");
      return;
    }
    this.#life.set("stopping");
    const report = await endRun(run, "stopped", graceMs, deadlineMs, opts.signal);
    if (report.survivors.length > 0) {
      this.#survivors = report.survivors;
      this.#lastError = errors.survivorsLeft(this.name, report.survivors, deadlineMs);
      this.#life.set("failed");
      throw this.#lastError;
    }
    this.#forget(run, report);
    await removeRunRecord(this.context.runFile);
    const busy = await waitForPortsFree(this.context, this.#deps.ports, opts.signal);
    if (busy.length > 0) {
      this.emit("warning", {
        code: "PORT_STILL_BOUND",
        message: `${this.name}: stopped, but port ${busy.join(", ")} is bound by another process.`,
        ports: busy,
        details: { holders: this.#deps.ports.holders(busy) },
      });
    }
    this.#life.set("stopped");
    if (opts.signal?.aborted) throw errors.aborted(this.name, "the graceful stop", opts.signal.reason);
  }

  async #restartInPlace(opts: OperationOptions): Promise<void> {
    const run = this.#run!;
    const way = await inPlaceRestartWay(this.name, run);
    // The look at /proc took a turn: a stop or an exit may have come first.
    if (this.#run !== run || this.#life.state !== "ready") throw errors.illegalState(this.name, "restart in place", this.#life.state, "an in-place restart needs a ready gateway; use restart() without inPlace, or start() first.");
    const oldBoot = this.bootId;
    const asking = new AbortController();
    const waiting = this.#life.waitFor(
      (state) => {
        if (state === "ready") return this.bootId !== oldBoot ? true : undefined;
        if (state === "restarting") return undefined;
        return this.#lastError ?? errors.notReady(this.name, "restart", state);
      },
      {
        timeoutMs: opts.timeoutMs ?? this.#deps.readyTimeoutMs,
        signal: opts.signal ? AbortSignal.any([opts.signal, asking.signal]) : asking.signal,
        what: "ready after an in-place restart",
      },
    );
    try {
      await askInPlaceRestart(run, way, (method, params) => this.call(method, params));
    } catch (err) {
      asking.abort();
      await waiting.catch(() => undefined);
      throw err;
    }
    await waiting;
  }

  // ---- a run's life: ready, events, exit ---------------------------------------------

  #launchEnv(): LaunchEnv {
    return {
      ctx: this.context,
      deps: this.#deps,
      config: this.#config,
      warn: (w) => this.emit("warning", w),
      line: (stream, raw, run) => {
        const { record, line: redacted } = this.#logs.ingestLine(stream, raw);
        const line = run ? run.line(stream, redacted) : redacted;
        const event: GatewayLogLine = record
          ? { stream, line, seq: record.seq, level: record.level, time: record.time, message: record.message }
          : { stream, line, seq: undefined, level: stream === "stderr" ? "error" : "info", time: new Date().toISOString(), message: line };
        if (record?.subsystem !== undefined) event.subsystem = record.subsystem;
        this.emit("log", event);
      },
      spawned: (run) => {
        this.#run = run;
        this.#adopted = run.proc.adopted;
        void run.proc.exited.then((info) => this.#onExit(run, info));
      },
    };
  }

  async #becomeReady({ run, conn, readyMs, via }: Launched): Promise<void> {
    this.#attach(run, conn);
    run.everReady = true;
    run.readySince = performance.now();
    await recordRun(this.context, run);
    if (run.exit) throw errors.exitedDuringStart(this.name, run.exit);
    // A stop may have begun while the record was written: it ends this run.
    if (this.#life.state !== "starting" && this.#life.state !== "restarting") throw errors.aborted(this.name, "start", run.signal.reason);
    this.#readyMs = readyMs;
    this.#readyAt = new Date();
    this.#life.set("ready");
    this.emit("ready", { pid: run.pid, bootId: conn.hello.server.bootId, version: conn.hello.server.version, readyMs, via });
    this.#liveness?.watch(
      (timeoutMs) => this.#probe(run, timeoutMs),
      (u) => this.#declareUnhealthy(run, u.missed, u.lastOkAt, u.reason),
    );
  }

  /** Make `conn` the run's connection and follow its pushed events. */
  #attach(run: Run, conn: Connection): void {
    run.attach(conn);
    conn.on("event", (frame) => {
      if (this.#run !== run || run.conn !== conn) return;
      this.emit("event", frame);
      const payload = frame.payload as { restartExpectedMs?: unknown } | undefined;
      if (frame.event === "shutdown" && typeof payload?.restartExpectedMs === "number") this.#onRestartAnnounced(run, conn);
    });
  }

  /** One liveness probe: a ping on the open connection, or reopening it when it dropped. */
  async #probe(run: Run, timeoutMs: number): Promise<boolean> {
    if (this.#run !== run || this.#life.state !== "ready") return true;
    const conn = run.conn;
    if (conn && !conn.closed) return conn.ping(timeoutMs);
    try {
      const next = await this.#deps.readiness({ port: this.context.ports.gateway, token: this.#token!, gateway: this.name, deadline: Date.now() + timeoutMs, signal: run.signal });
      if (this.#run !== run) next.close();
      else this.#attach(run, next);
      return true;
    } catch {
      return false;
    }
  }

  /** The gateway announced `shutdown` with `restartExpectedMs`: not a crash; follow it to the new bootId. */
  #onRestartAnnounced(run: Run, conn: Connection): void {
    if (this.#life.state !== "ready") return;
    this.#liveness?.stop();
    this.#life.set("restarting");
    const t0 = performance.now();
    const deadline = Date.now() + this.#deps.readyTimeoutMs;
    followInPlaceRestart(this.context, this.#deps, run, this.#token!, conn.hello.server.bootId, deadline).then(
      (next) => {
        if (this.#run !== run || this.#life.state !== "restarting") return next.close();
        void this.#becomeReady({ run, conn: next, readyMs: Math.round(performance.now() - t0), via: "in-place-restart" }).catch(() => undefined);
      },
      () => {
        if (this.#run !== run || this.#life.state !== "restarting" || run.exit) return;
        this.#declareUnhealthy(run, 0, undefined, `no hello-ok with a new bootId within ${this.#deps.readyTimeoutMs} ms of an in-place restart`);
      },
    );
  }

  /** A hung gateway: report, end its tree, and let the exit go to the policy. */
  #declareUnhealthy(run: Run, missed: number, lastOkAt: Date | undefined, reason: string): void {
    if (this.#run !== run || (this.#life.state !== "ready" && this.#life.state !== "restarting")) return;
    this.#liveness?.stop();
    run.request("unhealthy");
    this.#life.set("unhealthy");
    this.emit("unhealthy", { pid: run.pid, missed, lastOkAt: lastOkAt?.toISOString(), reason: `${this.name}: ${reason}` });
    void run.proc.terminate({ graceMs: UNHEALTHY_GRACE_MS });
  }

  #onExit(run: Run, info: ExitInfo): void {
    const { exit, error } = explainExit(this.context, run, info, this.#deps.ports);
    run.exitError = error;
    this.#lastExit = exit;
    if (exit.reason !== "stopped" && exit.reason !== "start-timeout") void removeRunRecord(this.context.runFile);
    this.emit("exit", exit);
    // Starts and stops handle the ends they cause or wait for; the rest is the policy's.
    if (this.#run !== run || !run.everReady || run.requested === "stopped" || this.#life.state === "stopping" || this.#life.state === "starting") return;
    this.#liveness?.stop();
    this.#recovering = endRun(run, "stopped", this.#deps.stopTimeoutMs, this.#deps.stopTimeoutMs + STOP_EXTRA_MS)
      .then((report) => this.#forget(run, report))
      .finally(() => {
        this.#recovering = undefined;
      });
    this.#afterFailure(exit.reason, exit.uptimeMs, error);
  }

  /** The policy's turn after an unexpected end: back off and restart, or stay down. */
  #afterFailure(reason: ExitReason | "start-failed", uptimeMs: number | undefined, error: ClawhostError): void {
    const verdict = this.#supervisor.decide(reason, uptimeMs, error, this.#lastExit);
    this.#lastError = verdict.error;
    this.#life.set(verdict.to);
    if (verdict.to !== "backoff") return;
    this.#restartsTotal++;
    this.emit("backoff", verdict.backoff);
    this.#supervisor.schedule(verdict.backoff.delayMs, () => void this.#restartFromBackoff());
  }

  async #restartFromBackoff(): Promise<void> {
    // The failed start that scheduled this may still be unwinding; a user's stop or restart decides itself.
    const op = this.#life.op;
    if (op && op.kind !== "start") return;
    if (op) await op.promise.catch(() => undefined);
    if (this.#life.state !== "backoff" || this.#life.op || this.#disposed) return;
    await this.#life.run("start", (signal) => this.#start({}, signal, true)).catch(() => undefined);
  }

  // ---- small helpers ---------------------------------------------------------------

  /** A run whose tree is gone is forgotten; one with survivors stays, so a later stop() retries. */
  #forget(run: Run, report: KillReport): void {
    this.#survivors = report.survivors;
    if (report.survivors.length === 0 && this.#run === run) this.#run = undefined;
  }

  #assertUsable(): void {
    if (this.#disposed) throw errors.disposed(this.name);
  }

  #exitedWith(reason: ExitReason): boolean {
    return this.#lastExit?.phase === "starting" && this.#lastExit.reason === reason && this.#run?.exit !== undefined;
  }

  #startError(err: unknown, timeoutMs: number): ClawhostError {
    const run = this.#run;
    if (isClawhostError(err, "CLAWHOST_READINESS_TIMEOUT")) return errors.readinessTimeout(this.name, timeoutMs, run?.tail() ?? [], err);
    // The holder found when it exited names the cause better than the exit itself.
    const reason = run?.exit?.reason;
    if (run?.exitError && (reason === "state-dir-in-use" || reason === "port-conflict")) return run.exitError;
    return errors.startFailed(this.name, err, run?.tail() ?? []);
  }

  /**
   * Where config writes go now: the running gateway, the file (no live process: nothing
   * else writes it), or wait for the next state (a process that is booting, restarting
   * or being stopped).
   */
  #configMode(): "live" | "file" | "wait" {
    const state = this.#life.state;
    if (state === "ready") return "live";
    if (state === "restarting") return "wait";
    return this.#run && !this.#run.exit ? "wait" : "file";
  }
}

function redactJson<T>(value: T, secret: string | undefined): T {
  if (!secret) return value;
  return JSON.parse(redactSecret(JSON.stringify(value), secret)) as T;
}
