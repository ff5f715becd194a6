import { runCli } from "./program.js";

// The SDK's own timers are unref'd (an embedding app decides when it ends); the command keeps
// the loop alive until its answer is out, so it never ends with exit 0 and nothing printed.
const keepAlive = setInterval(() => undefined, 1 << 30);

// Exit explicitly: a detached fleet's watchers are closed by then, but stdout is flushed (pipes and files are synchronous on Linux).
runCli(process.argv).then(
  (code) => {
    clearInterval(keepAlive);
    process.exit(code);
  },
  (err: unknown) => {
    clearInterval(keepAlive);
    process.stderr.write(`clawhost: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
