import { hoistNestedDefs } from "./hoist.js";

/** What the validator process is started with (its one argv argument, as JSON). */
export interface ValidatorParams {
  /** The schema cache file; the compiled validator is cached beside it. */
  file: string;
  node: string;
  entry: string;
  entryIsScript: boolean;
  ajvPath: string;
  pathEnv: string;
}

/**
 * The config validator process, run as `node -e <this> <params>` with an IPC channel.
 * It gets OpenClaw's schema (the cache file, else `openclaw config schema` in a scratch
 * environment, so no gateway's state is touched), turns it into a validator, answers
 * `{id, config}` with `{id, issues}` or `{id, failure}` in order, and exits when the
 * channel closes (the host ended it, or died).
 *
 * The validator is ajv's standalone code for the schema, cached beside the schema file
 * (`<schema>.validator.js`, first line: the key it was built for and its own sha256)
 * together with V8's code cache for it (`<schema>.validator.v8`, after the first check):
 * a life that finds both is ready in ~0.2-0.5 s at a ~140 MB peak instead of compiling
 * the schema (~4-12 s on a busy 2-core machine, ~560 MB). Both are written atomically
 * and checked by hash before use; a missing, stale or corrupt one is rebuilt. Code is
 * only cached in, and run from, a directory that no other user can write.
 */
export const VALIDATOR_PROGRAM = String.raw`
process.title = "clawhost-config-validator";
const { execFile } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const { createRequire } = require("node:module");
const hoistNestedDefs = ${hoistNestedDefs.toString()};
const { file, node, entry, entryIsScript, ajvPath, pathEnv } = JSON.parse(process.argv[1]);
const AJV_OPTIONS = { strict: false, allErrors: true, validateFormats: false };
const ajvRequire = createRequire(ajvPath);
const stem = file.replace(/\.json$/, "");
const codeFile = stem + ".validator.js";
const v8File = stem + ".validator.v8";
let schemaRun;

process.on("disconnect", () => {
  if (schemaRun) schemaRun.kill("SIGKILL");
  process.exit(0);
});

const sha256 = (data) => crypto.createHash("sha256").update(data).digest("hex");

function writeAtomic(target, data) {
  const tmp = target + "." + process.pid + ".tmp";
  try {
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function readOrUndefined(f, encoding) {
  try {
    return fs.readFileSync(f, encoding);
  } catch {
    return undefined;
  }
}

// Code runs from the cache only when no other user can have written it.
function cacheTrusted() {
  try {
    const st = fs.lstatSync(path.dirname(file));
    return st.isDirectory() && st.uid === process.getuid() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function generateSchema() {
  const scratch = path.join(path.dirname(file), "scratch-" + process.pid + "-" + Date.now());
  fs.mkdirSync(path.join(scratch, "state"), { recursive: true, mode: 0o700 });
  const env = {
    PATH: pathEnv,
    HOME: scratch,
    TMPDIR: scratch,
    OPENCLAW_STATE_DIR: path.join(scratch, "state"),
    OPENCLAW_CONFIG_PATH: path.join(scratch, "state", "openclaw.json"),
    OPENCLAW_NO_RESPAWN: "1",
  };
  const [cmd, args] = entryIsScript ? [node, [entry, "config", "schema"]] : [entry, ["config", "schema"]];
  return new Promise((resolve, reject) => {
    const opts = { env, cwd: scratch, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 120000, killSignal: "SIGKILL" };
    schemaRun = execFile(cmd, args, opts, (err, stdout, stderr) => {
      schemaRun = undefined;
      fs.rmSync(scratch, { recursive: true, force: true });
      let schema;
      try {
        schema = JSON.parse(stdout);
      } catch {
        const status = err && typeof err.code === "number" ? err.code : err ? null : 0;
        return reject(Object.assign(new Error("openclaw config schema gave no JSON (exit " + status + ")"), {
          status,
          stderr: String(stderr || "").split("\n").slice(-10),
        }));
      }
      try {
        const text = JSON.stringify(hoistNestedDefs(schema));
        writeAtomic(file, text);
        resolve(text);
      } catch (e) {
        reject(e);
      }
    });
  });
}

// The cached code's header: "// clawhost-validator <key> <sha256 of the rest>".
function cachedCode(key) {
  const buf = readOrUndefined(codeFile);
  if (buf === undefined) return undefined;
  const nl = buf.indexOf(10);
  if (nl < 0 || nl > 300) return undefined;
  const [tag, k, hash] = buf.subarray(0, nl).toString("latin1").split(" ").slice(1);
  const body = buf.subarray(nl + 1);
  return tag === "clawhost-validator" && k === key && hash === sha256(body) ? { body: body.toString("utf8"), hash } : undefined;
}

// The V8 cache's header: "clawhost-v8 <sha256 of the code it was made from> <sha256 of the rest>\n".
function cachedV8(codeHash) {
  const buf = readOrUndefined(v8File);
  if (buf === undefined) return undefined;
  const nl = buf.indexOf(10);
  if (nl < 0 || nl > 200) return undefined;
  const [tag, forCode, hash] = buf.subarray(0, nl).toString("latin1").split(" ");
  const data = buf.subarray(nl + 1);
  return tag === "clawhost-v8" && forCode === codeHash && hash === sha256(data) ? data : undefined;
}

function runCode(body, codeHash) {
  const cachedData = cachedV8(codeHash);
  const script = new vm.Script("(function (require, module, exports) {" + body + "\n})", { filename: codeFile, cachedData });
  const mod = { exports: {} };
  const runtimeOnly = (id) => {
    if (!/^ajv\/dist\/runtime\/[\w-]+$/.test(id)) throw new Error("the cached validator asked for " + id);
    return ajvRequire(id);
  };
  script.runInThisContext()(runtimeOnly, mod, mod.exports);
  const validate = mod.exports.default || mod.exports;
  if (typeof validate !== "function") throw new Error("the cached validator exports no function");
  // Made after the first check, the V8 cache also holds the functions that check compiled.
  const afterFirst =
    cachedData && !script.cachedDataRejected
      ? undefined
      : () => {
          try {
            const data = script.createCachedData();
            writeAtomic(v8File, Buffer.concat([Buffer.from("clawhost-v8 " + codeHash + " " + sha256(data) + "\n", "latin1"), data]));
          } catch {}
        };
  return { validate, afterFirst };
}

function parseOrUndefined(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function cacheKey(text) {
  const ajvVersion = ajvRequire("ajv/package.json").version;
  return sha256(JSON.stringify({ format: 1, ajvVersion, AJV_OPTIONS }) + "\n" + text);
}

// Code built from this very schema text: no parse and no compile.
function fromCache(text) {
  const cached = cachedCode(cacheKey(text));
  if (!cached) return undefined;
  try {
    return runCode(cached.body, cached.hash);
  } catch {
    return undefined;
  }
}

function compile(text, schema, trusted) {
  const AjvModule = ajvRequire(ajvPath);
  const Ajv = AjvModule.default || AjvModule;
  if (!trusted) return { validate: new Ajv(AJV_OPTIONS).compile(schema) };
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const compiled = ajv.compile(schema);
  const standalone = ajvRequire(path.join(path.dirname(ajvPath), "standalone")).default;
  const body = standalone(ajv, compiled);
  const hash = sha256(body);
  try {
    writeAtomic(codeFile, "// clawhost-validator " + cacheKey(text) + " " + hash + "\n" + body);
    return runCode(body, hash);
  } catch {
    return { validate: compiled };
  }
}

async function load() {
  const trusted = cacheTrusted();
  let text = readOrUndefined(file, "utf8");
  const hit = text !== undefined && trusted ? fromCache(text) : undefined;
  if (hit) return hit;
  let schema = parseOrUndefined(text);
  if (schema === undefined) {
    text = await generateSchema();
    schema = JSON.parse(text);
  }
  return compile(text, schema, trusted);
}

const ready = load().catch((err) => ({
  failure: { message: String(err && err.message), status: err && err.status, stderr: err && err.stderr },
}));

function issuesOf(errors) {
  return (errors || []).slice(0, 10).map((e) => {
    const base = e.instancePath.split("/").filter(Boolean).join(".");
    const extra = e.params && e.params.additionalProperty;
    const p = extra ? (base ? base + "." + extra : extra) : base || "(root)";
    return { path: p, rule: "schema: " + e.keyword, message: extra ? "is not a known key" : e.message || e.keyword };
  });
}

process.on("message", ({ id, config }) => {
  ready.then((state) => {
    if (state.failure) return process.send({ id, failure: state.failure });
    try {
      process.send({ id, issues: state.validate(config) ? [] : issuesOf(state.validate.errors) });
    } catch (err) {
      return process.send({ id, failure: { message: "the config check threw: " + String(err && err.message) } });
    }
    const after = state.afterFirst;
    state.afterFirst = undefined;
    if (after) setImmediate(after);
  });
});
`;
