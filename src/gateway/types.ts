import type { ConfigChange, ConfigWriteCounts } from "../config/store.js";
import type { HealthResult } from "./liveness.js";
import type { PortBlock } from "../ports/block.js";
import type { ExitReason } from "../process/exit.js";
import type { ExitInfo } from "../process/spawn.js";
import type { Survivor } from "../process/tree.js";
import type { GatewayEventFrame } from "../rpc/connection.js";
import type { LivenessOptions, RestartPolicy } from "../context/supervision.js";
import type { GapData, StreamRecord } from "../observe/types.js";
import type { TreeProcess } from "../observe/diagnostics.js";
import type { LogLevel, LogRecord } from "../observe/logs/types.js";

/**
 * Lifecycle state of a gateway (drawn in docs/lifecycle.md; legal moves in
 * `gateway/lifecycle.ts`).
 *
 * - `stopped`: no process. `start()` leaves it.
 * - `starting`: spawned (or being adopted), waiting for `hello-ok`.
 * - `ready`: answered `hello-ok`; liveness is probed.
 * - `restarting`: the gateway announced an in-place restart (`restart({ inPlace: true })`,
 *   its own restart signal, or a config change it applies by restarting); same process,
 *   waiting for the new `bootId`.
 * - `unhealthy`: liveness probes failed; the tree is being ended, then policy decides.
 * - `backoff`: waiting to restart after an unexpected end.
 * - `stopping`: clawhost is ending the tree.
 * - `failed`: down and not restarted (policy, budget, a cause a restart cannot fix, or
 *   processes that survived a stop); `lastError` says why. `start()` leaves it.
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

/**
 * Payload of the `log` event: one line of the gateway process's stdout or stderr (in
 * outlive and adopted mode both arrive as `stdout`), redacted (the token and the `logs.redact`
 * patterns), with what clawhost parsed from it. OpenClaw's own log file is in
 * `gateway.logs()` only.
 */
export interface GatewayLogLine {
  stream: "stdout" | "stderr";
  /** The whole line, redacted. */
  line: string;
  /** Its record in `gateway.logs()` (undefined for a blank line, which is not kept). */
  seq: number | undefined;
  level: LogLevel;
  time: string;
  subsystem?: string;
  /** The text without timestamp, subsystem tag and colour codes. */
  message: string;
}

/** Payload of the `warning` event: something worth knowing that does not stop the gateway. */
export interface GatewayWarning {
  /**
   * - `CDP_PORTS_BUSY`: ports of the CDP range are held by other processes (`ports`).
   * - `DOCTOR_RAN`: the gateway exited 78; `openclaw doctor --fix` ran once before a retry.
   * - `ORPHAN_ENDED`: a gateway process left behind by an earlier host was ended.
   * - `STALE_LOCKS_REMOVED`: OpenClaw state-dir locks of dead processes were removed.
   * - `BOOT_CHANGED`: an adopted gateway had restarted in place since it was recorded.
   * - `PORT_STILL_BOUND`: after a stop, another process holds a port of the block (`ports`).
   * - `DISPOSE_INCOMPLETE`: `dispose()` could not end everything within its deadline (`details.problems`).
   * - `LOGS_UNAVAILABLE`: the output log could not be written or OpenClaw's log file not followed
   *   (`details.code`, `details.path`; once per kind); the gateway and `logs()` go on.
   */
  code: "CDP_PORTS_BUSY" | "DOCTOR_RAN" | "ORPHAN_ENDED" | "STALE_LOCKS_REMOVED" | "BOOT_CHANGED" | "PORT_STILL_BOUND" | "DISPOSE_INCOMPLETE" | "LOGS_UNAVAILABLE";
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

/**
 * Payload of the host's `warning` event.
 *
 * - `LEASES_CORRUPT`: the lease registry did not parse; it was kept aside (`details.movedTo`)
 *   and rebuilt from its valid entries and the live leases of this process.
 * - `DISPOSE_INCOMPLETE`: `dispose()` could not end everything within its deadline (`details.problems`).
 *
 * @example
 * ```ts
 * host.on("warning", (w) => console.warn(w.code, w.message));
 * ```
 */
export interface HostWarning {
  code: "LEASES_CORRUPT" | "DISPOSE_INCOMPLETE";
  message: string;
  details?: Record<string, unknown>;
}

/**
 * The payload of each record type of the event stream (`host.events()`,
 * `gateway.events()`): the same payloads as the emitter events of the same name.
 */
export interface EventDataMap {
  /** A gateway was registered (`host.add()`); its port block. */
  added: { ports: { start: number; end: number } };
  /** A gateway was removed from the host. */
  removed: Record<string, never>;
  state: GatewayStateChange;
  ready: GatewayReadyInfo;
  exit: GatewayExitInfo;
  backoff: GatewayBackoffInfo;
  unhealthy: GatewayUnhealthyInfo;
  /** A gateway's warning, or (with `gateway: null`) the host's own. */
  warning: GatewayWarning | HostWarning;
  config: ConfigChange;
  "lease-moved": { from: number; to: number; reason: string };
  log: GatewayLogLine;
  /** Records this consumer missed: they left the replay ring before it read them. */
  gap: GapData;
}

/**
 * One record of the event stream, discriminated by `type`.
 *
 * @example
 * ```ts
 * for await (const r of host.events({ since: 0 })) {
 *   if (r.type === "exit") console.log(r.gateway, r.data.reason);
 *   if (r.type === "gap") console.warn(`missed ${r.data.missed} records`);
 * }
 * ```
 */
export type EventRecord = StreamRecord<EventDataMap>;

/** A record type of the event stream. */
export type EventType = EventRecord["type"];

/** Options of every long operation. */
export interface OperationOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Options of `dispose()` on a host or a gateway. */
export interface DisposeOptions {
  /**
   * The whole dispose's deadline (default: the host's `stopTimeoutMs` + 10 s). What is
   * not ended by then is reported, never waited for longer.
   */
  timeoutMs?: number;
}

/** One thing `dispose()` could not do. */
export interface DisposeProblem {
  /** The gateway concerned, when there is one. */
  gateway: string | undefined;
  /** The error code (`CLAWHOST_STOP_TIMEOUT`, `CLAWHOST_FS_ERROR`, ...) or `DISPOSE_DEADLINE`. */
  code: string;
  message: string;
}

/**
 * What `dispose()` did. It never throws: what it could not do is listed in `problems`
 * (and emitted as a `DISPOSE_INCOMPLETE` warning).
 *
 * @example
 * ```ts
 * const report = await host.dispose({ timeoutMs: 10_000 });
 * for (const p of report.problems) console.warn(p.gateway, p.code, p.message);
 * ```
 */
export interface DisposeReport {
  /** Gateways that ended (or had nothing running). */
  stopped: string[];
  /** Ready gateways with `outlive`, left running for the next host to adopt. */
  released: string[];
  /** What could not be done within the deadline. */
  problems: DisposeProblem[];
}

/** Options of `gateway.restart()`. */
export interface RestartOptions extends OperationOptions {
  /**
   * Restart inside the same process (OpenClaw's own restart, asked for over
   * `gateway.restart.request`, or with SIGUSR2 where the gateway lists no such method but
   * handles the signal): same pid, new `bootId`, ~2-3 s instead of a full boot. It does not
   * wait for the gateway's active work. Needs a `ready` gateway.
   */
  inPlace?: boolean;
}

/** Resource use of a gateway's whole process tree, from the host's process sampler. */
export interface GatewayResources {
  /** Resident memory of every live member of the tree, bytes. */
  rssBytes: number;
  /** CPU time of the live members since they started, ms. */
  cpuMs: number;
  /** CPU use between the sampler's last two samples, % of one core (undefined until a second sample). */
  cpuPercent: number | undefined;
  /** When the sample was taken (ISO 8601): every 5 s while the fleet is settled, every 1 s after a spawn. */
  sampledAt: string;
  /** Live members of the tree (the gateway, its broker, workers, terminals...). */
  processes: number;
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
  /** Since the current process became ready (undefined when not ready). */
  uptimeMs: number | undefined;
  /** Restarts by the policy since the last explicit start. */
  restarts: number;
  /** Restarts by the policy since the gateway was added (never reset). */
  restartsTotal: number;
  /** The latest liveness ping (undefined with liveness off, or before the first). */
  health: HealthResult | undefined;
  /** sha256 of the config file as clawhost last read or wrote it. */
  configHash: string | undefined;
  /** Config updates settled since the gateway was added, by outcome. */
  configWrites: ConfigWriteCounts;
  /** `call()`s that failed since the gateway was added (gateway errors, timeouts, closed connections). */
  rpcErrors: number;
  /** Started to outlive its host (and adoptable by the next one). */
  outlive: boolean;
  /** Taken over from an earlier host rather than spawned by this one. */
  adopted: boolean;
  /** The tree's memory and CPU at the last sample (undefined without a process). */
  resources: GatewayResources | undefined;
  /** Processes that outlived a stop (pid, state letter, command name); empty normally. */
  survivors: Survivor[];
  lastExit: Omit<GatewayExitInfo, "outputTail"> | undefined;
  lastError: Record<string, unknown> | undefined;
}

/** What `gateway.diagnostics()` returns: JSON-safe, secrets redacted. */
export interface GatewayDiagnostics {
  generatedAt: string;
  gateway: string;
  versions: {
    clawhost: string;
    /** The installed OpenClaw clawhost runs. */
    openclaw: string;
    /** What the running gateway reported in hello-ok (undefined when not ready). */
    gatewayReported: string | undefined;
    /** The Node that runs the gateway. */
    node: string;
    /** The Node of the host process. */
    hostNode: string;
  };
  snapshot: GatewaySnapshot;
  /** This gateway's latest records of the event stream (at most 200, oldest first). */
  recentEvents: EventRecord[];
  /** The latest output lines of the running process (or of the last one). */
  output: string[];
  /** The newest records of `gateway.logs()` (at most 200): output and OpenClaw's own log file. */
  logTail: LogRecord[];
  lastExit: GatewayExitInfo | undefined;
  /** The config file, every value under a secret-looking key (token, apiKey, password, auth...) replaced by `[redacted]`; `{ error }` when it cannot be read. */
  config: Record<string, unknown>;
  /** The live processes of the tree. */
  processTree: TreeProcess[];
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
