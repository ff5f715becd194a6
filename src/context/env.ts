/** Inherited variables that switch OpenClaw into service-supervised behaviour or break isolation. */
const SCRUBBED_EXACT = new Set([
  "INVOCATION_ID",
  "JOURNAL_STREAM",
  "SYSTEMD_EXEC_PID",
  "NOTIFY_SOCKET",
  "LISTEN_PID",
  "LISTEN_FDS",
  "LISTEN_FDNAMES",
  "WATCHDOG_PID",
  "WATCHDOG_USEC",
  "MANAGERPID",
  "XPC_SERVICE_NAME",
  "XPC_FLAGS",
  "LAUNCH_JOB_LABEL",
  "LAUNCH_JOB_NAME",
  "NODE_COMPILE_CACHE",
  "NODE_DISABLE_COMPILE_CACHE",
  "NODE_OPTIONS",
  "NODE_CHANNEL_FD",
  "NODE_CHANNEL_SERIALIZATION_MODE",
  "INIT_CWD",
  "VITEST",
  "JEST_WORKER_ID",
  "TEST",
]);
const SCRUBBED_PREFIXES = ["OPENCLAW_", "CLAWDBOT_", "CLAWHOST_", "npm_", "VITEST_", "__VITEST", "TSX_"];

/**
 * True for inherited variables the child must not see: every `OPENCLAW_*`, systemd and
 * launchd markers, `NODE_COMPILE_CACHE` (makes openclaw.mjs respawn itself), npm and
 * test-runner variables.
 */
export function isScrubbedEnvKey(key: string): boolean {
  if (SCRUBBED_EXACT.has(key)) return true;
  return SCRUBBED_PREFIXES.some((p) => key.startsWith(p));
}

/**
 * The values last handed out, by key. Every read of `process.env` makes new strings; a
 * value equal to the last one is replaced by that one, so a fleet's contexts share their
 * inherited values instead of each keeping its own copy of the whole environment.
 */
const lastValues = new Map<string, string>();

/** The parent's env without the scrubbed variables. */
export function scrubEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || isScrubbedEnvKey(k)) continue;
    const last = lastValues.get(k);
    if (last === v) out[k] = last;
    else {
      if (last !== undefined || lastValues.size < 4096) lastValues.set(k, v);
      out[k] = v;
    }
  }
  // OpenClaw skips its state-dir lock under NODE_ENV=test (a host run by a test runner
  // would start unguarded gateways); other values are the app's business and pass.
  if (out.NODE_ENV === "test") delete out.NODE_ENV;
  return out;
}

const SECRET_KEY_PATTERN = /TOKEN|SECRET|PASSW|KEY|CREDENTIAL|AUTH|COOKIE|SESSION/i;

/** True for an env key whose value looks secret (a token, key, password, ...). */
export function isSecretEnvKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key);
}

/** A copy of `env` whose secret-looking values are replaced by `"[redacted]"`. */
export function redactEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = SECRET_KEY_PATTERN.test(k) ? "[redacted]" : v;
  return out;
}
