import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EventEmitter } from "eventemitter3";
import PQueue from "p-queue";
import { InstanceContext } from "../context/context.js";
import { defaultProfileHome, readProfileLayout } from "../context/profile.js";
import { normalizeGatewaySpec, normalizeHostOptions } from "../context/schema.js";
import type { GatewaySpec, HostOptions, NormalizedGatewaySpec, NormalizedHostOptions } from "../context/schema.js";
import type { ConfigChange } from "../config/store.js";
import { ClawhostError, isClawhostError } from "../errors.js";
import { assertOptionsObject } from "../context/invalid.js";
import { fsError } from "../fs/errors.js";
import { assertUsableDir, assertUsableFile, isInside } from "../fs/safety.js";
import { DEFAULT_LIVENESS, DEFAULT_RESTART_POLICY } from "../context/supervision.js";
import { Ticker } from "../gateway/clock.js";
import { defaultDeps } from "../gateway/deps.js";
import type { GatewayDeps } from "../gateway/deps.js";
import { deadlineProblem, problemOf, within } from "../gateway/dispose.js";
import { alreadyAborted } from "../gateway/errors.js";
import { Gateway } from "../gateway/gateway.js";
import { parseOperationOptions, timeoutMsSchema } from "../gateway/options.js";
import { EventJournal, parseEventsOptions } from "../observe/events.js";
import { renderMetrics } from "../observe/metrics.js";
import { normalizeLogsOptions } from "../observe/logs/options.js";
import { GATEWAY_STATES } from "../gateway/lifecycle.js";
import type { EventsOptions } from "../observe/types.js";
import type {
  DisposeOptions,
  EventDataMap,
  EventRecord,
  GatewayEvents,
  HostWarning,
  DisposeReport,
  GatewayBackoffInfo,
  GatewayUnhealthyInfo,
  GatewayExitInfo,
  GatewayLogLine,
  GatewayReadyInfo,
  GatewaySnapshot,
  GatewayStateChange,
  GatewayWarning,
  OperationOptions,
} from "../gateway/types.js";
import { defaultPortRange } from "../ports/allocator.js";
import { defaultLeaseDir, LeaseRegistry } from "../ports/leases.js";
import { resolveRuntime } from "../process/runtime.js";
import { isAlive } from "../fs/proc.js";
import { readRunRecord } from "../process/runfile.js";
import type { ResolvedRuntime } from "../process/runtime.js";

/** Gateway events the host fans in (and journals) under `gateway:<type>`. */
const FANNED_IN = ["state", "ready", "exit", "log", "warning", "unhealthy", "backoff", "config"] as const satisfies ReadonlyArray<keyof GatewayEvents>;

/** Typed events of a {@link GatewayHost}: every gateway's events, fanned in. */
export interface HostEvents {
  "gateway:added": [gateway: Gateway];
  "gateway:removed": [gateway: Gateway];
  "gateway:state": [gateway: Gateway, change: GatewayStateChange];
  "gateway:ready": [gateway: Gateway, info: GatewayReadyInfo];
  "gateway:exit": [gateway: Gateway, info: GatewayExitInfo];
  "gateway:log": [gateway: Gateway, line: GatewayLogLine];
  "gateway:warning": [gateway: Gateway, warning: GatewayWarning];
  "gateway:unhealthy": [gateway: Gateway, info: GatewayUnhealthyInfo];
  "gateway:backoff": [gateway: Gateway, info: GatewayBackoffInfo];
  /** A gateway's config file changed, through `updateConfig` or by anyone else. */
  "gateway:config": [gateway: Gateway, change: ConfigChange];
  /** A gateway's leased block could not be kept (its old ports are held by another process). */
  "gateway:lease-moved": [gateway: Gateway, move: { from: number; to: number; reason: string }];
  /** Something of the host worth knowing that refused nothing (a corrupt lease registry rebuilt, a dispose that could not end everything). */
  warning: [warning: HostWarning];
}


/** JSON-safe view of the whole host, secrets redacted. */
export interface HostSnapshot {
  root: string;
  openclaw: { version: string; entry: string; node: string; nodeVersion: string };
  /** The event stream's last `seq` when this was taken: `host.events({ since: seq })` continues from here. */
  seq: number;
  gateways: GatewaySnapshot[];
}

/** The gateway an earlier host left running for this root and name (to be adopted or ended), if alive. */
async function survivingGatewayPids(runFile: string): Promise<number[]> {
  const rec = await readRunRecord(runFile);
  return rec && isAlive({ pid: rec.pid, startTime: rec.startTime }) ? [rec.pid] : [];
}

/** Beyond the stops' own deadlines: what a dispose waits at most for leases and stragglers. */
const DISPOSE_EXTRA_MS = 10_000;
/** What a gateway's stop takes beyond its grace at most (orphans, SIGKILL settling): see gateway.ts. */
const STOP_SETTLE_MS = 5_000;

function nameOf(spec: unknown): string | undefined {
  const name = (spec as { name?: unknown } | null | undefined)?.name;
  return typeof name === "string" ? name : undefined;
}

function claimedPaths(ctx: InstanceContext): Array<[string, string]> {
  return [
    ["dir", ctx.dir],
    ["config dir", ctx.configDir],
    ["state dir", ctx.stateDir],
    ["workspace", ctx.workspace],
  ];
}

let pendingSeams: Partial<GatewayDeps> | undefined;

/**
 * A host whose gateways use the given seams (clock, spawner, port prober, readiness,
 * doctor, validator) instead of the real ones: the state machine's unit tests. @internal
 */
export function hostWithSeams(options: HostOptions, seams: Partial<GatewayDeps>): GatewayHost {
  pendingSeams = seams;
  try {
    return new GatewayHost(options);
  } finally {
    pendingSeams = undefined;
  }
}

/**
 * The fleet: a registry of isolated OpenClaw gateways on this host, each spawned,
 * readied and stopped by clawhost. Finds `openclaw` and a Node that satisfies its
 * engines on construction. Disposing the host stops every gateway.
 *
 * @example
 * ```ts
 * import { GatewayHost } from "clawhost";
 * await using host = new GatewayHost({ root: "/var/lib/app/gateways" });
 * const main = host.add({ name: "main" });
 * const rescue = host.add({ name: "rescue" });
 * await host.startAll();
 * console.log(await rescue.call("health", {}));
 * ```
 */
export class GatewayHost extends EventEmitter<HostEvents> {
  readonly #opts: NormalizedHostOptions;
  readonly #runtime: ResolvedRuntime;
  /** The gateways' `runtime` dependency: one function for all of them (see #fanIn). */
  readonly #runtimeOf = (): ResolvedRuntime => this.#runtime;
  readonly #gateways = new Map<string, Gateway>();
  readonly #adding = new Set<string>();
  readonly #leases: LeaseRegistry;
  readonly #range: { from: number; to: number };
  readonly #compileCacheDir = join(tmpdir(), "node-compile-cache");
  /** One timer per interval for every gateway's periodic work. */
  readonly #ticker = new Ticker();
  /** @internal Seams for the state machine's tests. */
  readonly #seams: Partial<GatewayDeps>;
  /** Every event of the host and its gateways, numbered, with the last `events.replay` kept. */
  readonly #journal: EventJournal<EventDataMap>;
  #disposed = false;
  #disposing: Promise<DisposeReport> | undefined;

  constructor(options: HostOptions) {
    super();
    this.#opts = normalizeHostOptions(options);
    this.#seams = pendingSeams ?? {};
    pendingSeams = undefined;
    // Both are checked before anything is created: a root under /proc makes `mkdir -p` spin.
    assertUsableDir(this.#opts.root, { what: "root" });
    const leaseDir = this.#opts.leaseDir ?? defaultLeaseDir();
    assertUsableDir(leaseDir, { what: this.#opts.leaseDir ? "leaseDir" : "default lease dir" }, { private: true });
    this.#runtime = resolveRuntime({
      bin: this.#opts.openclaw.bin,
      node: this.#opts.openclaw.node,
      searchFrom: this.#opts.openclaw.searchFrom,
    });
    this.#journal = new EventJournal<EventDataMap>(this.#opts.events.replay);
    normalizeLogsOptions(this.#opts.logs);
    this.#leases = new LeaseRegistry(leaseDir, { onWarning: (w) => this.#warn(w) });
    this.#range = this.#opts.ports ?? defaultPortRange();
  }

  /** Absolute root directory of this host. */
  get root(): string {
    return this.#opts.root;
  }

  /** The OpenClaw executable and Node runtime in use. */
  get runtime(): Readonly<ResolvedRuntime> {
    return this.#runtime;
  }

  /**
   * Register a gateway: validate the spec, fix its port block and paths, and refuse
   * (before anything is spawned or written, and without taking a lease) a duplicate name,
   * an overlapping port block, a config path, state dir or workspace shared with another
   * gateway (of this host or of any lease in the registry), a path in a system location,
   * a file where a directory belongs (or the reverse), an existing directory clawhost would
   * have to chmod or chown, a spec value clawhost would override, or a block that does not
   * fit below 65536. `context` is complete when it resolves. The host-wide lease
   * registry's lock is waited for asynchronously (`timeoutMs`, default 10000), so a lock
   * held by another process never blocks this event loop.
   *
   * @example
   * ```ts
   * const rescue = await host.add({ name: "rescue", port: 19789 });
   * rescue.context.ports.cdp; // { start: 19800, end: 19899 }
   * ```
   */
  async add(spec: GatewaySpec, opts: OperationOptions = {}): Promise<Gateway> {
    this.#assertLive();
    assertOptionsObject(spec, "add() needs a gateway spec object", 'pass a spec such as { name: "main" }.');
    const op = parseOperationOptions(opts, "add options", nameOf(spec));
    let s = normalizeGatewaySpec(spec);
    const logs = normalizeLogsOptions(s.logs === undefined ? this.#opts.logs : { ...this.#opts.logs, ...s.logs }, s.name);
    if (op.signal?.aborted) throw alreadyAborted(s.name, "add", op.signal.reason);
    if (s.profile) {
      const layout = readProfileLayout(s.name, this.#opts.profileHome ?? defaultProfileHome());
      if (s.port !== undefined && layout.portSource === "config" && s.port !== layout.port) {
        throw new ClawhostError(
          "CLAWHOST_INVALID_OPTIONS",
          `port ${s.port} differs from gateway.port ${layout.port} in the profile's config ${layout.configPath}; clawhost would override the profile's port.`,
          { gateway: s.name, value: { port: s.port, "gateway.port": layout.port }, fix: `omit \`port\` (the profile's ${layout.port} is used), or change gateway.port in ${layout.configPath}.` },
        );
      }
      s = { ...s, port: s.port ?? layout.port, paths: { configPath: layout.configPath, stateDir: layout.stateDir, workspace: layout.workspace } };
    }
    if (this.#gateways.has(s.name) || this.#adding.has(s.name)) {
      throw new ClawhostError("CLAWHOST_DUPLICATE_NAME", `a gateway named ${JSON.stringify(s.name)} is already registered.`, {
        gateway: s.name,
        value: s.name,
        fix: "pick another name, or host.get(name) to reuse the existing one.",
      });
    }
    const others = [...this.#gateways.values()];
    const contextFor = (basePort: number): InstanceContext =>
      new InstanceContext({ root: this.#opts.root, spec: s, basePort, parentEnv: process.env, compileCacheDir: this.#compileCacheDir });
    const draft = contextFor(s.port ?? this.#range.from);
    // Every pair of paths of every two gateways, O(N²) over a fleet's adds: index loops, no destructuring (both allocate).
    const claims = claimedPaths(draft);
    for (const other of others) {
      if (draft.configPath === other.context.configPath) {
        throw this.#pathConflict(draft, other, "config path", draft.configPath);
      }
      const theirClaims = claimedPaths(other.context);
      for (let i = 0; i < claims.length; i++) {
        const claim = claims[i]!;
        for (let j = 0; j < theirClaims.length; j++) {
          const theirClaim = theirClaims[j]!;
          const mine = claim[1];
          const theirs = theirClaim[1];
          if (isInside(mine, theirs) || isInside(theirs, mine)) {
            const kind = claim[0] === theirClaim[0] ? claim[0] : `${claim[0]} / ${theirClaim[0]}`;
            throw this.#pathConflict(draft, other, kind, mine);
          }
        }
      }
    }
    this.#assertPathsUsable(draft, s);
    // A lease belongs to its root: the root must exist for the lease to live.
    let createdRoot: string | undefined;
    if (!existsSync(this.#opts.root)) {
      try {
        // The first directory mkdir made: a refused add removes all it made, parents included.
        createdRoot = await mkdir(this.#opts.root, { recursive: true, mode: 0o700 });
      } catch (err) {
        throw fsError(err, this.#opts.root, "creating the root", s.name);
      }
    }
    let grant: Awaited<ReturnType<LeaseRegistry["acquire"]>>;
    const outside = [draft.configDir, draft.stateDir, draft.workspace].filter((p) => !isInside(draft.dir, p));
    // Names are claimed before the await, so two concurrent adds of one name cannot both pass.
    this.#adding.add(s.name);
    try {
      grant = await this.#leases.acquire({
        root: this.#opts.root,
        name: s.name,
        requestedBase: s.port,
        range: this.#range,
        ownPids: await survivingGatewayPids(draft.runFile),
        claims: claimedPaths(draft).map(([, p]) => p),
        paths: [...new Set(outside)],
        signal: op.signal,
        timeoutMs: op.timeoutMs,
      });
      // Disposed while the lease was being taken: give it back, so a refused add holds nothing.
      if (this.#disposed) {
        await this.#leases.release(this.#opts.root, s.name).catch(() => undefined);
        this.#assertLive();
      }
    } catch (err) {
      if (createdRoot !== undefined) await rm(createdRoot, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    } finally {
      this.#adding.delete(s.name);
    }
    const ctx = contextFor(grant.base);
    const o = this.#opts;
    const liveness = s.liveness === false || (s.liveness === undefined && o.liveness === false) ? false : {
      ...DEFAULT_LIVENESS,
      ...(o.liveness === false ? {} : o.liveness),
      ...(s.liveness === undefined ? {} : s.liveness),
    };
    const gateway = new Gateway(
      ctx,
      defaultDeps({
        ticker: this.#ticker,
        journal: this.#journal,
        logs,
        ...this.#seams,
        runtime: this.#runtimeOf,
        readyTimeoutMs: o.readyTimeoutMs,
        stopTimeoutMs: o.stopTimeoutMs,
        supervision: {
          restart: { ...DEFAULT_RESTART_POLICY, ...o.restart, ...s.restart },
          liveness,
          outlive: s.outlive ?? o.outlive,
          doctor: o.doctor,
        },
      }),
    );
    this.#fanIn(gateway);
    this.#gateways.set(s.name, gateway);
    this.#publish(gateway, "added", { ports: { start: ctx.ports.block.start, end: ctx.ports.block.end } });
    if (grant.moved) this.#publish(gateway, "lease-moved", { from: grant.moved.from, to: grant.base, reason: grant.moved.reason });
    return gateway;
  }

  /**
   * The host's events from this gateway's. Made here, not in `add()`: a listener made
   * there would keep all of `add()`'s scope (the draft context, the spec) as long as the
   * gateway lives.
   */
  #fanIn(gateway: Gateway): void {
    for (const type of FANNED_IN) {
      gateway.on(type, (data: unknown) => this.#publish(gateway, type, data as never));
    }
  }

  /**
   * The gateway of that name, if registered.
   *
   * @example
   * ```ts
   * host.get("main")?.state;
   * ```
   */
  get(name: string): Gateway | undefined {
    return this.#gateways.get(name);
  }

  /**
   * Every registered gateway, in the order added.
   *
   * @example
   * ```ts
   * for (const gw of host.list()) console.log(gw.name, gw.state);
   * ```
   */
  list(): Gateway[] {
    return [...this.#gateways.values()];
  }

  /**
   * Stop a gateway and unregister it, freeing its name, port block and paths.
   *
   * @example
   * ```ts
   * await host.remove("rescue");
   * ```
   */
  async remove(name: string, opts: OperationOptions = {}): Promise<void> {
    if (typeof name !== "string") {
      throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `remove() needs a gateway name (a string), got ${typeof name}.`, {
        value: String(name),
        fix: "pass the name the gateway was added with; host.list() names them all.",
      });
    }
    const op = parseOperationOptions(opts, "remove options", name);
    const gateway = this.#gateways.get(name);
    if (!gateway) {
      throw new ClawhostError("CLAWHOST_UNKNOWN_GATEWAY", `no gateway named ${JSON.stringify(name)}.`, {
        value: name,
        fix: `use one of the registered names (${this.list().map((g) => g.name).join(", ") || "none registered"}).`,
      });
    }
    await gateway.stop(op);
    await gateway.markDisposed();
    this.#gateways.delete(name);
    await this.#leases.release(this.#opts.root, name);
    this.#publish(gateway, "removed", {});
  }

  /**
   * Start every registered gateway, `startConcurrency` at a time; resolves when every
   * one is ready. When any fails, rejects with `CLAWHOST_START_FAILED` listing each
   * failure after the others settled (those that became ready stay running).
   *
   * @example
   * ```ts
   * await host.startAll({ timeoutMs: 90_000 });
   * ```
   */
  async startAll(opts: OperationOptions = {}): Promise<void> {
    this.#assertLive();
    const op = parseOperationOptions(opts, "startAll options");
    if (op.signal?.aborted) throw alreadyAborted(undefined, "startAll", op.signal.reason);
    const queue = new PQueue({ concurrency: this.#opts.startConcurrency });
    const gateways = this.list();
    const results = await Promise.allSettled(gateways.map((g) => queue.add(() => g.start(op))));
    const failures = results.flatMap((r, i) => (r.status === "rejected" ? [{ gateway: gateways[i]!, error: r.reason as unknown }] : []));
    if (failures.length > 0) {
      throw new ClawhostError(
        "CLAWHOST_START_FAILED",
        `${failures.length} of ${gateways.length} gateways failed to start: ${failures
          .map((f) => `${f.gateway.name} (${(f.error as ClawhostError).code ?? "error"})`)
          .join(", ")}.`,
        {
          value: failures.map((f) => f.gateway.name),
          fix: "see details.failures and each error's cause; the others keep running until stopAll().",
          details: {
            failures: failures.map((f) => ({
              gateway: f.gateway.name,
              code: (f.error as ClawhostError).code,
              message: (f.error as Error).message,
            })),
          },
          cause: failures[0]!.error,
        },
      );
    }
  }

  /**
   * Stop every gateway in parallel; resolves when no process of any of them is left.
   *
   * @example
   * ```ts
   * await host.stopAll({ timeoutMs: 10_000 });
   * ```
   */
  async stopAll(opts: OperationOptions = {}): Promise<void> {
    const op = parseOperationOptions(opts, "stopAll options");
    const results = await Promise.allSettled(this.list().map((g) => g.stop(op)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * The host's event stream: every gateway's state changes, readiness, exits, backoffs,
   * unhealthy verdicts, warnings, config changes, lease moves, log lines, and the host's
   * own warnings, as JSON-safe records `{ seq, time, gateway, type, data }` with one
   * increasing `seq` per host. The last `events.replay` records (default 1000) are kept:
   * resume with `since` (the last `seq` you saw) to get what you missed, or one `gap`
   * record saying how much is gone. A consumer is only a cursor into that ring: a slow
   * one never blocks the host or grows its memory. Ends when `signal` aborts or the loop
   * breaks.
   *
   * @example
   * ```ts
   * let last = host.snapshot().seq;
   * for await (const r of host.events({ since: last, types: ["exit", "ready"] })) {
   *   last = r.seq;
   *   console.log(r.gateway, r.type);
   * }
   * ```
   */
  events(options?: EventsOptions): AsyncIterableIterator<EventRecord> {
    const o = parseEventsOptions(options);
    const types = o.types ? new Set(o.types) : undefined;
    const gateways = o.gateways ? new Set(o.gateways) : undefined;
    return this.#journal.follow(o, (r) => (!types || types.has(r.type)) && (!gateways || r.gateway === null || gateways.has(r.gateway)));
  }

  /**
   * Prometheus exposition text (format 0.0.4, content type `METRICS_CONTENT_TYPE`) for
   * this host: per gateway its state, restarts, tree RSS and CPU, ready time, uptime,
   * latest liveness ping, config updates and RPC errors; per host the gateways per state,
   * their summed RSS and the events appended. Built from what the host already holds
   * (no process-table walk); a control plane serves `/metrics` with it in one line.
   *
   * @example
   * ```ts
   * http.createServer(async (req, res) => {
   *   if (req.url === "/metrics") res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE }).end(await host.metrics());
   * });
   * ```
   */
  async metrics(): Promise<string> {
    return renderMetrics({
      states: GATEWAY_STATES,
      eventsTotal: this.#journal.lastSeq,
      gateways: this.list().map((g) => g.snapshot()),
    });
  }

  /**
   * JSON-safe view of the host and every gateway; tokens never appear in it.
   *
   * @example
   * ```ts
   * console.log(JSON.stringify(host.snapshot(), null, 2));
   * ```
   */
  snapshot(): HostSnapshot {
    return {
      root: this.#opts.root,
      openclaw: {
        version: this.#runtime.openclawVersion,
        entry: this.#runtime.entry,
        node: this.#runtime.node,
        nodeVersion: this.#runtime.nodeVersion,
      },
      seq: this.#journal.lastSeq,
      gateways: this.list().map((g) => g.snapshot()),
    };
  }

  /**
   * Stop every gateway (a ready gateway with `outlive` is left running for the next host
   * on this root to adopt), keep their blocks reserved for this root, and refuse further
   * use. Never throws and never hangs: what it cannot end within `timeoutMs` (default
   * `stopTimeoutMs` + 10 s) is listed in the report's `problems` and in a
   * `DISPOSE_INCOMPLETE` warning, so `await using` is always safe. Concurrent calls share
   * one dispose.
   *
   * @example
   * ```ts
   * const { problems } = await host.dispose({ timeoutMs: 20_000 });
   * if (problems.length > 0) console.warn(problems);
   * ```
   */
  dispose(opts: DisposeOptions = {}): Promise<DisposeReport> {
    this.#disposing ??= this.#dispose(opts);
    return this.#disposing;
  }

  /** {@link GatewayHost.dispose} with its defaults: never throws. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async #dispose(opts: DisposeOptions): Promise<DisposeReport> {
    const report: DisposeReport = { stopped: [], released: [], problems: [] };
    const parsed = timeoutMsSchema.safeParse(opts?.timeoutMs ?? this.#opts.stopTimeoutMs + DISPOSE_EXTRA_MS);
    if (!parsed.success) report.problems.push({ gateway: undefined, code: "CLAWHOST_INVALID_OPTIONS", message: `dispose timeoutMs ${String(opts?.timeoutMs)} is not a duration; the default was used.` });
    const deadline = Date.now() + (parsed.success ? parsed.data : this.#opts.stopTimeoutMs + DISPOSE_EXTRA_MS);
    this.#disposed = true;
    const gateways = this.list();
    await Promise.all(
      gateways.map(async (g) => {
        try {
          if (g.release()) return void report.released.push(g.name);
        } catch (err) {
          report.problems.push(problemOf(g.name, err));
        }
        const outcome = await within(g.stop({ timeoutMs: Math.max(0, Math.min(this.#opts.stopTimeoutMs, deadline - Date.now() - STOP_SETTLE_MS)) }), Math.max(0, deadline - Date.now()));
        if (outcome === "timeout") report.problems.push(deadlineProblem(g.name, `still ${g.state} at the dispose's deadline; its processes die with this host process (watchdog).`));
        else if (!outcome.ok) report.problems.push(problemOf(g.name, outcome.error));
        else report.stopped.push(g.name);
      }),
    );
    const closed = await within(Promise.all(gateways.map((g) => g.markDisposed())), Math.max(1_000, deadline - Date.now()));
    if (closed === "timeout") report.problems.push(deadlineProblem(undefined, `the log files of root ${this.#opts.root} were not closed before the deadline.`));
    // The blocks stay reserved for this root (a new host on it gets them back), unheld.
    const detached = await within(this.#leases.detach(this.#opts.root, gateways.map((g) => g.name)), Math.max(1_000, deadline - Date.now()));
    if (detached === "timeout") report.problems.push(deadlineProblem(undefined, `the leases of root ${this.#opts.root} were not marked free before the deadline.`));
    else if (!detached.ok) report.problems.push(problemOf(undefined, detached.error));
    if (report.problems.length > 0) {
      this.#warn({
        code: "DISPOSE_INCOMPLETE",
        message: `dispose of root ${this.#opts.root} could not end everything: ${report.problems.map((p) => `${p.gateway ?? "host"} (${p.code})`).join(", ")}.`,
        details: { problems: report.problems },
      });
    }
    return report;
  }

  /** One gateway event: into the journal first, then to the host's listeners. */
  #publish<T extends (typeof FANNED_IN)[number] | "added" | "removed" | "lease-moved">(gateway: Gateway, type: T, data: EventDataMap[T]): void {
    this.#journal.append(gateway.name, type, data);
    if (type === "added" || type === "removed") (this.emit as (e: string, g: Gateway) => boolean)(`gateway:${type}`, gateway);
    else (this.emit as (e: string, g: Gateway, d: unknown) => boolean)(`gateway:${type}`, gateway, data);
  }

  #warn(warning: HostWarning): void {
    this.#journal.append(null, "warning", warning);
    this.emit("warning", warning);
  }

  #assertLive(): void {
    if (this.#disposed) {
      throw new ClawhostError("CLAWHOST_HOST_DISPOSED", "the host was disposed.", { value: this.#opts.root, fix: "create a new GatewayHost." });
    }
  }

  /**
   * Paths a spec points at must be usable as they are: not a system location, the right
   * kind, and (outside the gateway's own `<root>/<name>`) an existing directory must be
   * one clawhost can use without changing its mode or owner.
   */
  #assertPathsUsable(ctx: InstanceContext, s: NormalizedGatewaySpec): void {
    assertUsableDir(this.#opts.root, { what: "root", gateway: ctx.name });
    assertUsableDir(ctx.dir, { what: "gateway dir", gateway: ctx.name }, { own: true });
    const label = (field: "configPath" | "stateDir" | "workspace", fallback: string): string =>
      s.profile ? `profile ${fallback}` : s.paths[field] !== undefined ? `paths.${field}` : fallback;
    const wsLabel = s.paths.workspace === undefined && ctx.workspace !== join(ctx.dir, "workspace") ? "config agents.defaults.workspace" : label("workspace", "workspace");
    assertUsableFile(ctx.configPath, { what: label("configPath", "config path"), gateway: ctx.name }, { own: isInside(ctx.dir, ctx.configDir), private: true });
    assertUsableDir(ctx.stateDir, { what: label("stateDir", "state dir"), gateway: ctx.name }, { own: isInside(ctx.dir, ctx.stateDir), private: true });
    assertUsableDir(resolve(ctx.workspace), { what: wsLabel, gateway: ctx.name }, { own: isInside(ctx.dir, ctx.workspace) });
  }

  #pathConflict(ctx: InstanceContext, other: Gateway, kind: string, path: string): ClawhostError {
    return new ClawhostError(
      "CLAWHOST_PATH_CONFLICT",
      `${kind} ${path} is shared with gateway ${JSON.stringify(other.name)}; OpenClaw does not detect a shared config path and two gateways would overwrite each other.`,
      { gateway: ctx.name, value: path, fix: "give each gateway its own config path, state dir and workspace (or omit `paths`)." },
    );
  }
}
