import { hoistNestedDefs } from "./hoist.js";

/** What the validator process is started with (its one argv argument, as JSON). */
export interface ValidatorParams {
  /** The schema cache file. */
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
 */
export const VALIDATOR_PROGRAM = String.raw`
process.title = "clawhost-config-validator";
const { execFile } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");
const hoistNestedDefs = ${hoistNestedDefs.toString()};
const { file, node, entry, entryIsScript, ajvPath, pathEnv } = JSON.parse(process.argv[1]);
const AJV_OPTIONS = { strict: false, allErrors: true, validateFormats: false };
const ajvRequire = createRequire(ajvPath);
let schemaRun;

process.on("disconnect", () => {
  if (schemaRun) schemaRun.kill("SIGKILL");
  process.exit(0);
});

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

function parseOrUndefined(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function load() {
  let schema = parseOrUndefined(readOrUndefined(file, "utf8"));
  if (schema === undefined) schema = JSON.parse(await generateSchema());
  const AjvModule = ajvRequire(ajvPath);
  const Ajv = AjvModule.default || AjvModule;
  return { validate: new Ajv(AJV_OPTIONS).compile(schema) };
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
  });
});
`;
