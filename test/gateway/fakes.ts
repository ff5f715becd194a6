// Scripted seams for the state machine's unit tests: no process, no socket, no real time.
import { EventEmitter } from "eventemitter3";
import type { Gateway, GatewayState } from "clawhost";
import { ClawhostError } from "../../src/errors.js";
import type { Clock, Scheduler } from "../../src/gateway/clock.js";
import type { GatewayDeps, PortProber } from "../../src/gateway/deps.js";
import type { ExitInfo, GatewayProcess, SpawnRequest, Spawner } from "../../src/process/spawn.js";
import type { KillReport, Survivor } from "../../src/process/tree.js";
import type { Connection, GatewayEventFrame, HelloOk } from "../../src/rpc/connection.js";
import type { WaitForHelloOptions } from "../../src/readiness/handshake.js";

/** Let promise chains and setImmediate callbacks run (no real time passes). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Resolves once the gateway is in `to` (at once when it already is). */
export function nextState(gw: Gateway, to: GatewayState): Promise<void> {
  return new Promise((resolve) => {
    if (gw.state === to) return resolve();
    const on = (c: { to: GatewayState }): void => {
      if (c.to === to) {
        gw.off("state", on);
        resolve();
      }
    };
    gw.on("state", on);
  });
}

/** A clock whose timers fire only when the test advances it. */
export class FakeClock implements Clock {
  #now = 1_000_000;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.#timers.delete(h as number);
  }
  get pending(): number {
    return this.#timers.size;
  }
  /** Move time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = end;
  }
}

/** Periodic work the test fires by hand. */
export class FakeScheduler implements Scheduler {
  readonly jobs = new Set<() => void>();
  every(_ms: number, fn: () => void): () => void {
    this.jobs.add(fn);
    return () => this.jobs.delete(fn);
  }
  fire(): void {
    for (const fn of [...this.jobs]) fn();
  }
}

let bootSeq = 0;

/** The RPC OpenClaw restarts in place with. */
const RESTART_METHOD = "gateway.restart.request";

/** A protocol connection to a fake process. */
export class FakeConnection extends EventEmitter<{ event: [GatewayEventFrame]; close: [{ code: number; reason: string }] }> implements Connection {
  readonly hello: HelloOk;
  closed = false;
  pong = true;
  /** Methods requested on it, with their params. */
  readonly requests: Array<{ method: string; params: unknown }> = [];
  constructor(
    readonly proc: FakeProcess,
    bootId: string,
    methods: readonly string[],
  ) {
    super();
    this.hello = { type: "hello-ok", server: { version: "0.0.0-unit", bootId }, snapshot: { stateDir: proc.stateDir }, features: { methods: [...methods] } };
  }
  async request(method: string, params?: unknown): Promise<unknown> {
    if (this.closed) throw new ClawhostError("CLAWHOST_CONNECTION_CLOSED", `${method}: closed`);
    this.requests.push({ method, params });
    if (method === RESTART_METHOD) {
      // Like OpenClaw: the answer first, then the restart on a later turn.
      setImmediate(() => this.proc.onRestart?.());
      return { ok: true, status: "scheduled", restart: { ok: true, pid: this.proc.pid, delayMs: 0, coalesced: false } };
    }
    return { ok: true, method };
  }
  async ping(): Promise<boolean> {
    return !this.closed && this.pong && !this.proc.exitInfo;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit("close", { code: 1000, reason: "closed" });
  }
  push(event: string, payload?: unknown): void {
    this.emit("event", { event, payload });
  }
}

/** What a fake process does when readiness is awaited. */
export type Boot = { kind: "ready" } | { kind: "exit"; code: number } | { kind: "never" } | { kind: "manual" };

/** One scripted gateway process. */
export class FakeProcess implements GatewayProcess {
  readonly identity: { pid: number; startTime: number };
  readonly outlive = false;
  readonly adopted = false;
  readonly runId = "unit";
  readonly exited: Promise<ExitInfo>;
  readonly signals: NodeJS.Signals[] = [];
  /** Signals it handles itself (its SigCgt); SIGUSR2 unless a test says otherwise. */
  readonly caught = new Set<NodeJS.Signals>(["SIGUSR2"]);
  exitInfo: ExitInfo | undefined;
  released = false;
  bootId = `boot-${++bootSeq}`;
  /** Survivors a terminate() reports (processes that outlive SIGKILL). */
  survivors: Survivor[] = [];
  #resolveExit!: (i: ExitInfo) => void;
  readonly #exitWatchers = new Set<() => void>();
  readonly #readyWatchers = new Set<() => void>();
  ready = false;

  constructor(
    readonly pid: number,
    readonly stateDir: string,
    public boot: Boot,
  ) {
    this.identity = { pid, startTime: pid * 10 };
    this.exited = new Promise((r) => (this.#resolveExit = r));
  }

  alive() {
    return this.exitInfo ? [] : [this.identity];
  }
  sample() {
    return this.exitInfo ? undefined : { alive: [this.identity], stopped: [], rssBytes: 40 << 20, cpuMs: 100, cpuPercent: 2.5, at: performance.now() };
  }
  signal(sig: NodeJS.Signals): void {
    this.signals.push(sig);
    // A signal it does not handle kills it (the default action of SIGUSR2).
    if (!this.caught.has(sig)) this.exit(null, sig);
    else if (sig === "SIGUSR2") this.onRestart?.();
  }
  async catches(sig: NodeJS.Signals): Promise<boolean> {
    return !this.exitInfo && this.caught.has(sig);
  }
  /** Its in-place restart, run on SIGUSR2 (when caught) or `gateway.restart.request`. */
  onRestart: (() => void) | undefined;

  async terminate(opts: { graceMs: number; signal?: AbortSignal | undefined }): Promise<KillReport> {
    this.signals.push(opts.signal?.aborted ? "SIGKILL" : "SIGTERM");
    if (this.survivors.length > 0) return { escalated: true, survivors: this.survivors };
    this.exit(null, opts.signal?.aborted ? "SIGKILL" : "SIGTERM");
    return { escalated: false, survivors: [] };
  }
  release(): void {
    this.released = true;
  }

  /** End the process (once). Watchers run after the gateway's own exit handler. */
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exitInfo) return;
    this.exitInfo = { pid: this.pid, code, signal };
    this.#resolveExit(this.exitInfo);
    setImmediate(() => {
      for (const fn of [...this.#exitWatchers]) fn();
    });
  }
  /** Become ready (for `manual` boots, or a new boot after an in-place restart). */
  becomeReady(): void {
    this.ready = true;
    for (const fn of [...this.#readyWatchers]) fn();
  }
  watchExit(fn: () => void): () => void {
    this.#exitWatchers.add(fn);
    return () => this.#exitWatchers.delete(fn);
  }
  watchReady(fn: () => void): () => void {
    this.#readyWatchers.add(fn);
    return () => this.#readyWatchers.delete(fn);
  }
}

/** Spawner, readiness, ports and doctor, scripted together. */
export class FakeWorld {
  readonly clock = new FakeClock();
  readonly scheduler = new FakeScheduler();
  readonly procs: FakeProcess[] = [];
  readonly conns: FakeConnection[] = [];
  /** Boots of the next spawns, in order; afterwards `defaultBoot`. */
  boots: Boot[] = [];
  defaultBoot: Boot = { kind: "ready" };
  busyPorts: number[] = [];
  /** What the hello-ok of every new connection lists as methods. */
  methods: string[] = ["health", "config.get", "config.patch", RESTART_METHOD];
  doctorRuns = 0;
  /** Readiness waits that are still pending, by process: the test can time them out. */
  readonly #waiting = new Map<FakeProcess, (err: unknown) => void>();
  #pid = 50_000;
  stateDir = "";

  get last(): FakeProcess {
    return this.procs.at(-1)!;
  }

  /** `proc`'s next in-place restart is announced, but its new boot never answers (until the test says). */
  stallInPlaceRestart(proc = this.last): FakeProcess {
    proc.onRestart = () => {
      this.conns.filter((c) => c.proc === proc && !c.closed).at(-1)?.push("shutdown", { reason: "gateway restarting", restartExpectedMs: 1500 });
      proc.boot = { kind: "manual" };
      proc.ready = false;
    };
    return proc;
  }

  /** Resolves once a readiness wait is pending (for `proc`, or any). */
  async waiting(proc?: FakeProcess): Promise<FakeProcess> {
    for (;;) {
      const found = [...this.#waiting.keys()].find((p) => proc === undefined || p === proc);
      if (found) return found;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Time out the pending readiness wait (as its deadline passing would). */
  timeOut(proc = this.last): void {
    this.#waiting.get(proc)?.(new ClawhostError("CLAWHOST_READINESS_TIMEOUT", "no hello-ok before the readiness deadline."));
  }

  spawner: Spawner = {
    spawn: (req: SpawnRequest) => {
      this.stateDir = req.ctx.stateDir;
      const proc = new FakeProcess(++this.#pid, req.ctx.stateDir, this.boots.shift() ?? this.defaultBoot);
      this.procs.push(proc);
      proc.onRestart = () => {
        // OpenClaw's in-place restart: announce, drop the connection, come back with a new boot.
        const conn = this.conns.filter((c) => c.proc === proc && !c.closed).at(-1);
        conn?.push("shutdown", { reason: "gateway restarting", restartExpectedMs: 1500 });
        conn?.close();
        proc.bootId = `boot-${++bootSeq}`;
      };
      if (proc.boot.kind === "exit") {
        const code = proc.boot.code;
        setImmediate(() => proc.exit(code));
      }
      return proc;
    },
    adopt: () => {
      throw new Error("adopt is not scripted");
    },
  };

  readiness = (opts: WaitForHelloOptions): Promise<Connection> => {
    const proc = this.procs.filter((p) => !p.exitInfo).at(-1) ?? this.last;
    return new Promise<Connection>((resolve, reject) => {
      const cleanups: Array<() => void> = [];
      const done = (err: unknown, conn?: Connection): void => {
        for (const c of cleanups) c();
        this.#waiting.delete(proc);
        if (err) reject(err);
        else resolve(conn!);
      };
      const check = (): boolean => {
        try {
          opts.check?.();
        } catch (err) {
          done(err);
          return true;
        }
        return false;
      };
      const connect = (): void => {
        const conn = new FakeConnection(proc, proc.bootId, this.methods);
        this.conns.push(conn);
        done(undefined, conn);
      };
      if (proc.exitInfo && check()) return;
      if (opts.signal.aborted) return done(new ClawhostError("CLAWHOST_ABORTED", "aborted"));
      const onAbort = (): void => done(new ClawhostError("CLAWHOST_ABORTED", "aborted", { cause: opts.signal.reason }));
      opts.signal.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => opts.signal.removeEventListener("abort", onAbort));
      cleanups.push(proc.watchExit(() => void check()));
      this.#waiting.set(proc, (err) => done(err));
      if (proc.boot.kind === "ready" || proc.ready) return connect();
      cleanups.push(proc.watchReady(connect));
    });
  };

  ports: PortProber = {
    busy: async (ports) => ports.filter((p) => this.busyPorts.includes(p)),
    holders: (ports) => ports.map((port) => ({ port, pid: this.busyPorts.includes(port) ? 4242 : undefined, command: "other" })),
    listening: async () => [],
  };

  /** The seams a GatewayHost takes (its internal second argument). */
  seams(): Partial<GatewayDeps> {
    return {
      clock: this.clock,
      random: () => 0.5,
      ticker: this.scheduler,
      spawner: this.spawner,
      readiness: this.readiness,
      ports: this.ports,
      validator: () => async () => [],
      doctor: async () => {
        this.doctorRuns += 1;
        return { code: 0, output: ["fixed nothing"], timedOut: false };
      },
    };
  }
}
