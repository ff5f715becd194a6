import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, isAbsolute } from "node:path";
import { EventEmitter } from "eventemitter3";
import PQueue from "p-queue";
import { InstanceContext } from "../context/context.js";
import { defaultProfileHome, readProfileLayout } from "../context/profile.js";
import { normalizeGatewaySpec, normalizeHostOptions } from "../context/schema.js";
import type { GatewaySpec, HostOptions, NormalizedHostOptions } from "../context/schema.js";
import type { ConfigChange } from "../config/store.js";
import { ClawhostError } from "../errors.js";
import { DEFAULT_LIVENESS, DEFAULT_RESTART_POLICY } from "../context/supervision.js";
import { Ticker } from "../gateway/clock.js";
import { defaultDeps } from "../gateway/deps.js";
import type { GatewayDeps } from "../gateway/deps.js";
import { Gateway } from "../gateway/gateway.js";
import type {
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
import { LeaseRegistry } from "../ports/leases.js";
import { resolveRuntime } from "../process/runtime.js";
import { isAlive } from "../fs/proc.js";
import { readRunRecord } from "../process/runfile.js";
import type { ResolvedRuntime } from "../process/runtime.js";

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
}

/** JSON-safe view of the whole host, secrets redacted. */
export interface HostSnapshot {
  root: string;
  openclaw: { version: string; entry: string; node: string; nodeVersion: string };
  gateways: GatewaySnapshot[];
}

/** The gateway an earlier host left running for this root and name (to be adopted or ended), if alive. */
async function survivingGatewayPids(runFile: string): Promise<number[]> {
  const rec = await readRunRecord(runFile);
  return rec && isAlive({ pid: rec.pid, startTime: rec.startTime }) ? [rec.pid] : [];
}

function contains(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function claimedPaths(ctx: InstanceContext): Array<[string, string]> {
  return [
    ["dir", ctx.dir],
    ["config dir", ctx.configDir],
    ["state dir", ctx.stateDir],
    ["workspace", ctx.workspace],
  ];
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
  readonly #gateways = new Map<string, Gateway>();
  readonly #adding = new Set<string>();
  readonly #leases: LeaseRegistry;
  readonly #range: { from: number; to: number };
  readonly #compileCacheDir = join(tmpdir(), "node-compile-cache");
  /** One timer per interval for every gateway's periodic work. */
  readonly #ticker = new Ticker();
  /** @internal Seams for the state machine's tests. */
  readonly #seams: Partial<GatewayDeps>;
  #disposed = false;

  constructor(options: HostOptions, /** @internal */ seams: Partial<GatewayDeps> = {}) {
    super();
    this.#opts = normalizeHostOptions(options);
    this.#seams = seams;
    this.#runtime = resolveRuntime({
      bin: this.#opts.openclaw.bin,
      node: this.#opts.openclaw.node,
      searchFrom: this.#opts.openclaw.searchFrom,
    });
    this.#leases = new LeaseRegistry(this.#opts.leaseDir);
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
   * (before anything is spawned or written) a duplicate name, an overlapping port block,
   * a config path, state dir or workspace shared with another gateway, or a block that
   * does not fit below 65536. `context` is complete when it resolves. The host-wide lease
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
    let s = normalizeGatewaySpec(spec);
    if (s.profile) {
      const layout = readProfileLayout(s.name, this.#opts.profileHome ?? defaultProfileHome());
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
    for (const other of others) {
      if (draft.configPath === other.context.configPath) {
        throw this.#pathConflict(draft, other, "config path", draft.configPath);
      }
      for (const [kind, mine] of claimedPaths(draft)) {
        for (const [otherKind, theirs] of claimedPaths(other.context)) {
          if (contains(mine, theirs) || contains(theirs, mine)) {
            throw this.#pathConflict(draft, other, kind === otherKind ? kind : `${kind} / ${otherKind}`, mine);
          }
        }
      }
    }
    // A lease belongs to its root: the root must exist for the lease to live.
    const createdRoot = !existsSync(this.#opts.root);
    if (createdRoot) await mkdir(this.#opts.root, { recursive: true, mode: 0o700 });
    let grant: Awaited<ReturnType<LeaseRegistry["acquire"]>>;
    // Names are claimed before the await, so two concurrent adds of one name cannot both pass.
    this.#adding.add(s.name);
    try {
      grant = await this.#leases.acquire({
        root: this.#opts.root,
        name: s.name,
        requestedBase: s.port,
        range: this.#range,
        ownPids: await survivingGatewayPids(draft.runFile),
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
      });
    } catch (err) {
      if (createdRoot) await rm(this.#opts.root, { recursive: true, force: true });
      throw err;
    } finally {
      this.#adding.delete(s.name);
    }
    this.#assertLive();
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
        ...this.#seams,
        runtime: () => this.#runtime,
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
    gateway.on("state", (c) => this.emit("gateway:state", gateway, c));
    gateway.on("ready", (i) => this.emit("gateway:ready", gateway, i));
    gateway.on("exit", (i) => this.emit("gateway:exit", gateway, i));
    gateway.on("log", (l) => this.emit("gateway:log", gateway, l));
    gateway.on("warning", (w) => this.emit("gateway:warning", gateway, w));
    gateway.on("unhealthy", (u) => this.emit("gateway:unhealthy", gateway, u));
    gateway.on("backoff", (b) => this.emit("gateway:backoff", gateway, b));
    gateway.on("config", (c) => this.emit("gateway:config", gateway, c));
    this.#gateways.set(s.name, gateway);
    this.emit("gateway:added", gateway);
    if (grant.moved) this.emit("gateway:lease-moved", gateway, { from: grant.moved.from, to: grant.base, reason: grant.moved.reason });
    return gateway;
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
    const gateway = this.#gateways.get(name);
    if (!gateway) {
      throw new ClawhostError("CLAWHOST_UNKNOWN_GATEWAY", `no gateway named ${JSON.stringify(name)}.`, { value: name });
    }
    await gateway.stop(opts);
    gateway.markDisposed();
    this.#gateways.delete(name);
    await this.#leases.release(this.#opts.root, name);
    this.emit("gateway:removed", gateway);
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
    const queue = new PQueue({ concurrency: this.#opts.startConcurrency });
    const gateways = this.list();
    const results = await Promise.allSettled(gateways.map((g) => queue.add(() => g.start(opts))));
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
    const results = await Promise.allSettled(this.list().map((g) => g.stop(opts)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
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
      gateways: this.list().map((g) => g.snapshot()),
    };
  }

  /**
   * Stops every gateway (a ready gateway with `outlive` is left running for the next
   * host on this root to adopt); the host refuses further use.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    try {
      const results = await Promise.allSettled(this.list().map((g) => (g.release() ? undefined : g.stop())));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    } finally {
      this.#disposed = true;
      for (const g of this.list()) g.markDisposed();
      // The blocks stay reserved for this root (a new host on it gets them back), unheld.
      await this.#leases.detach(this.#opts.root, this.list().map((g) => g.name));
    }
  }

  #assertLive(): void {
    if (this.#disposed) {
      throw new ClawhostError("CLAWHOST_HOST_DISPOSED", "the host was disposed.", { fix: "create a new GatewayHost." });
    }
  }

  #pathConflict(ctx: InstanceContext, other: Gateway, kind: string, path: string): ClawhostError {
    return new ClawhostError(
      "CLAWHOST_PATH_CONFLICT",
      `${kind} ${path} is shared with gateway ${JSON.stringify(other.name)}; OpenClaw does not detect a shared config path and two gateways would overwrite each other.`,
      { gateway: ctx.name, value: path, fix: "give each gateway its own config path, state dir and workspace (or omit `paths`)." },
    );
  }
}
