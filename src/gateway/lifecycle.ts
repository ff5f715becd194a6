import { ClawhostError } from "../errors.js";
import type { Clock } from "./clock.js";
import type { GatewayState, GatewayStateChange, OperationOptions } from "./types.js";

/**
 * Every legal move of the state machine (docs/lifecycle.md draws it). A move not listed
 * is a bug in clawhost and throws; what users may call in each state is checked by the
 * facade, with typed errors.
 */
export const TRANSITIONS: Readonly<Record<GatewayState, readonly GatewayState[]>> = Object.freeze({
  stopped: ["starting"],
  starting: ["ready", "failed", "backoff", "stopping", "stopped"],
  ready: ["restarting", "unhealthy", "backoff", "failed", "stopped", "stopping"],
  restarting: ["ready", "unhealthy", "backoff", "failed", "stopped", "stopping"],
  unhealthy: ["backoff", "failed", "stopping"],
  backoff: ["starting", "stopped"],
  stopping: ["stopped", "failed"],
  failed: ["starting", "stopping", "stopped"],
});

/** States in which the gateway has (or may have) a process. */
/** Every state, in the order docs/lifecycle.md draws them. */
export const GATEWAY_STATES: readonly GatewayState[] = Object.freeze(Object.keys(TRANSITIONS) as GatewayState[]);

export const PROCESS_STATES: ReadonlySet<GatewayState> = new Set(["starting", "ready", "restarting", "unhealthy", "stopping"]);

/** One operation holding the lock: what it is, how to end it early, and its outcome. */
export interface Operation {
  kind: "start" | "stop" | "restart";
  abort: AbortController;
  promise: Promise<void>;
}

/**
 * The state and the operation lock of one gateway. `start`, `stop` and `restart` each run
 * as one operation; a second caller of the same kind shares it, another kind waits for it
 * (a stop first aborts a start). Waiters settle on state changes, with deadline and
 * abort, never by polling.
 */
export class Lifecycle {
  readonly #name: string;
  readonly #clock: Clock;
  readonly #emit: (change: GatewayStateChange) => void;
  #state: GatewayState = "stopped";
  #op: Operation | undefined;
  readonly #listeners = new Set<(change: GatewayStateChange) => void>();

  constructor(name: string, clock: Clock, emit: (change: GatewayStateChange) => void) {
    this.#name = name;
    this.#clock = clock;
    this.#emit = emit;
  }

  get state(): GatewayState {
    return this.#state;
  }

  /** The operation holding the lock, if any. */
  get op(): Operation | undefined {
    return this.#op;
  }

  /** Move to `to` (no-op when already there); an unlisted move throws. */
  set(to: GatewayState): void {
    const from = this.#state;
    if (from === to) return;
    if (!TRANSITIONS[from].includes(to)) {
      throw new ClawhostError("CLAWHOST_ILLEGAL_STATE", `internal: illegal transition ${from} -> ${to}.`, {
        gateway: this.#name,
        value: { from, to },
        fix: "this is a clawhost bug; please report it with the gateway's events.",
      });
    }
    this.#state = to;
    const change = { from, to };
    for (const fn of [...this.#listeners]) fn(change);
    this.#emit(change);
  }

  /**
   * Run `body` as the operation of `kind`: shares a running one of the same kind, waits
   * for one of another kind. With `preempt` (a stop) it takes the lock at once: the
   * running operation is aborted and `body` runs after it settled, so no operation
   * that was waiting can slip in between.
   */
  async run(kind: Operation["kind"], body: (signal: AbortSignal) => Promise<void>, preempt = false): Promise<void> {
    for (;;) {
      const current = this.#op;
      if (current?.kind === kind) return current.promise;
      if (!current || preempt) break;
      await current.promise.catch(() => undefined);
    }
    const prior = this.#op;
    prior?.abort.abort(
      new ClawhostError("CLAWHOST_ABORTED", `${prior.kind} interrupted by ${kind}.`, {
        gateway: this.#name,
        value: prior.kind,
        fix: `nothing to fix: a ${kind} was asked for and takes over; call ${prior.kind}() again afterwards if it is still wanted.`,
      }),
    );
    const abort = new AbortController();
    const op: Operation = {
      kind,
      abort,
      promise: (async () => {
        if (prior) await prior.promise.catch(() => undefined);
        await body(abort.signal);
      })().finally(() => {
        if (this.#op === op) this.#op = undefined;
      }),
    };
    this.#op = op;
    return op.promise;
  }

  /**
   * Resolve when `settle` says so for the current state (unless `changesOnly`) or on a
   * state change (it returns `true` to resolve, an error to reject, `undefined` to keep
   * waiting), or reject at the deadline or abort.
   */
  waitFor(
    settle: (state: GatewayState) => true | Error | undefined,
    opts: OperationOptions & { what: string; changesOnly?: boolean },
  ): Promise<void> {
    const first = opts.changesOnly ? undefined : settle(this.#state);
    if (first === true) return Promise.resolve();
    if (first instanceof Error) return Promise.reject(first);
    return new Promise((resolve, reject) => {
      let timer: unknown;
      const done = (err?: Error): void => {
        this.#listeners.delete(onChange);
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const onChange = ({ to }: GatewayStateChange): void => {
        const r = settle(to);
        if (r === true) done();
        else if (r instanceof Error) done(r);
      };
      const onAbort = (): void =>
        done(
          new ClawhostError("CLAWHOST_ABORTED", `stopped waiting for ${opts.what}.`, {
            gateway: this.#name,
            value: opts.what,
            fix: "nothing to fix when the abort was meant; the gateway itself carries on.",
            cause: opts.signal?.reason,
          }),
        );
      if (opts.signal?.aborted) return onAbort();
      this.#listeners.add(onChange);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        timer = this.#clock.setTimeout(
          () =>
            done(
              new ClawhostError("CLAWHOST_READINESS_TIMEOUT", `not ${opts.what} within ${opts.timeoutMs} ms (state ${this.#state}).`, {
                gateway: this.#name,
                value: opts.timeoutMs,
                fix: "raise timeoutMs, or read gateway.lastError and the exit events.",
              }),
            ),
          opts.timeoutMs,
        );
      }
    });
  }
}
