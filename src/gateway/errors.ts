import { ClawhostError, isClawhostError } from "../errors.js";
import { errnoOf, fsError } from "../fs/errors.js";
import type { InstanceContext } from "../context/context.js";
import type { PortHolder } from "../ports/holders.js";
import type { DoctorResult } from "../process/doctor.js";
import type { ExitInfo } from "../process/spawn.js";
import type { Survivor } from "../process/tree.js";
import type { GatewayExitInfo, GatewayState } from "./types.js";

// The errors one gateway raises, built in one place so their codes, values and fixes stay consistent.

function describeExit(info: ExitInfo): string {
  if (info.code === null && info.signal === null) return "status unknown: not our child";
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}

function exitSummary(exit: GatewayExitInfo): Omit<GatewayExitInfo, "outputTail"> {
  const { outputTail: _t, ...rest } = exit;
  return rest;
}

export function stateDirInUse(ctx: InstanceContext, pid: number, lockPath: string | undefined): ClawhostError {
  return new ClawhostError("CLAWHOST_STATE_DIR_IN_USE", `state dir ${ctx.stateDir} is held by live pid ${pid}; two gateways must never share one.`, {
    gateway: ctx.name,
    value: pid,
    fix: `stop pid ${pid} (another OpenClaw gateway on this state dir) or give this gateway its own paths.stateDir.`,
    details: { pid, lockPath },
  });
}

export function portInUse(ctx: InstanceContext, busy: number[], holders: PortHolder[], what: string): ClawhostError {
  const { block } = ctx.ports;
  const who = holders.map((h) => `${h.port} (${h.pid === undefined ? "holder not visible" : `pid ${h.pid}: ${h.command ?? "?"}`})`).join(", ");
  return new ClawhostError("CLAWHOST_PORT_IN_USE", `port ${who} of block ${block.start}..${block.end} is already bound; ${what}.`, {
    gateway: ctx.name,
    value: busy,
    fix: "stop the process holding it or give this gateway another port block.",
    details: { holders },
  });
}

export function exitedUnexpectedly(name: string, exit: GatewayExitInfo): ClawhostError {
  return new ClawhostError("CLAWHOST_GATEWAY_EXITED", `the gateway exited unexpectedly (${describeExit(exit)}, ${exit.reason}).`, {
    gateway: name,
    value: exit.code ?? exit.signal,
    fix: "read details.outputTail; the restart policy decides what happens next.",
    details: { exit: exitSummary(exit), outputTail: exit.outputTail },
  });
}

export function exitedDuringStart(name: string, exit: GatewayExitInfo): ClawhostError {
  return new ClawhostError("CLAWHOST_GATEWAY_EXITED", `the gateway exited before it was ready (${describeExit(exit)}, ${exit.reason}).`, {
    gateway: name,
    value: exit.code ?? exit.signal,
    fix: "read details.outputTail; exit 78 means a config problem, 1 a bad flag or busy port.",
    details: { exit: exitSummary(exit), outputTail: exit.outputTail },
  });
}

export function configInvalid(ctx: InstanceContext, tail: string[], doctor: DoctorResult, cause: unknown): ClawhostError {
  const diagnosis = tail.filter((l) => /invalid|config|error/i.test(l)).slice(-5);
  return new ClawhostError(
    "CLAWHOST_CONFIG_INVALID",
    `the gateway rejects its config ${ctx.configPath} (exit 78), also after \`openclaw doctor --fix\`${diagnosis.length ? `:\n  ${diagnosis.join("\n  ")}\n` : "."}`,
    {
      gateway: ctx.name,
      value: ctx.configPath,
      fix: "correct the keys the gateway names in details.outputTail (run `openclaw doctor` with this gateway's env to see more).",
      details: { outputTail: tail, doctor: { exit: doctor.code, timedOut: doctor.timedOut, output: doctor.output } },
      cause,
    },
  );
}

export function readinessTimeout(name: string, timeoutMs: number, tail: string[], cause: unknown): ClawhostError {
  const last = tail.slice(-5).join("\n  ");
  return new ClawhostError("CLAWHOST_READINESS_TIMEOUT", `no hello-ok within ${timeoutMs} ms; the process tree was ended.${last ? `\n  ${last}\n` : ""}`, {
    gateway: name,
    value: timeoutMs,
    fix: "raise timeoutMs (a cold first start on 2 cores takes ~15 s, several at once longer) or read details.outputTail.",
    details: { outputTail: tail },
    cause,
  });
}

export function startFailed(name: string, err: unknown, tail: string[]): ClawhostError {
  if (isClawhostError(err)) return err;
  // An fs failure names its path and what to do about it.
  const fsPath = (err as NodeJS.ErrnoException | undefined)?.path;
  if (errnoOf(err) && typeof fsPath === "string") return fsError(err, fsPath, "starting:", name);
  return new ClawhostError("CLAWHOST_START_FAILED", `start failed: ${(err as Error)?.message ?? String(err)}.`, {
    gateway: name,
    value: (err as Error)?.message ?? String(err),
    fix: "read the cause and details.outputTail.",
    cause: err,
    details: { outputTail: tail },
  });
}

export function aborted(name: string, what: string, reason: unknown, cause?: unknown): ClawhostError {
  if (isClawhostError(reason, "CLAWHOST_ABORTED")) return reason;
  return new ClawhostError("CLAWHOST_ABORTED", `${what} aborted; the process tree was ended.`, {
    gateway: name,
    value: what,
    fix: "nothing to fix when the abort was meant (a stop() or the caller's signal); otherwise start() again without aborting.",
    cause: cause ?? reason,
  });
}

/** An operation asked for with a signal that had already fired: nothing was begun. */
export function alreadyAborted(name: string | undefined, what: string, reason: unknown): ClawhostError {
  return new ClawhostError("CLAWHOST_ABORTED", `${what} was not begun: its signal had already fired; nothing was changed.`, {
    gateway: name,
    value: what,
    fix: "pass a signal that has not fired yet (AbortSignal.timeout(ms) is created fresh per call).",
    cause: reason,
  });
}

export function crashLoop(name: string, failures: number, windowMs: number, reason: string, exit: GatewayExitInfo | undefined, cause: unknown): ClawhostError {
  return new ClawhostError("CLAWHOST_CRASH_LOOP", `ended unexpectedly ${failures} times within ${windowMs} ms; not restarting (last: ${reason}).`, {
    gateway: name,
    value: failures,
    fix: "read details.lastExit and details.outputTail, fix the cause, then start() again.",
    details: { lastExit: exit ? exitSummary(exit) : undefined, outputTail: exit?.outputTail ?? [] },
    cause,
  });
}

export function illegalState(name: string, what: string, state: GatewayState, fix: string): ClawhostError {
  return new ClawhostError("CLAWHOST_ILLEGAL_STATE", `cannot ${what}: the gateway is ${state}.`, { gateway: name, value: state, fix });
}

export function restartUnsupported(name: string, version: string, pid: number): ClawhostError {
  return new ClawhostError(
    "CLAWHOST_RESTART_UNSUPPORTED",
    `OpenClaw ${version} (pid ${pid}) offers no in-place restart clawhost knows: its hello-ok lists no gateway.restart.request, and it does not handle SIGUSR2.`,
    {
      gateway: name,
      value: version,
      fix: "use restart() without inPlace (a new process), or an OpenClaw in the supported range (docs/openclaw-compat.md).",
      details: { pid, version },
    },
  );
}

export function notReady(name: string, method: string, state: GatewayState): ClawhostError {
  return new ClawhostError("CLAWHOST_NOT_READY", `cannot call ${method}: the gateway is ${state}.`, {
    gateway: name,
    value: method,
    fix: "await gateway.start() (or gateway.onReady()) first.",
  });
}

export function disposed(name: string): ClawhostError {
  return new ClawhostError("CLAWHOST_HOST_DISPOSED", "this gateway was removed or its host disposed.", {
    gateway: name,
    value: name,
    fix: "add the gateway to a live host again.",
  });
}

export function survivorsLeft(name: string, survivors: Survivor[], deadlineMs: number): ClawhostError {
  const list = survivors.map((s) => `${s.pid} (${s.comm}, state ${s.state})`).join(", ");
  return new ClawhostError("CLAWHOST_STOP_TIMEOUT", `${survivors.length} process(es) of the tree outlived SIGKILL for ${deadlineMs} ms: ${list}.`, {
    gateway: name,
    value: survivors.map((s) => s.pid),
    fix: "state D means the process waits on the kernel (a hung mount or device); it ends when that returns. stop() again retries.",
    details: { survivors },
  });
}

export function wrongGateway(name: string, port: number, stateDir: string): ClawhostError {
  return new ClawhostError("CLAWHOST_START_FAILED", `port ${port} is answered by a gateway with state dir ${stateDir}.`, {
    gateway: name,
    value: stateDir,
    fix: "another gateway holds this port: stop it or use another port block.",
  });
}
