import { rmSync } from "node:fs";
import { join } from "node:path";
import { ClawhostError, GatewayHost, isClawhostError } from "../index.js";
import type { Gateway, GatewaySpec } from "../index.js";
import { formatDiagnostics } from "./diagnostics.js";
import { normalizePoolOptions } from "./options.js";
import { addAndStart } from "./start.js";
import type { NormalizedPoolOptions, PoolOptions } from "./options.js";
import { openTestRun, workerRootName } from "./run.js";
import type { TestRun } from "./run.js";
import { defaultSpares, workerId, workerPorts } from "./worker.js";

/** A gateway booting or ready ahead of the test that will get it. */
interface Slot {
  name: string;
  gateway: Gateway | undefined;
  ready: boolean;
  booted: Promise<Gateway>;
}

/** Options of {@link GatewayPool.acquire}. */
export interface AcquireOptions {
  /** Give up waiting (the gateway being booted for this call is stopped). */
  signal?: AbortSignal;
}

/** What a pool did so far (for reports and tests; JSON-safe). */
export interface PoolStats {
  /** Gateways booted, spares and on-demand ones. */
  booted: number;
  /** `acquire()` calls answered with a spare that was already ready. */
  hits: number;
  /** `acquire()` calls that waited for a boot. */
  misses: number;
  /** Gateways in tests right now. */
  inUse: number;
  /** Spares booting or ready right now. */
  spares: number;
}

function aborted(signal: AbortSignal): ClawhostError {
  return new ClawhostError("CLAWHOST_ABORTED", "pool: acquire() was aborted before a gateway was ready.", {
    fix: "nothing to do; the gateway booted for this call is stopped.",
    cause: signal.reason,
  });
}

/**
 * Gateways for tests: each `acquire()` gives a fresh, isolated, ready gateway to one
 * caller; `release()` stops and removes it (a used gateway is never handed out again).
 * `spares` gateways boot ahead, so a test that asks while one is ready gets it at once
 * and the next boots meanwhile. A gateway being stopped counts against the spares, so at
 * most `spares` + (gateways in use) run at once. Everything lives in the run's temp dir.
 *
 * @example
 * ```ts
 * await using pool = createGatewayPool({ spares: 2 });
 * const gw = await pool.acquire();
 * try { await gw.call("health", {}); } finally { await pool.release(gw); }
 * ```
 */
export class GatewayPool {
  readonly #opts: NormalizedPoolOptions;
  readonly #spares: number;
  readonly #run: TestRun;
  readonly #root: string;
  readonly #host: GatewayHost;
  readonly #ahead: Slot[] = [];
  readonly #inUse = new Set<Gateway>();
  readonly #pending = new Set<Promise<void>>();
  readonly #failures: unknown[] = [];
  #stopping = 0;
  #seq = 0;
  #hits = 0;
  #misses = 0;
  #shared: Promise<Gateway> | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link createGatewayPool}. */
  constructor(options: PoolOptions, run: TestRun = openTestRun()) {
    this.#opts = normalizePoolOptions(options);
    this.#spares = this.#opts.spares ?? defaultSpares();
    this.#run = run;
    const id = workerId();
    this.#root = join(this.#opts.root ?? run.dir, workerRootName(id));
    try {
      this.#host = new GatewayHost({
        root: this.#root,
        leaseDir: run.leaseDir,
        ports: this.#opts.ports ?? workerPorts(id),
        readyTimeoutMs: this.#opts.readyTimeoutMs,
        ...(this.#opts.openclaw ? { openclaw: this.#opts.openclaw } : {}),
      });
    } catch (err) {
      void run.close();
      throw err;
    }
    this.#refill();
  }

  /** The worker's root (removed by {@link close}). */
  get root(): string {
    return this.#root;
  }

  /**
   * The lease registry of the pool's gateways (the run's): a host of your own given it as
   * `leaseDir` sees their ports and directories as taken.
   *
   * @example
   * ```ts
   * const neighbour = new GatewayHost({ root, leaseDir: pool.leaseDir });
   * ```
   */
  get leaseDir(): string {
    return this.#run.leaseDir;
  }

  /** The host the pool's gateways belong to (events, snapshots, metrics). */
  get host(): GatewayHost {
    return this.#host;
  }

  /**
   * What the pool did so far.
   *
   * @example
   * ```ts
   * pool.stats; // { booted: 5, hits: 3, misses: 1, inUse: 1, spares: 2 }
   * ```
   */
  get stats(): PoolStats {
    return { booted: this.#seq, hits: this.#hits, misses: this.#misses, inUse: this.#inUse.size, spares: this.#ahead.length };
  }

  /**
   * A fresh, ready gateway for the caller alone: a ready spare at once, else the spare that
   * will be ready first, else one booted now. Give it back with {@link release}.
   *
   * @example
   * ```ts
   * const gw = await pool.acquire({ signal: AbortSignal.timeout(60_000) });
   * ```
   */
  async acquire(opts: AcquireOptions = {}): Promise<Gateway> {
    this.#assertOpen("acquire");
    // A spare's "ready" event comes before its start() settles: the state is what counts.
    const isReady = (s: Slot): boolean => s.ready || s.gateway?.state === "ready";
    const readyAt = this.#ahead.findIndex(isReady);
    const slot = readyAt >= 0 ? this.#ahead.splice(readyAt, 1)[0]! : (this.#ahead.shift() ?? this.#boot());
    if (isReady(slot)) this.#hits++;
    else this.#misses++;
    this.#refill();
    let gateway: Gateway;
    try {
      gateway = await this.#race(slot.booted, opts.signal);
    } catch (err) {
      // The diagnostics first: the discard removes the gateway they are read from.
      const error = await this.#bootError(slot, err);
      this.#discard(slot);
      throw error;
    }
    this.#inUse.add(gateway);
    return gateway;
  }

  /**
   * Stop and remove a gateway `acquire()` gave out; its slot boots a new spare once it is
   * gone. Never throws for the stop itself: a failed stop is reported by {@link close}.
   *
   * @example
   * ```ts
   * await pool.release(gw);
   * ```
   */
  release(gateway: Gateway): Promise<void> {
    if (!this.#inUse.delete(gateway)) {
      return Promise.reject(
        new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `${String(gateway?.name)}: release() got a gateway this pool did not give out, or one already released.`, {
          value: gateway?.name,
          fix: "release each gateway from acquire() once.",
        }),
      );
    }
    return this.#remove(gateway.name);
  }

  /**
   * The worker's shared gateway: booted on first use, kept until {@link close}; for tests
   * that only need "a gateway" and leave it as they found it.
   *
   * @example
   * ```ts
   * const gw = await pool.shared();
   * ```
   */
  shared(): Promise<Gateway> {
    this.#assertOpen("shared");
    if (!this.#shared) {
      const slot = this.#boot("shared");
      this.#shared = slot.booted.catch(async (err: unknown) => {
        this.#shared = undefined;
        const error = await this.#bootError(slot, err);
        this.#discard(slot);
        throw error;
      });
    }
    return this.#shared;
  }

  /**
   * The failure context of a gateway as text: state, last exit, log tail, recent events,
   * redacted config. Never throws (a gateway already gone says so).
   *
   * @example
   * ```ts
   * if (failed) console.error(await pool.describe(gw));
   * ```
   */
  async describe(gateway: Gateway): Promise<string> {
    try {
      return formatDiagnostics(await gateway.diagnostics());
    } catch (err) {
      return `── clawhost diagnostics: gateway ${gateway.name}: unavailable (${(err as Error).message}) ──`;
    }
  }

  /**
   * Stop every gateway, remove the worker's root (and the run dir when this process owns
   * it); waits for releases still stopping. Idempotent. Rejects, after cleaning up, when a
   * gateway could not be stopped.
   *
   * @example
   * ```ts
   * afterAll(() => pool.close());
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    // Spares still booting are ended by the dispose (a stop preempts a start).
    const report = await this.#host.dispose();
    await Promise.allSettled(this.#ahead.map((s) => s.booted));
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    rmSync(this.#root, { recursive: true, force: true });
    await this.#run.close();
    const problems = [...this.#failures, ...report.problems];
    if (problems.length > 0) {
      throw new ClawhostError("CLAWHOST_STOP_TIMEOUT", `pool: ${problems.length} gateway(s) could not be stopped cleanly.`, {
        value: problems.map((p) => String((p as { message?: string }).message ?? JSON.stringify(p))),
        fix: "see details.problems; the processes named there were sent SIGKILL.",
        details: { problems: JSON.parse(JSON.stringify(problems, (_k, v: unknown) => (v instanceof Error ? v.message : v))) as unknown },
      });
    }
  }

  #assertOpen(what: string): void {
    if (this.#closing) {
      throw new ClawhostError("CLAWHOST_HOST_DISPOSED", `pool: ${what}() after close().`, { fix: "create a new pool with createGatewayPool()." });
    }
  }

  #boot(name = `g${this.#seq + 1}`): Slot {
    this.#seq++;
    const spec = { ...(this.#opts.spec as Omit<GatewaySpec, "name">), name };
    const slot: Slot = { name, gateway: undefined, ready: false, booted: Promise.resolve() as unknown as Promise<Gateway> };
    slot.booted = (async () => {
      const gateway = await addAndStart(this.#host, spec, (added) => {
        slot.gateway = added;
        slot.name = added.name;
      });
      slot.ready = true;
      return gateway;
    })();
    // A spare nobody waits for yet must not fail the process.
    slot.booted.catch(() => {});
    return slot;
  }

  #refill(): void {
    if (this.#closing) return;
    // Failed spares are dropped, not replaced at once, so a broken spec fails one test at a time.
    while (this.#ahead.length + this.#stopping < this.#spares) this.#ahead.push(this.#boot());
  }

  async #race(booted: Promise<Gateway>, signal: AbortSignal | undefined): Promise<Gateway> {
    if (!signal) return booted;
    if (signal.aborted) throw aborted(signal);
    return new Promise<Gateway>((resolve, reject) => {
      const onAbort = (): void => reject(aborted(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      booted.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  async #bootError(slot: Slot, err: unknown): Promise<unknown> {
    if (!slot.gateway || (isClawhostError(err) && err.code === "CLAWHOST_ABORTED")) return err;
    const text = await this.describe(slot.gateway);
    const code = isClawhostError(err) ? err.code : "CLAWHOST_START_FAILED";
    return new ClawhostError(code, `${slot.name}: the pool's gateway did not become ready: ${(err as Error).message}\n${text}`, {
      gateway: slot.name,
      fix: "read the log tail and last exit above; check the pool's spec and openclaw options.",
      cause: err,
    });
  }

  #discard(slot: Slot): void {
    // Tracked from now on: close() must not remove the run dir under a stop still to come.
    const done: Promise<void> = slot.booted
      .then(
        () => this.#remove(slot.name),
        () => (slot.gateway ? this.#remove(slot.name) : undefined),
      )
      .finally(() => this.#pending.delete(done));
    this.#pending.add(done);
  }

  #remove(name: string): Promise<void> {
    this.#stopping++;
    const done = this.#host
      .remove(name)
      .catch((err: unknown) => {
        // After close() the host's dispose has ended it already.
        if (this.#closing && (isClawhostError(err, "CLAWHOST_HOST_DISPOSED") || isClawhostError(err, "CLAWHOST_UNKNOWN_GATEWAY"))) return;
        this.#failures.push(err);
      })
      .finally(() => {
        this.#stopping--;
        this.#pending.delete(done);
        this.#refill();
      });
    this.#pending.add(done);
    return done;
  }
}

/**
 * A pool of isolated gateways for one test worker; see {@link GatewayPool}. Spares start
 * booting at once. The pool joins the run of `$CLAWHOST_TESTING_RUN_DIR` (set by the
 * runner's global setup) or makes its own.
 *
 * @example
 * ```ts
 * import { createGatewayPool } from "clawhost/testing";
 * const pool = createGatewayPool({ openclaw: { bin: "/path/to/openclaw" }, spares: 1 });
 * const gw = await pool.acquire();
 * await gw.call("health", {});
 * await pool.release(gw);
 * await pool.close();
 * ```
 */
export function createGatewayPool(options: PoolOptions = {}): GatewayPool {
  return new GatewayPool(options);
}
