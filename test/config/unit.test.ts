import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ClawhostError, ConfigStore } from "clawhost";
import type { ConfigChange, OpenClawConfig } from "clawhost";
import { applyMergePatch, changedPaths, diffMergePatch } from "../../src/config/merge.js";
import { makeTmp } from "../helpers.js";
import { setVar, vars } from "./contract.js";

const tmp = makeTmp("config-unit");
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = (content?: string): string => {
  const dir = join(tmp.dir, `c${n++}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "openclaw.json");
  if (content !== undefined) writeFileSync(path, content, { mode: 0o600 });
  return path;
};

describe("JSON merge patch (RFC 7386)", () => {
  it("diffMergePatch then applyMergePatch gives back the target, for random configs", () => {
    let seed = 7;
    const rnd = (k: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % k);
    const gen = (depth: number): unknown => {
      const kind = rnd(depth > 2 ? 4 : 6);
      if (kind === 0) return rnd(100);
      if (kind === 1) return `s${rnd(5)}`;
      if (kind === 2) return rnd(2) === 0;
      if (kind === 3) return [rnd(3), `a${rnd(3)}`];
      const o: Record<string, unknown> = {};
      for (let i = rnd(5); i > 0; i--) o[`k${rnd(6)}`] = gen(depth + 1);
      return o;
    };
    for (let i = 0; i < 500; i++) {
      const a = { root: gen(0) };
      const b = { root: gen(0) };
      const patch = diffMergePatch(a, b);
      expect(applyMergePatch(a, patch ?? {})).toEqual(b);
      expect(changedPaths(a, b).length > 0).toBe(patch !== undefined);
    }
  });

  it("equality is that of JSON values: key order does not count, array order and types do", () => {
    expect(changedPaths({ a: 1, b: { c: 2, d: [1, 2] } }, { b: { d: [1, 2], c: 2 }, a: 1 })).toEqual([]);
    expect(diffMergePatch({ a: 1, b: 2 }, { b: 2, a: 1 })).toBeUndefined();
    expect(changedPaths({ d: [1, 2] }, { d: [2, 1] })).toEqual(["d"]);
    expect(changedPaths({ a: 1 }, { a: "1" })).toEqual(["a"]);
    expect(changedPaths({ a: null }, { a: {} })).toEqual(["a"]);
    expect(changedPaths({ a: {} }, {})).toEqual(["a"]);
    // A key added among thousands names only that key.
    const vars = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`K${i}`, String(i)]));
    expect(changedPaths({ env: { vars } }, { env: { vars: { ...vars, NEW: "1" } } })).toEqual(["env.vars.NEW"]);
  });

  it("null deletes, arrays replace, objects merge", () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { a: null, b: { c: 9 }, e: [3] })).toEqual({ b: { c: 9, d: 3 }, e: [3] });
    expect(changedPaths({ b: { c: 2, d: 3 } }, { b: { c: 9, d: 3 }, x: 1 }).sort()).toEqual(["b.c", "x"]);
  });
});

describe("ConfigStore on its own (no gateway)", () => {
  it("a function may return a new object; a merge patch deletes with null; `exists` tells a first write", async () => {
    const path = fresh();
    const store = new ConfigStore({ name: "u", configPath: path });
    const seen: boolean[] = [];
    await store.update((_cfg, { exists }) => {
      seen.push(exists);
      return { gateway: { mode: "local" }, env: { vars: { A: "1", B: "2" } } };
    });
    await store.update((_cfg, { exists }) => void seen.push(exists));
    expect(seen).toEqual([false, true]);
    const r = await store.update({ env: { vars: { A: null } } });
    expect(r).toEqual({ changedPaths: ["env.vars.A"], applied: "file" });
    expect(vars(await store.read())).toEqual({ B: "2" });
    expect(await store.update({ env: { vars: { B: "2" } } })).toEqual({ changedPaths: [], applied: "unchanged" });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("an update that throws is rejected alone; the others of its batch land", async () => {
    const store = new ConfigStore({ name: "u", configPath: fresh() });
    const results = await Promise.allSettled([
      store.update(setVar("A", "1")),
      store.update(() => {
        throw new Error("boom");
      }),
      store.update(setVar("B", "1")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const err = (results[1] as PromiseRejectedResult).reason as ClawhostError;
    expect(err.code).toBe("CLAWHOST_CONFIG_INVALID");
    expect(err.message).toMatch(/^u: config update threw: boom/);
    expect(vars(await store.read())).toEqual({ A: "1", B: "1" });
  });

  it("OpenClaw's meta is kept even when an update drops it, so its start-up restore keeps the write", async () => {
    const path = fresh(JSON.stringify({ meta: { lastTouchedVersion: "2026.9.6" }, gateway: { mode: "local" } }));
    const store = new ConfigStore({ name: "u", configPath: path });
    await store.update(() => ({ gateway: { mode: "local" }, env: { vars: { X: "1" } } }));
    const cfg = JSON.parse(readFileSync(path, "utf8")) as OpenClawConfig;
    expect(cfg.meta).toEqual({ lastTouchedVersion: "2026.9.6" });
    expect(vars(cfg).X).toBe("1");
  });

  it("a JSON5 file (comments, trailing commas) is read; one that does not parse is never written over", async () => {
    const ok = fresh("// mine\n{ gateway: { mode: 'local', }, env: { vars: { A: '1' } } }\n");
    const store = new ConfigStore({ name: "u", configPath: ok });
    await store.update(setVar("B", "2"));
    expect(vars(await store.read())).toEqual({ A: "1", B: "2" });

    const broken = fresh('{ "gateway": { "mode": "local" ');
    const before = readFileSync(broken);
    const err = (await new ConfigStore({ name: "u", configPath: broken }).update(setVar("C", "3")).catch((e: unknown) => e)) as ClawhostError;
    expect(err.code).toBe("CLAWHOST_CONFIG_INVALID");
    expect(err.value).toBe(broken);
    expect(err.fix).toMatch(/repair the file/);
    expect(readFileSync(broken).equals(before)).toBe(true);
  });

  it("rules for owned keys reject an update naming the path and rule; the file stays byte-identical", async () => {
    const path = fresh(JSON.stringify({ gateway: { mode: "local", port: 20000 } }));
    const before = readFileSync(path);
    const store = new ConfigStore({
      name: "u",
      configPath: path,
      owned: (after) => ((after.gateway as { port?: number }).port === 20000 ? [] : [{ path: "gateway.port", rule: "owned by clawhost", message: "must stay 20000" }]),
    });
    const err = (await store.update({ gateway: { port: 1 } }).catch((e: unknown) => e)) as ClawhostError;
    expect(err.code).toBe("CLAWHOST_CONFIG_INVALID");
    expect(err.value).toBe("gateway.port");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("an aborted or timed-out update still waiting (in the queue or for a state) is rejected and never written", async () => {
    const path = fresh();
    const store = new ConfigStore({ name: "u", configPath: path });
    const ac = new AbortController();
    ac.abort(new Error("changed my mind"));
    const aborted = (await store.update(setVar("NO", "1"), { signal: ac.signal }).catch((e: unknown) => e)) as ClawhostError;
    expect(aborted.code).toBe("CLAWHOST_ABORTED");
    // Hold the queue with an update waiting for a gateway state that never comes; one
    // behind it times out while waiting.
    const gate = new Promise<void>(() => undefined);
    const holder = new ConfigStore({
      name: "u",
      configPath: path,
      target: { mode: () => "wait", changed: () => gate, call: () => Promise.reject(new Error("unused")) },
    });
    const first = holder.update(setVar("FIRST", "1"));
    let firstSettled = false;
    first.then(
      () => (firstSettled = true),
      () => (firstSettled = true),
    );
    const late = (await holder.update(setVar("LATE", "1"), { timeoutMs: 50 }).catch((e: unknown) => e)) as ClawhostError;
    expect(late.code).toBe("CLAWHOST_ABORTED");
    expect(late.message).toMatch(/timed out/);
    // The one behind it has timed out meanwhile; the first still waits in the queue.
    expect(firstSettled).toBe(false);
    // One already taken from the queue, waiting for the gateway's next state, times out
    // there too, unwritten; the store goes on with later updates.
    let mode: "wait" | "file" = "wait";
    let next!: () => void;
    const waiter = new ConfigStore({
      name: "u",
      configPath: path,
      target: { mode: () => mode, changed: () => new Promise((r) => (next = r)), call: () => Promise.reject(new Error("unused")) },
    });
    const waiting = (await waiter.update(setVar("WAITING", "1"), { timeoutMs: 50 }).catch((e: unknown) => e)) as ClawhostError;
    expect(waiting.code).toBe("CLAWHOST_ABORTED");
    expect(readdirSync(join(path, "..")).includes("openclaw.json")).toBe(false);
    const later = waiter.update(setVar("LATER", "1"));
    mode = "file";
    next();
    expect((await later).applied).toBe("file");
    expect(vars(await waiter.read())).toEqual({ LATER: "1" });
  });

  it("an edit by someone else is reported as external (the store's own writes are not)", async () => {
    const path = fresh(JSON.stringify({ gateway: { mode: "local" } }));
    const store = new ConfigStore({ name: "u", configPath: path });
    const events: ConfigChange[] = [];
    store.on("config", (c) => events.push(c));
    await store.watch();
    try {
      await store.update(setVar("MINE", "1"));
      const external = new Promise<ConfigChange>((resolve) => store.on("config", (c) => c.source === "external" && resolve(c)));
      const cfg = JSON.parse(readFileSync(path, "utf8")) as OpenClawConfig;
      setVar("THEIRS", "1")(cfg);
      writeFileSync(`${path}.x`, JSON.stringify(cfg));
      renameSync(`${path}.x`, path);
      expect((await external).changedPaths).toEqual(["env.vars.THEIRS"]);
      expect(events.map((e) => e.source)).toEqual(["clawhost", "external"]);
      await store.update(setVar("AFTER", "1"));
      expect(vars(await store.read())).toEqual({ MINE: "1", THEIRS: "1", AFTER: "1" });
    } finally {
      store.unwatch();
    }
  });
});
