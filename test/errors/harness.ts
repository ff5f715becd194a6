// The refusal table's runner: each row gets a fresh directory (root, lease dir, and a shared
// directory of mode 1777 outside the root), an optional setup, then the one call that must
// be refused. It asserts the error (code, value, fix, the gateway's name first) and that the
// refusal left nothing behind: no process, no lease taken or dropped, no new file and no mode
// change outside the root (and, unless the row allows it, none inside the root either).
import { chmodSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, it } from "vitest";
import { ClawhostError, isClawhostError } from "clawhost";
import type { GatewayHost } from "clawhost";
import type { ClawhostErrorCode, Gateway, GatewaySpec, GatewayState, HostOptions } from "clawhost";
import { hostWithSeams } from "../../src/host/host.js";
import { FakeWorld, nextState, settle } from "../gateway/fakes.js";
import { heldLeases, makeTmp, myDescendants } from "../helpers.js";

export { nextState, settle };

export const FAKE_BIN = new URL("../fixtures/fake-openclaw/openclaw.mjs", import.meta.url).pathname;
export const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;

/** What one row works in. */
export class Env {
  readonly dir: string;
  readonly root: string;
  readonly leaseDir: string;
  /** Outside the root, mode 1777, with a file and a subdirectory: nothing may change in it. */
  readonly shared: string;
  readonly world = new FakeWorld();
  readonly hosts: GatewayHost[] = [];
  readonly #cleanup: Array<() => void | Promise<void>> = [];
  readonly #tmp: ReturnType<typeof makeTmp>;

  constructor() {
    this.#tmp = makeTmp("errors");
    this.dir = this.#tmp.dir;
    this.root = join(this.dir, "root");
    this.leaseDir = join(this.dir, "leases");
    mkdirSync(this.leaseDir, { mode: 0o700 });
    this.shared = join(this.dir, "shared");
    mkdirSync(join(this.shared, "sub"), { recursive: true });
    chmodSync(this.shared, 0o1777);
    chmodSync(join(this.shared, "sub"), 0o755);
    writeFileSync(join(this.shared, "keep.txt"), "kept\n", { mode: 0o644 });
    // An openclaw that cannot run (no execute bit, not a script): should a real spawner ever
    // be reached instead of the fake world's, the spawn fails and no process exists.
    this.neverBin = join(this.dir, "openclaw-never", "openclaw");
    mkdirSync(join(this.dir, "openclaw-never"));
    writeFileSync(join(this.dir, "openclaw-never", "package.json"), JSON.stringify({ name: "openclaw", version: "2026.9.6", engines: { node: ">=22" } }));
    writeFileSync(this.neverBin, "#!/bin/false\n", { mode: 0o644 });
  }

  /** The openclaw every row's host resolves: a file no spawner can execute. */
  readonly neverBin: string;

  /** Host options every row starts from: the fake gateway, this row's dirs, the fake world's seams. */
  options(extra: Partial<HostOptions> = {}): HostOptions {
    return {
      root: this.root,
      leaseDir: this.leaseDir,
      openclaw: { bin: this.neverBin, node: process.execPath },
      ports: { from: 41000, to: 47000 },
      stopTimeoutMs: 1_000,
      ...extra,
    };
  }

  /** A host on the fake world's seams (no process is ever spawned), disposed after the row. */
  host(extra: Partial<HostOptions> = {}, world: FakeWorld = this.world): GatewayHost {
    const h = hostWithSeams(this.options(extra), world.seams());
    this.hosts.push(h);
    return h;
  }

  /** A host and one gateway on it. */
  async gateway(spec: Partial<GatewaySpec> = {}, extra: Partial<HostOptions> = {}): Promise<Gateway> {
    const h = this.hosts[0] ?? this.host(extra);
    return h.add({ name: "main", ...spec });
  }

  /** Run after the row (before its hosts are disposed). */
  onCleanup(fn: () => void | Promise<void>): void {
    this.#cleanup.push(fn);
  }

  async dispose(): Promise<void> {
    const failures: unknown[] = [];
    try {
      for (const fn of this.#cleanup.splice(0)) await Promise.resolve().then(fn).catch((err: unknown) => failures.push(err));
      // Dispose never throws: a rejection here fails the row.
      for (const h of this.hosts) await h.dispose({ timeoutMs: 5_000 });
    } finally {
      this.#tmp.cleanup();
    }
    if (failures.length > 0) throw failures[0];
  }
}

/** Every file and directory under `dir` (but not below `skip`), with its type and mode. */
export function tree(dir: string, skip: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string): void => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    const kind = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : st.isFile() ? "file" : "other";
    out[relative(dir, p) || "."] = `${kind} ${(st.mode & 0o7777).toString(8)}`;
    if (!st.isDirectory() || skip.includes(p)) return;
    for (const name of readdirSync(p)) walk(join(p, name));
  };
  walk(dir);
  return out;
}

/** Leases this process holds in the row's registry, as `root/name`. */
function leases(env: Env): string[] {
  return heldLeases(env.leaseDir)
    .map((l) => `${l.root}/${l.name}`)
    .sort();
}

function liveFakes(env: Env): number[] {
  return env.world.procs.filter((p) => !p.exitInfo).map((p) => p.pid);
}

/** One refused input. */
export interface Row<T = unknown> {
  name: string;
  code: ClawhostErrorCode;
  /** Builds what the call needs (hosts, gateways in some state, files); not checked. */
  setup?: (env: Env) => Promise<T> | T;
  /** The call that must be refused. */
  act: (env: Env, t: T) => unknown;
  /** The gateway name the error must carry (and start its message with). */
  gateway?: string;
  /** Constructors and validators throw; every other entry point must reject. */
  sync?: boolean;
  /** The call may create files inside the root before it is refused (a start's dirs). */
  touchesRoot?: boolean;
  /** More assertions on the error or the aftermath. */
  check?: (err: ClawhostError, env: Env, t: T) => void | Promise<void>;
  /** Why the row cannot run here (it is still listed). */
  skip?: string | false;
}

/** Make the rows `it`s of the current describe block. */
export function rows<T = any>(list: ReadonlyArray<Row<T>>): void {
  for (const row of list) {
    it.skipIf(Boolean(row.skip))(`${row.name} -> ${row.code}`, async () => {
      const env = new Env();
      try {
        const t = row.setup ? await row.setup(env) : undefined;
        await settle();
        const outsideBefore = tree(env.dir, [env.root, env.leaseDir]);
        const rootBefore = tree(env.root);
        const leasesBefore = leases(env);
        const liveBefore = liveFakes(env);
        const statesBefore = env.hosts.flatMap((h) => h.list().map((g) => `${g.name}:${g.state}`));

        let thrown: unknown;
        let sync = false;
        let result: unknown;
        try {
          result = row.act(env, t as T);
        } catch (err) {
          thrown = err;
          sync = true;
        }
        if (!sync && result && typeof (result as Promise<unknown>).then === "function") {
          await (result as Promise<unknown>).then(
            () => undefined,
            (err: unknown) => (thrown = err),
          );
        }
        expect(thrown, `${row.name} was accepted`).toBeDefined();
        await settle();
        const err = thrown as ClawhostError;
        expect(isClawhostError(err), `not a ClawhostError: ${String(err)}`).toBe(true);
        expect(err).toBeInstanceOf(ClawhostError);
        expect({ code: err.code, message: err.message }).toMatchObject({ code: row.code });
        expect(err.value, "value").not.toBeUndefined();
        expect(typeof err.fix === "string" && err.fix.length > 0, "fix").toBe(true);
        expect(err.message).toContain("Fix: ");
        if (err.gateway) expect(err.message.startsWith(`${err.gateway}: `), err.message).toBe(true);
        if (row.gateway !== undefined) expect(err.gateway).toBe(row.gateway);
        expect(() => JSON.stringify(err.toJSON())).not.toThrow();
        // Nothing left behind.
        expect(liveFakes(env), "fake processes spawned by the refused call").toEqual(liveBefore);
        expect(myDescendants(), "real child processes").toEqual([]);
        expect(leases(env), "leases").toEqual(leasesBefore);
        expect(tree(env.dir, [env.root, env.leaseDir]), "files and modes outside the root").toEqual(outsideBefore);
        if (!row.touchesRoot) expect(tree(env.root), "files and modes inside the root").toEqual(rootBefore);
        else expect(tree(env.root), "existing modes inside the root").toMatchObject(rootBefore);
        if (row.code === "CLAWHOST_INVALID_OPTIONS" || row.code === "CLAWHOST_INVALID_ARGUMENT") {
          // A refused argument changes no state either.
          expect(env.hosts.flatMap((h) => h.list().map((g) => `${g.name}:${g.state}`))).toEqual(statesBefore);
        }
        await row.check?.(err, env, t as never);
        expect(sync, sync ? "threw synchronously" : "rejected").toBe(Boolean(row.sync));
      } finally {
        await env.dispose();
        expect(liveFakes(env), "fake processes after dispose").toEqual([]);
      }
    });
  }
}
