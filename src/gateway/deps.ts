import type { InstanceContext } from "../context/context.js";
import type { ConfigValidator } from "../config/schema.js";
import { openClawValidator } from "../config/schema.js";
import { findPortHolders, listeningPorts, readListeningPorts } from "../ports/holders.js";
import type { PortHolder } from "../ports/holders.js";
import { findBusyPorts } from "../ports/probe.js";
import { runDoctor } from "../process/doctor.js";
import type { DoctorResult } from "../process/doctor.js";
import type { ResolvedRuntime } from "../process/runtime.js";
import { processSpawner } from "../process/spawn.js";
import type { Spawner } from "../process/spawn.js";
import { waitForHello } from "../readiness/handshake.js";
import type { ReadinessStrategy } from "../readiness/handshake.js";
import { systemClock, Ticker } from "./clock.js";
import type { Clock, Scheduler } from "./clock.js";
import { EventJournal } from "../observe/events.js";
import type { LogsOptions } from "../observe/logs/options.js";
import type { EventDataMap, SupervisionOptions } from "./types.js";

/** The port seam: bind probes and holder look-ups. */
export interface PortProber {
  /** Ports of `ports` that cannot be bound on 127.0.0.1 or ::1 right now. */
  busy(ports: readonly number[]): Promise<number[]>;
  /** Who holds each of `ports` (pid and command where visible). */
  holders(ports: readonly number[]): PortHolder[];
  /** Ports of `ports` some socket listens on, per the kernel's tables (read off the event loop). */
  listening(ports: readonly number[]): Promise<number[]>;
}

/** The real prober. */
export const systemPorts: PortProber = {
  busy: findBusyPorts,
  holders: findPortHolders,
  listening: async (ports) => listeningPorts(ports, await readListeningPorts()),
};

/** Runs `openclaw doctor --fix` for a gateway (a seam, like the spawner). */
export type DoctorRunner = (runtime: ResolvedRuntime, ctx: InstanceContext, token: string, redact: (l: string) => string) => Promise<DoctorResult>;

const DOCTOR_TIMEOUT_MS = 180_000;

/**
 * What the host hands each gateway: settings, and the seams (clock, spawner, port
 * prober, readiness strategy, doctor, config validator) that unit tests replace. @internal
 */
export interface GatewayDeps {
  runtime: () => ResolvedRuntime;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  supervision: SupervisionOptions;
  clock: Clock;
  random: () => number;
  ticker: Scheduler;
  spawner: Spawner;
  ports: PortProber;
  readiness: ReadinessStrategy;
  doctor: DoctorRunner;
  validator: () => ConfigValidator;
  /** Log options of this gateway (the host's, then the spec's), parsed. */
  logs?: LogsOptions;
  /** The host's event journal (`gateway.events()` reads its own records from it). */
  journal: EventJournal<EventDataMap>;
}

/** The real seams, for whatever the caller leaves out. */
export function defaultDeps(
  base: Pick<GatewayDeps, "runtime" | "readyTimeoutMs" | "stopTimeoutMs" | "supervision"> & Partial<GatewayDeps>,
): GatewayDeps {
  return {
    clock: systemClock,
    random: Math.random,
    ticker: new Ticker(),
    spawner: processSpawner,
    ports: systemPorts,
    readiness: waitForHello,
    doctor: (runtime, ctx, token, redact) => runDoctor(runtime, ctx, token, redact, DOCTOR_TIMEOUT_MS),
    validator: () => openClawValidator(base.runtime()),
    journal: new EventJournal<EventDataMap>(),
    ...base,
  };
}
