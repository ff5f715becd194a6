import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { ClawhostError } from "../errors.js";
import type { ResolvedRuntime } from "../process/runtime.js";

/** One rule the config breaks: the dotted path and what the schema says. */
export interface ConfigIssue {
  path: string;
  rule: string;
  message: string;
}

/** Validates a whole OpenClaw config; resolves to the issues (empty when valid). */
export type ConfigValidator = (config: unknown) => Promise<ConfigIssue[]>;

type JsonNode = Record<string, unknown>;

/**
 * Plugin schemas inside OpenClaw's schema keep `$defs` of their own but point at them
 * with root-relative `#/$defs/x`: move them to the root (renamed, refs rewritten) so a
 * validator can resolve them. Self-contained: it also runs inside the validator worker.
 */
export function hoistNestedDefs(schema: JsonNode): JsonNode {
  let n = 0;
  const rootDefs = ((schema.definitions as JsonNode | undefined) ??= {});
  const rewrite = (node: unknown, map: Map<string, string>): void => {
    if (Array.isArray(node)) return node.forEach((v) => rewrite(v, map));
    if (!node || typeof node !== "object") return;
    const o = node as JsonNode;
    if (typeof o.$ref === "string") {
      const m = /^#\/\$defs\/(.+)$/.exec(o.$ref);
      if (m && map.has(m[1]!)) o.$ref = `#/definitions/${map.get(m[1]!)}`;
    }
    for (const v of Object.values(o)) rewrite(v, map);
  };
  const hoist = (node: unknown, isRoot: boolean): void => {
    if (Array.isArray(node)) return node.forEach((v) => hoist(v, false));
    if (!node || typeof node !== "object") return;
    const o = node as JsonNode;
    for (const v of Object.values(o)) hoist(v, false);
    const defs = o.$defs;
    if (!isRoot && defs && typeof defs === "object" && !Array.isArray(defs)) {
      const map = new Map(Object.keys(defs).map((name) => [name, `nested${n++}_${name}`]));
      rewrite(o, map);
      for (const [name, def] of Object.entries(defs)) rootDefs[map.get(name)!] = def;
      delete o.$defs;
    }
  };
  hoist(schema, true);
  return schema;
}

/** Where the schema of one installed OpenClaw is cached (per version and package dir). */
export function schemaCacheFile(runtime: ResolvedRuntime): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  const key = createHash("sha256").update(runtime.packageDir).digest("hex").slice(0, 8);
  return join(tmpdir(), `clawhost-cache-${uid}`, `openclaw-config-schema-${runtime.openclawVersion}-${key}.json`);
}

// The worker: gets OpenClaw's schema (cache file, else `openclaw config schema` in a scratch
// environment, so no gateway's state is touched), compiles it with ajv (~2.5 s for its
// 2.4 MB) and validates configs (a few ms each), all off the host's event loop.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const hoistNestedDefs = ${hoistNestedDefs.toString()};
const { file, node, entry, entryIsScript, ajvPath, pathEnv } = workerData;
function loadSchema() {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {}
  const scratch = path.join(path.dirname(file), "scratch-" + process.pid + "-" + Date.now());
  fs.mkdirSync(path.join(scratch, "state"), { recursive: true, mode: 0o700 });
  try {
    const env = {
      PATH: pathEnv,
      HOME: scratch,
      TMPDIR: scratch,
      OPENCLAW_STATE_DIR: path.join(scratch, "state"),
      OPENCLAW_CONFIG_PATH: path.join(scratch, "state", "openclaw.json"),
    };
    const [cmd, args] = entryIsScript ? [node, [entry, "config", "schema"]] : [entry, ["config", "schema"]];
    const r = spawnSync(cmd, args, { env, cwd: scratch, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 120000 });
    let schema;
    try {
      schema = JSON.parse(r.stdout);
    } catch {
      throw Object.assign(new Error("openclaw config schema gave no JSON (exit " + r.status + ")"), {
        status: r.status,
        stderr: String(r.stderr || "").split("\\n").slice(-10),
      });
    }
    hoistNestedDefs(schema);
    const tmp = file + "." + process.pid + ".tmp";
    fs.writeFileSync(tmp, JSON.stringify(schema));
    fs.renameSync(tmp, file);
    return schema;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
let validate, failure;
try {
  const AjvModule = require(ajvPath);
  const Ajv = AjvModule.default || AjvModule;
  validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(loadSchema());
} catch (err) {
  failure = { message: String(err && err.message), status: err && err.status, stderr: err && err.stderr };
}
parentPort.on("message", ({ id, config }) => {
  if (failure) return parentPort.postMessage({ id, failure });
  if (validate(config)) return parentPort.postMessage({ id, issues: [] });
  const issues = (validate.errors || []).slice(0, 10).map((e) => {
    const base = e.instancePath.split("/").filter(Boolean).join(".");
    const extra = e.params && e.params.additionalProperty;
    const p = extra ? (base ? base + "." + extra : extra) : base || "(root)";
    return { path: p, rule: "schema: " + e.keyword, message: extra ? "is not a known key" : e.message || e.keyword };
  });
  parentPort.postMessage({ id, issues });
});
`;

interface Reply {
  id: number;
  issues?: ConfigIssue[];
  failure?: { message: string; status?: number | null; stderr?: string[] };
}

const validators = new Map<string, ConfigValidator>();

/** A validator worker with nothing to check for this long is ended. */
const VALIDATOR_IDLE_MS = 30_000;

/**
 * A validator for the installed OpenClaw's own config schema (`openclaw config schema`,
 * JSON Schema draft-07, ~2.4 MB), run in a worker thread so neither loading, compiling
 * nor checking ever blocks the host's event loop. One worker per process and schema,
 * started on first use, unref'd (it never keeps a process alive), and ended after
 * `idleMs` without a request: the compiled schema holds tens of MB that an idle host
 * should not keep (the next update compiles it again, ~2.7 s off the event loop).
 */
export function openClawValidator(runtime: ResolvedRuntime, idleMs = VALIDATOR_IDLE_MS): ConfigValidator {
  const file = schemaCacheFile(runtime);
  const existing = validators.get(file);
  if (existing) return existing;
  let worker: Worker | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let next = 0;
  const waiting = new Map<number, { resolve: (i: ConfigIssue[]) => void; reject: (e: unknown) => void }>();
  const failAll = (err: unknown): void => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
    worker = undefined;
  };
  const retireWhenIdle = (w: Worker): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (worker !== w || waiting.size > 0) return;
      worker = undefined;
      void w.terminate();
    }, idleMs).unref();
  };
  const start = (): Worker => {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      // The host's flags (--input-type=module, say) must not turn this CommonJS source into ESM.
      execArgv: [],
      workerData: {
        file,
        node: runtime.node,
        entry: runtime.entry,
        entryIsScript: runtime.entryIsScript,
        ajvPath: createRequire(import.meta.url).resolve("ajv"),
        pathEnv: [dirname(runtime.node), process.env.PATH ?? ""].join(delimiter),
      },
    });
    w.unref();
    w.on("message", (reply: Reply) => {
      const entry = waiting.get(reply.id);
      if (!entry) return;
      waiting.delete(reply.id);
      if (waiting.size === 0) {
        w.unref();
        retireWhenIdle(w);
      }
      if (reply.failure) {
        entry.reject(
          new ClawhostError("CLAWHOST_SCHEMA_UNAVAILABLE", `could not load OpenClaw's config schema: ${reply.failure.message}.`, {
            value: reply.failure.status,
            fix: "check the openclaw installation (`npx openclaw config schema`).",
            details: { stderr: reply.failure.stderr ?? [] },
          }),
        );
      } else entry.resolve(reply.issues ?? []);
    });
    w.on("error", failAll);
    w.on("exit", () => {
      if (worker === w) failAll(new Error("the config validator worker exited"));
    });
    return w;
  };
  const validator: ConfigValidator = (config) =>
    new Promise((resolve, reject) => {
      worker ??= start();
      clearTimeout(idleTimer);
      const id = next++;
      waiting.set(id, { resolve, reject });
      // Keep the process alive only while an answer is awaited.
      worker.ref();
      worker.postMessage({ id, config });
    });
  validators.set(file, validator);
  return validator;
}
