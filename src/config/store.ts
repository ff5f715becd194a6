import { createHash } from "node:crypto";
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { mkdir, readdir, readFile, rm, rmdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { EventEmitter } from "eventemitter3";
import JSON5 from "json5";
import PQueue from "p-queue";
import { ClawhostError, isClawhostError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic.js";
import { errnoOf, fsError } from "../fs/errors.js";
import { withLock } from "../fs/lock.js";
import { assertFileKind } from "../fs/safety.js";
import { fillMissing } from "./file.js";
import type { OpenClawConfig } from "./file.js";
import { applyMergePatch, changedPaths, diffMergePatch, isPlainObject } from "./merge.js";
import { parseConfigStoreOptions, validateUpdate } from "./options.js";
import { gatewayDirOf, remoteTarget } from "./remote.js";
import type { ConfigIssue, ConfigValidator } from "./schema.js";

/**
 * An update: a function that mutates the config it receives (or returns a new one), or
 * a JSON merge patch object (RFC 7386: objects merge, `null` deletes).
 */
export type ConfigUpdate = ((config: OpenClawConfig, info: { exists: boolean }) => OpenClawConfig | void) | OpenClawConfig;

/** How an update took effect. */
export interface ConfigUpdateResult {
  /** Dotted paths this update changed (empty: it changed nothing). */
  changedPaths: string[];
  /**
   * - `file`: written to the file (the gateway was not running);
   * - `live`: taken by the running gateway through `config.patch` and applied;
   * - `restart`: taken by the running gateway, which restarts (in place) to apply it;
   * - `unchanged`: nothing to write.
   */
  applied: "file" | "live" | "restart" | "unchanged";
}

/** Payload of the `config` event. */
export interface ConfigChange {
  /** `clawhost`: an update through this store; `external`: anyone else (a person, `openclaw config set`, the gateway). */
  source: "clawhost" | "external";
  changedPaths: string[];
}

/** How many updates a store settled, by outcome (`applied` of each, or rejected). */
export interface ConfigWriteCounts {
  file: number;
  live: number;
  restart: number;
  unchanged: number;
  rejected: number;
}

/** Options of one update. */
export interface UpdateConfigOptions {
  /**
   * Abort while the update still waits: in the queue, or for a starting or restarting
   * gateway to be ready (once written it stays written).
   */
  signal?: AbortSignal;
  /**
   * Give up (`CLAWHOST_ABORTED`) if the update is still waiting after this long. Without
   * it, an update waiting for a starting, restarting or stopping gateway gives up after
   * 180 s (a default start's readiness deadline is 120 s).
   */
  timeoutMs?: number;
}

/** How the store reaches a running gateway (a `Gateway` provides it for its own store). */
export interface LiveConfigTarget {
  /** `live`: write through RPC; `file`: no process, write the file; `wait`: between states. */
  mode(): "live" | "file" | "wait" | Promise<"live" | "file" | "wait">;
  /** Resolves at the gateway's next state change. */
  changed(): Promise<void>;
  call(method: string, params: unknown): Promise<unknown>;
  /** A batch of updates is settled (a connection opened for it can close). */
  release?(): void;
}

/** What a store needs. Standalone (another process writing a gateway's file): `name` and `configPath`. */
export interface ConfigStoreOptions {
  name: string;
  configPath: string;
  /**
   * The gateway's dir (`gateway.context.dir`), for a store in a process that does not run
   * the gateway: while its run record names a live process, updates go through that
   * gateway's `config.patch` (with the hash check) instead of into the file under it.
   * Default: `<dir>` when `configPath` is clawhost's `<dir>/config/openclaw.json`; for
   * any other path without it, the store writes the file.
   */
  gatewayDir?: string;
  /** OpenClaw's schema (compiled lazily, once per process). */
  schema?: () => ConfigValidator;
  /** Rules for the keys clawhost owns, checked against the config before the update. */
  owned?: (after: OpenClawConfig, before: OpenClawConfig) => ConfigIssue[];
  target?: LiveConfigTarget;
  /** Keys every write must carry; added where missing (what clawhost owns). */
  baseline?: () => OpenClawConfig;
}

interface Pending {
  update: ConfigUpdate;
  resolve: (r: ConfigUpdateResult) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  /** When it gives up waiting for a gateway state, without a signal of its own that fires first. */
  deadline: number;
  done: boolean;
}

interface Applied {
  after: OpenClawConfig;
  ok: Array<{ item: Pending; changed: string[] }>;
  failed: Array<{ item: Pending; error: unknown }>;
}

const MAX_STALE_RETRIES = 8;
const MAX_RATE_LIMIT_WAITS = 20;

/** What `config.patch` answers (the parts clawhost reads). */
interface PatchResponse {
  restart?: unknown;
  sentinel?: { payload?: { stats?: { requiresRestart?: unknown } } };
}

interface RpcErrorDetails {
  code?: string;
  message?: string;
  retryAfterMs?: number;
  details?: { issues?: Array<{ path?: unknown; message?: string }> };
}

/** The running gateway's own validation refused a patch (the batch may be narrowed). */
class GatewayRefused extends Error {
  constructor(readonly error: ClawhostError) {
    super(error.message);
  }
}
const WATCH_DEBOUNCE_MS = 50;
/** The longest an update waits for a gateway between states when the caller gives no timeout. */
const DEFAULT_STATE_WAIT_MS = 180_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Remove `dir` and its parents up to and including `top` while they are empty. */
async function removeEmptyDirs(dir: string, top: string): Promise<void> {
  for (let cur = dir; ; cur = dirname(cur)) {
    try {
      await rmdir(cur);
    } catch {
      return; // Not empty (someone else wrote meanwhile) or gone.
    }
    if (cur === top || dirname(cur) === cur) return;
  }
}

function sha(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** True when an issue at `path` lies on, above or below one of the changed paths. */
function touches(path: string, changed: readonly string[]): boolean {
  if (path === "(root)") return true;
  return changed.some((c) => c === path || c.startsWith(`${path}.`) || path.startsWith(`${c}.`));
}

function invalid(name: string, path: string, issues: ConfigIssue[], cause?: unknown): ClawhostError {
  const first = issues[0]!;
  return new ClawhostError("CLAWHOST_CONFIG_INVALID", `config update rejected: ${first.path} ${first.message} (${first.rule}); ${path} is unchanged.`, {
    gateway: name,
    value: first.path,
    fix: `change the update so that ${first.path} satisfies ${first.rule}.`,
    details: { issues },
    cause,
  });
}

/**
 * The one writer of a gateway's config file. Every update goes through one queue
 * (p-queue, concurrency 1); updates waiting together are coalesced into one write.
 * Gateway stopped: read (JSON5), apply, validate, write atomically (temp file, fsync,
 * rename, fsync of the dir, 0600) under a cross-process lock, so other hosts, processes
 * or test workers writing the same file lose nothing. Gateway running: one `config.patch`
 * with `baseHash` per batch, re-read and re-applied on a stale hash. `meta` is kept, so
 * OpenClaw's start-up auto-restore never reverts a write. Edits by anyone else are
 * noticed and reported as `config` events with `source: "external"`.
 *
 * @example
 * ```ts
 * const store = new ConfigStore({ name: "main", configPath: "/srv/gw/main/config/openclaw.json" });
 * await store.update((cfg) => { (cfg.env ??= {}) as object; });
 * await store.update({ env: { vars: { REGION: "eu" } } });
 * ```
 */
export class ConfigStore extends EventEmitter<{ config: [change: ConfigChange] }> {
  readonly configPath: string;
  readonly #opts: ConfigStoreOptions;
  readonly #queue = new PQueue({ concurrency: 1 });
  readonly #lockDir: string;
  readonly #target: LiveConfigTarget | undefined;
  #pending: Pending[] = [];
  #known: { hash: string; config: OpenClawConfig } | undefined;
  #watcher: FSWatcher | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  #busy = false;
  #recheck = false;
  /** Every update the running flush took, including those that joined it while it waited. */
  #taken: Pending[] = [];
  readonly #counts: ConfigWriteCounts = { file: 0, live: 0, restart: 0, unchanged: 0, rejected: 0 };

  constructor(opts: ConfigStoreOptions) {
    super();
    this.#opts = parseConfigStoreOptions(opts);
    this.configPath = this.#opts.configPath;
    assertFileKind(this.configPath, { what: "configPath", gateway: this.#opts.name });
    this.#lockDir = join(dirname(opts.configPath), `.${basename(opts.configPath)}.clawhost-lock`);
    const gatewayDir = this.#opts.target ? undefined : gatewayDirOf(this.configPath, this.#opts.gatewayDir);
    this.#target = this.#opts.target ?? (gatewayDir ? remoteTarget(this.#opts.name, gatewayDir) : undefined);
  }

  /**
   * The config as it is on disk now (JSON5 parsed; the gateway's own writes are plain JSON).
   * `{}` when the file does not exist.
   *
   * @example
   * ```ts
   * const cfg = await store.read();
   * ```
   */
  async read(): Promise<OpenClawConfig> {
    const { config } = await this.#readFile();
    return config;
  }

  /**
   * Queue an update; resolves when it is durable (and, with a running gateway, applied
   * or accepted for a restart). Rejects with `CLAWHOST_CONFIG_INVALID` naming the path
   * and the rule when the result would break OpenClaw's schema or a key clawhost owns;
   * the file then stays byte-identical.
   *
   * @example
   * ```ts
   * const { changedPaths } = await store.update((cfg) => {
   *   const env = (cfg.env ??= {}) as { vars?: Record<string, string> };
   *   (env.vars ??= {}).REGION = "eu";
   * }, { timeoutMs: 30_000 });
   * ```
   */
  update(update: ConfigUpdate, opts: UpdateConfigOptions = {}): Promise<ConfigUpdateResult> {
    try {
      opts = validateUpdate(this.#opts.name, update, opts);
    } catch (err) {
      return Promise.reject(err);
    }
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_STATE_WAIT_MS);
    const signals = [opts.signal, opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs)].filter((s) => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(this.#aborted(signal.reason));
      const item: Pending = { update, resolve, reject, signal, deadline, done: false };
      this.#pending.push(item);
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.#pending.indexOf(item);
          if (i >= 0) {
            this.#pending.splice(i, 1);
            reject(this.#aborted(signal.reason));
          }
        },
        { once: true },
      );
      if (this.#pending.length === 1) void this.#queue.add(() => this.#flush());
    });
  }

  /** Resolves when every queued update has settled. */
  async idle(): Promise<void> {
    await this.#queue.onIdle();
  }

  /** Watch the file for edits by anyone else (`config` events with `source: "external"`). */
  async watch(): Promise<void> {
    if (this.#watcher) return;
    if (!this.#known) {
      const { bytes, config } = await this.#readFile();
      this.#known = { hash: sha(bytes), config };
    }
    try {
      this.#watcher = watch(dirname(this.configPath), { persistent: false }, (_ev, file) => {
        if (file === null || file === basename(this.configPath)) this.#scheduleCheck();
      });
      this.#watcher.on("error", () => this.unwatch());
    } catch {
      // The directory is gone; the next watch() call tries again.
    }
  }

  /** Stop watching. */
  unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#watchTimer) clearTimeout(this.#watchTimer);
    this.#watchTimer = undefined;
  }

  #aborted(reason: unknown): ClawhostError {
    const timedOut = (reason as Error | undefined)?.name === "TimeoutError";
    return new ClawhostError("CLAWHOST_ABORTED", `config update ${timedOut ? "timed out" : "aborted"} while waiting (in the queue, or for the gateway to be ready); nothing of it was written.`, {
      gateway: this.#opts.name,
      value: timedOut ? "timeout" : "signal",
      fix: timedOut ? "raise timeoutMs, or find what holds the queue (a gateway that never becomes ready)." : "nothing to fix when the abort was meant; send the update again if it is still wanted.",
      cause: reason,
    });
  }

  async #readFile(): Promise<{ bytes: Buffer; exists: boolean; config: OpenClawConfig }> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.configPath);
    } catch (err) {
      if (errnoOf(err) === "ENOENT") return { bytes: Buffer.alloc(0), exists: false, config: {} };
      throw fsError(err, this.configPath, "reading the config", this.#opts.name);
    }
    try {
      const parsed: unknown = JSON5.parse(bytes.toString("utf8"));
      if (!isPlainObject(parsed)) throw new Error("top level is not an object");
      return { bytes, exists: true, config: parsed };
    } catch (err) {
      throw new ClawhostError("CLAWHOST_CONFIG_INVALID", `config ${this.configPath} does not parse: ${(err as Error).message}.`, {
        gateway: this.#opts.name,
        value: this.configPath,
        fix: "repair the file (JSON5); clawhost does not write over a file it cannot read.",
        cause: err,
      });
    }
  }

  /**
   * Apply each update in turn on a copy; an update that throws or breaks a rule clawhost
   * owns is dropped alone. OpenClaw's schema (a few ms a check) is checked once for the
   * whole batch; only a batch that fails it is replayed update by update to find the
   * culprits, so a burst of a thousand costs one check.
   */
  async #applyAll(before: OpenClawConfig, exists: boolean, batch: Pending[], eachAgainstSchema = false): Promise<Applied> {
    const baseline = this.#opts.baseline?.();
    let draft = baseline ? fillMissing(before, baseline) : before;
    const out: Applied = { after: before, ok: [], failed: [] };
    for (const item of batch) {
      let candidate: OpenClawConfig;
      try {
        const copy = structuredClone(draft);
        const u = item.update;
        const r = typeof u === "function" ? (u(copy, { exists }) ?? copy) : (applyMergePatch(copy, u) as OpenClawConfig);
        if (!isPlainObject(r)) throw new Error("the update did not leave an object");
        candidate = JSON.parse(JSON.stringify(r)) as OpenClawConfig;
      } catch (err) {
        out.failed.push({
          item,
          error: isClawhostError(err)
            ? err
            : new ClawhostError("CLAWHOST_CONFIG_INVALID", `config update threw: ${(err as Error)?.message ?? String(err)}; nothing was written.`, {
                gateway: this.#opts.name,
                value: (err as Error)?.message ?? String(err),
                fix: "fix the update function.",
                cause: err,
              }),
        });
        continue;
      }
      // OpenClaw's start-up auto-restore reverts a file without `meta`: keep it.
      if (before.meta !== undefined && candidate.meta === undefined) candidate.meta = structuredClone(before.meta);
      const changed = changedPaths(draft, candidate);
      if (changed.length > 0) {
        // An update answers for what it changes, not for what the file already held.
        const issues = [...(this.#opts.owned?.(candidate, before) ?? []), ...(eachAgainstSchema ? await this.#schemaIssues(candidate, changed) : [])];
        const mine = issues.filter((i) => touches(i.path, changed));
        if (mine.length > 0) {
          out.failed.push({ item, error: invalid(this.#opts.name, this.configPath, mine) });
          continue;
        }
      }
      out.ok.push({ item, changed });
      draft = candidate;
    }
    out.after = draft;
    if (!eachAgainstSchema && out.ok.length > 0) {
      const changed = out.ok.flatMap((o) => o.changed);
      if ((await this.#schemaIssues(draft, changed)).length > 0) return this.#applyAll(before, exists, batch, true);
    }
    return out;
  }

  async #schemaIssues(config: OpenClawConfig, changed: readonly string[]): Promise<ConfigIssue[]> {
    if (changed.length === 0 || !this.#opts.schema) return [];
    return (await this.#opts.schema()(config)).filter((i) => touches(i.path, changed));
  }

  async #flush(): Promise<void> {
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    this.#taken = [...batch];
    this.#busy = true;
    try {
      for (;;) {
        const mode = (await this.#target?.mode()) ?? "file";
        if (mode === "wait") {
          await this.#waitForState(batch);
          if (batch.length === 0) return;
          continue;
        }
        try {
          if (mode === "file") await this.#writeFile(batch);
          else await this.#writeLive(batch);
          break;
        } catch (err) {
          // The gateway went away under a live write: decide again.
          if (mode === "live" && (isClawhostError(err, "CLAWHOST_NOT_READY") || isClawhostError(err, "CLAWHOST_CONNECTION_CLOSED"))) continue;
          throw err;
        }
      }
    } catch (err) {
      for (const item of this.#taken) if (!item.done) item.reject(err);
    } finally {
      this.#taken = [];
      this.#busy = false;
      this.#target?.release?.();
      if (this.#recheck) this.#scheduleCheck();
    }
  }

  /**
   * Between states (starting, restarting, stopping) the batch waits for the next one; an
   * update whose signal fires or whose `timeoutMs` passes meanwhile leaves it, unwritten.
   */
  async #waitForState(batch: Pending[]): Promise<void> {
    const signals = batch.map((i) => i.signal).filter((s): s is AbortSignal => s !== undefined);
    const firstDeadline = Math.min(...batch.map((i) => i.deadline));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), Math.max(0, firstDeadline - Date.now()));
      const done = (): void => {
        clearTimeout(timer);
        for (const s of signals) s.removeEventListener("abort", done);
        resolve();
      };
      void this.#target!.changed().then(done);
      for (const s of signals) s.addEventListener("abort", done, { once: true });
    });
    const now = Date.now();
    for (let i = batch.length - 1; i >= 0; i--) {
      const item = batch[i]!;
      const late = item.deadline <= now;
      if (!item.signal?.aborted && !late) continue;
      item.done = true;
      item.reject(this.#aborted(item.signal?.aborted ? item.signal.reason : new DOMException("still waiting at the deadline", "TimeoutError")));
      batch.splice(i, 1);
    }
  }

  /** sha256 of the config file as this store last read or wrote it (undefined before). */
  get hash(): string | undefined {
    return this.#known?.hash;
  }

  /** Updates settled so far: written (to the file, live, or live with a restart), unchanged, rejected. */
  get counts(): Readonly<ConfigWriteCounts> {
    return this.#counts;
  }

  #settle(applied: Applied, how: "file" | "live" | "restart"): void {
    this.#counts.rejected += applied.failed.length;
    for (const { changed } of applied.ok) this.#counts[changed.length > 0 ? how : "unchanged"]++;
    for (const { item, error } of applied.failed) {
      item.done = true;
      item.reject(error);
    }
    const all = new Set<string>();
    for (const { item, changed } of applied.ok) {
      item.done = true;
      for (const p of changed) all.add(p);
      item.resolve({ changedPaths: changed, applied: changed.length > 0 ? how : "unchanged" });
    }
    if (all.size > 0) this.emit("config", { source: "clawhost", changedPaths: [...all] });
  }

  async #writeFile(batch: Pending[]): Promise<void> {
    const dir = dirname(this.configPath);
    // Before the first start nothing exists yet; the config dir is private like the rest.
    let created: string | undefined;
    try {
      created = await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fsError(err, dir, "creating the config dir", this.#opts.name);
    }
    let wrote = false;
    let applied: Applied | undefined;
    try {
      await withLock(this.#lockDir, async () => {
        await this.#removeDeadTemps();
        const { bytes, exists, config: before } = await this.#readFile();
        this.#noticeExternal(bytes, before);
        const result = await this.#applyAll(before, exists, batch);
        applied = result;
        // Only accepted updates write (with what clawhost owns filled in): rejected ones leave no file behind.
        if (result.ok.length > 0 && diffMergePatch(before, result.after) !== undefined) {
          const text = `${JSON.stringify(result.after, null, 2)}\n`;
          try {
            await writeFileAtomic(this.configPath, text);
          } catch (err) {
            throw fsError(err, this.configPath, "writing the config", this.#opts.name);
          }
          wrote = true;
          this.#remember({ bytes: Buffer.from(text), config: result.after });
        }
      }, { gateway: this.#opts.name });
    } finally {
      // Directories made for a write that did not happen are removed again (only while empty).
      if (!wrote && created !== undefined) await removeEmptyDirs(dir, created);
    }
    // Settled once the lock and any directory made for nothing are gone: a caller sees the end state.
    if (applied) this.#settle(applied, "file");
  }

  /**
   * One `config.patch` for the batch. A refusal by the gateway's own validation is
   * narrowed by halving the batch, so one bad update never takes good ones down with it.
   */
  async #writeLive(batch: Pending[]): Promise<void> {
    try {
      await this.#patchLive(batch);
    } catch (err) {
      if (!(err instanceof GatewayRefused)) throw err;
      const open = batch.filter((i) => !i.done);
      if (open.length < 2) {
        for (const item of open) {
          item.done = true;
          item.reject(err.error);
        }
        return;
      }
      const half = Math.ceil(open.length / 2);
      await this.#writeLive(open.slice(0, half));
      await this.#writeLive(open.slice(half));
    }
  }

  /** A writer killed between its temp file and the rename leaves the temp: ours to remove, under the lock. */
  async #removeDeadTemps(): Promise<void> {
    const pattern = new RegExp(`^\\.${basename(this.configPath).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)\\.[0-9a-f]+\\.tmp$`);
    const dir = dirname(this.configPath);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const pid = Number(pattern.exec(name)?.[1]);
      if (pid && !pidAlive(pid)) await rm(join(dir, name), { force: true });
    }
  }

  async #patchLive(batch: Pending[]): Promise<void> {
    const target = this.#target!;
    for (let stale = 0, limited = 0; ; ) {
      const got = (await target.call("config.get", {})) as { hash?: string };
      const { bytes, exists, config: before } = await this.#readFile();
      this.#noticeExternal(bytes, before);
      const applied = await this.#applyAll(before, exists, batch);
      const patch = diffMergePatch(before, applied.after);
      if (patch === undefined) {
        this.#settle(applied, "live");
        return;
      }
      let res: PatchResponse | undefined;
      try {
        res = (await target.call("config.patch", { raw: JSON.stringify(patch), baseHash: got.hash })) as PatchResponse;
      } catch (err) {
        const d = isClawhostError(err, "CLAWHOST_RPC_ERROR") ? (err.details as RpcErrorDetails) : undefined;
        if (!d) throw err;
        const message = d.message ?? "";
        if (d.code === "INVALID_REQUEST" && /changed since last load|base ?hash/i.test(message) && ++stale < MAX_STALE_RETRIES) continue;
        if (d.code === "UNAVAILABLE" && /persisted/.test(message)) {
          // Written, and the gateway applies it by restarting (or asks for one): durable.
          this.#remember(await this.#readFile().catch(() => undefined));
          this.#settle(applied, "restart");
          return;
        }
        if (d.code === "UNAVAILABLE" && typeof d.retryAfterMs === "number" && ++limited < MAX_RATE_LIMIT_WAITS) {
          // The gateway's write budget (30 a minute per client) is spent: wait, and let
          // whatever queued meanwhile ride along in the same patch.
          await new Promise((r) => setTimeout(r, Math.min(Math.max(d.retryAfterMs!, 100), 60_000)));
          const joined = this.#pending.splice(0);
          batch.push(...joined);
          this.#taken.push(...joined);
          continue;
        }
        if (d.code === "INVALID_REQUEST") {
          const issues = (d.details?.issues ?? []).map((i) => ({
            path: typeof i.path === "string" && i.path ? i.path : "(patch)",
            rule: "gateway: config.patch",
            message: i.message ?? message,
          }));
          throw new GatewayRefused(invalid(this.#opts.name, this.configPath, issues.length > 0 ? issues : [{ path: "(patch)", rule: "gateway: config.patch", message }], err));
        }
        throw err;
      }
      this.#remember(await this.#readFile().catch(() => undefined));
      // OpenClaw says whether the change needs a restart (it then restarts itself in place).
      const restart = res?.restart !== undefined || res?.sentinel?.payload?.stats?.requiresRestart === true;
      this.#settle(applied, restart ? "restart" : "live");
      return;
    }
  }

  #remember(file: { bytes: Buffer; config: OpenClawConfig } | undefined): void {
    if (file) this.#known = { hash: sha(file.bytes), config: file.config };
  }

  /** Before a write: an edit nobody told us about is reported, then built upon (never written over). */
  #noticeExternal(bytes: Buffer, config: OpenClawConfig): void {
    const hash = sha(bytes);
    const known = this.#known;
    this.#known = { hash, config };
    if (!known || known.hash === hash) return;
    const paths = changedPaths(known.config, config);
    // The gateway stamps `meta` on its own writes: bookkeeping, not an edit.
    if (paths.length > 0 && !paths.every((p) => p === "meta" || p.startsWith("meta."))) {
      this.emit("config", { source: "external", changedPaths: paths });
    }
  }

  #scheduleCheck(): void {
    if (this.#busy) {
      this.#recheck = true;
      return;
    }
    this.#recheck = false;
    if (this.#watchTimer) clearTimeout(this.#watchTimer);
    this.#watchTimer = setTimeout(() => {
      this.#watchTimer = undefined;
      if (this.#busy) {
        this.#recheck = true;
        return;
      }
      void this.#readFile().then(
        ({ bytes, config }) => this.#noticeExternal(bytes, config),
        () => undefined,
      );
    }, WATCH_DEBOUNCE_MS);
    this.#watchTimer.unref();
  }
}
