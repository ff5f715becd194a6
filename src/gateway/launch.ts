import { createHash } from "node:crypto";
import { mkdir, readFile, readlink, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { InstanceContext } from "../context/context.js";
import { loadOrCreateToken } from "../context/secrets.js";
import { ownedConfig } from "../config/file.js";
import type { OpenClawConfig } from "../config/file.js";
import { applyMergePatch } from "../config/merge.js";
import type { ConfigStore } from "../config/store.js";
import { DEFAULT_MAX_FILE_BYTES } from "../observe/logs/options.js";
import { writeFileAtomic } from "../fs/atomic.js";
import { fsError, wrapFs } from "../fs/errors.js";
import { assertUsableDir, assertUsableFile, ensureOwnDir, isInside } from "../fs/safety.js";
import { essentialPorts } from "../ports/block.js";
import { readStateDirLocks, removeStaleStateDirLocks } from "../process/exit.js";
import { isAlive, readProc } from "../fs/proc.js";
import { readRunRecord, removeRunRecord, writeRunRecord } from "../process/runfile.js";
import { RUN_ID_VAR } from "../process/spawn.js";
import type { FreeRead } from "../process/follow.js";
import { ProcessTree } from "../process/tree.js";
import type { Connection } from "../rpc/connection.js";
import type { GatewayDeps } from "./deps.js";
import { exitedDuringStart, portInUse, stateDirInUse, wrongGateway } from "./errors.js";
import { Run } from "./run.js";
import type { GatewayReadyInfo, GatewayWarning } from "./types.js";

const ADOPT_TIMEOUT_MS = 15_000;
/** In OpenClaw's line once its server listens ("http server listening (…)"); a hint only, the probes decide. */
const LISTENING = "listening";

/** What a launch needs from its gateway. */
export interface LaunchEnv {
  ctx: InstanceContext;
  deps: GatewayDeps;
  config: ConfigStore;
  warn(w: GatewayWarning): void;
  /** A line the process wrote (the run, once it exists, keeps it in its tail). */
  line(stream: "stdout" | "stderr", raw: string, run: Run | undefined): void;
  /** The run exists: from here on a stop must end it. */
  spawned(run: Run): void;
}

/** A launch that reached hello-ok. */
export interface Launched {
  run: Run;
  conn: Connection;
  readyMs: number;
  via: GatewayReadyInfo["via"];
}

/** An outlive gateway writes `gateway.out` through its own fd: what was read is punched out every `logs.maxFileBytes`. */
function freeOutput(env: LaunchEnv): FreeRead {
  return {
    afterBytes: env.deps.logs?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    onError: (err) =>
      env.warn({
        code: "LOGS_UNAVAILABLE",
        message: `${env.ctx.name}: the disk space of ${env.ctx.outputFile} already read cannot be given back (fallocate --punch-hole: ${(err as Error).message.split("\n")[0]}); the file grows while the gateway runs.`,
        details: { path: env.ctx.outputFile },
      }),
  };
}

/**
 * One launch: prepare → adopt or clean → preflight → spawn → ready. Throws when the
 * gateway exits, misses `deadline`, or `signal` aborts; the caller ends the run.
 */
export async function launch(env: LaunchEnv, token: string, deadline: number, signal: AbortSignal): Promise<Launched> {
  const adopted = await adoptOrClean(env, token, signal);
  if (adopted) return adopted;
  await preflight(env);
  const { ctx, deps } = env;
  await deps.spawner.turn?.();
  signal.throwIfAborted();
  const t0 = performance.now();
  let run: Run | undefined;
  // While readiness waits: a line saying the process listens ends the wait for the next probe.
  const hints = new Set<() => void>();
  const proc = deps.spawner.spawn({
    runtime: deps.runtime(),
    ctx,
    token,
    outlive: deps.supervision.outlive,
    onLine: (stream, raw) => {
      env.line(stream, raw, run);
      if (hints.size > 0 && raw.includes(LISTENING)) for (const wake of hints) wake();
    },
    freeOutput: freeOutput(env),
  });
  run = new Run(proc, token);
  env.spawned(run);
  const conn = await deps.readiness({
    port: ctx.ports.gateway,
    token,
    gateway: ctx.name,
    deadline,
    signal,
    check: () => {
      // The exit handler records the exit; the launch sees it here and stops waiting.
      if (run.exit) throw exitedDuringStart(ctx.name, run.exit);
    },
    onHint: (wake) => {
      hints.add(wake);
      return () => hints.delete(wake);
    },
  });
  assertOwnGateway(ctx, conn);
  return { run, conn, readyMs: Math.round(performance.now() - t0), via: "spawn" };
}

/**
 * Dirs, token, spec config, config watch and the compile-cache link; returns the token.
 * Paths outside the gateway's own `<root>/<name>` are checked again as at `add()` (they
 * may have changed since) and never chmod'ed; fs failures name the path and the fix.
 */
export async function prepare(env: LaunchEnv): Promise<string> {
  const { ctx, config } = env;
  const own = (p: string): boolean => isInside(ctx.dir, p);
  assertUsableFile(ctx.configPath, { what: "config path", gateway: ctx.name }, { own: own(ctx.configDir), private: true });
  assertUsableDir(ctx.stateDir, { what: "state dir", gateway: ctx.name }, { own: own(ctx.stateDir), private: true });
  assertUsableDir(ctx.workspace, { what: "workspace", gateway: ctx.name }, { own: own(ctx.workspace) });
  for (const dir of ctx.ownedDirs) await ensureOwnDir(dir, ctx.dir, ctx.name);
  await writeSpecConfig(ctx, config);
  await config.watch();
  // A token already in the config (an adopted profile) wins over the env in OpenClaw: use it.
  const configured = ((await config.read()) as { gateway?: { auth?: { token?: unknown } } }).gateway?.auth?.token;
  const token = typeof configured === "string" && configured.length > 0 ? configured : await wrapFs(() => loadOrCreateToken(ctx), ctx.tokenFile, "reading the token file", ctx.name);
  // Node's compile cache lives under TMPDIR: link the shared one so starts stay warm.
  const link = join(ctx.tmpDir, "node-compile-cache");
  await wrapFs(
    async () => {
      await mkdir(ctx.compileCacheDir, { recursive: true });
      const current = await readlink(link).catch(() => undefined);
      if (current !== ctx.compileCacheDir) {
        await rm(link, { recursive: true, force: true });
        await symlink(ctx.compileCacheDir, link, "dir");
      }
    },
    link,
    "linking the compile cache",
    ctx.name,
  );
  return token;
}

/**
 * The spec's `config` is written before the first start (with what clawhost owns), and
 * merged again, through the same queue, when a later `add()` brings a changed one.
 */
async function writeSpecConfig(ctx: InstanceContext, config: ConfigStore): Promise<void> {
  const initial = ctx.initialConfig as OpenClawConfig;
  const hash = createHash("sha256").update(JSON.stringify(initial)).digest("hex");
  const record = join(ctx.dir, "spec-config.sha256");
  const applied = (await readFile(record, "utf8").catch(() => "")).trim();
  const owned = ownedConfig(ctx);
  await config.update((cfg, { exists }) => {
    const merged = !exists || applied !== hash ? (applyMergePatch(cfg, initial) as OpenClawConfig) : cfg;
    return applyMergePatch(merged, owned) as OpenClawConfig;
  });
  if (applied !== hash) await wrapFs(() => writeFileAtomic(record, `${hash}\n`), record, "writing", ctx.name);
}

/**
 * What an earlier host left behind: a run record whose process lives is adopted (with
 * `outlive`: pid, start time and bootId checked) or ended (an orphan); dead records and
 * OpenClaw locks of dead processes are removed; a state-dir lock held by a live process
 * that is not ours refuses the start before anything is spawned.
 */
async function adoptOrClean(env: LaunchEnv, token: string, signal: AbortSignal): Promise<Launched | undefined> {
  const { ctx, deps } = env;
  const rec = await readRunRecord(ctx.runFile);
  if (rec) {
    const id = { pid: rec.pid, startTime: rec.startTime };
    const live = isAlive(id) && (readProc(rec.pid)?.comm ?? "").startsWith("openclaw");
    if (live && deps.supervision.outlive && rec.port === ctx.ports.gateway) {
      const t0 = performance.now();
      const conn = await deps.readiness({ port: ctx.ports.gateway, token, gateway: ctx.name, deadline: Date.now() + ADOPT_TIMEOUT_MS, signal });
      assertOwnGateway(ctx, conn);
      if (conn.hello.server.bootId !== rec.bootId) {
        env.warn({
          code: "BOOT_CHANGED",
          message: `${ctx.name}: pid ${rec.pid} restarted in place since it was recorded (bootId ${rec.bootId} -> ${conn.hello.server.bootId}); same process, adopted.`,
        });
      }
      let run: Run | undefined;
      const proc = deps.spawner.adopt(id, rec.runId, ctx, (stream, raw) => env.line(stream, raw, run), freeOutput(env));
      run = new Run(proc, token);
      env.spawned(run);
      return { run, conn, readyMs: Math.round(performance.now() - t0), via: "adopted" };
    }
    if (live) {
      await new ProcessTree(id, { marker: rec.runId ? `${RUN_ID_VAR}=${rec.runId}` : undefined }).kill({ graceMs: deps.stopTimeoutMs });
      env.warn({
        code: "ORPHAN_ENDED",
        message: `${ctx.name}: ended pid ${rec.pid}, a gateway of this root left running by host pid ${rec.hostPid}.`,
        details: { pid: rec.pid, hostPid: rec.hostPid },
      });
    }
    await removeRunRecord(ctx.runFile);
  }
  const held = readStateDirLocks(ctx.stateDir).find((l) => l.alive && l.pid !== process.pid);
  if (held) throw stateDirInUse(ctx, held.pid, held.path);
  const removed = removeStaleStateDirLocks(ctx.stateDir);
  if (removed.length > 0) {
    env.warn({
      code: "STALE_LOCKS_REMOVED",
      message: `${ctx.name}: removed ${removed.length} OpenClaw lock file(s) of dead processes.`,
      details: { paths: removed },
    });
  }
  return undefined;
}

/**
 * Right before a spawn: the gateway and browser-control ports must bind on 127.0.0.1
 * and ::1, else `CLAWHOST_PORT_IN_USE` naming the holder (OpenClaw itself would fail
 * only after ~10-16 s of bind retries). Taken CDP ports are reported as a warning.
 */
async function preflight(env: LaunchEnv): Promise<void> {
  const { ctx, deps } = env;
  const { ports } = ctx;
  const busy = await deps.ports.busy(essentialPorts(ports.gateway));
  if (busy.length > 0) throw portInUse(ctx, busy, deps.ports.holders(busy), "nothing was spawned");
  const cdpRange = Array.from({ length: ports.cdp.end - ports.cdp.start + 1 }, (_, i) => ports.cdp.start + i);
  const cdpBusy = await deps.ports.listening(cdpRange);
  if (cdpBusy.length > 0) {
    env.warn({
      code: "CDP_PORTS_BUSY",
      message: `${ctx.name}: CDP port${cdpBusy.length > 1 ? "s" : ""} ${cdpBusy.join(", ")} of ${ports.cdp.start}..${ports.cdp.end} are held by other processes; browser profiles using them will fail.`,
      ports: cdpBusy,
    });
  }
}

/** The gateway answering on our port must be ours (same state dir). */
function assertOwnGateway(ctx: InstanceContext, conn: Connection): void {
  const stateDir = conn.hello.snapshot.stateDir;
  if (stateDir !== undefined && stateDir !== ctx.stateDir) {
    conn.close();
    throw wrongGateway(ctx.name, ctx.ports.gateway, stateDir);
  }
}

/** Record the ready run for a later host (adoption, or ending an orphan). */
export async function recordRun(ctx: InstanceContext, run: Run): Promise<void> {
  await writeRunRecord(ctx.runFile, {
    pid: run.pid,
    startTime: run.proc.identity.startTime,
    bootId: run.hello?.server.bootId ?? "",
    port: ctx.ports.gateway,
    outlive: run.proc.outlive,
    runId: run.proc.runId,
    hostPid: process.pid,
    startedAt: run.startedAt.toISOString(),
  }).catch((err: unknown) => {
    throw fsError(err, ctx.runFile, "writing the run record", ctx.name);
  });
}
