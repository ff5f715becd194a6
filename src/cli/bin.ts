import { runCli } from "./program.js";

// Exit explicitly: a detached fleet's watchers are closed by then, but stdout is flushed (pipes and files are synchronous on Linux).
runCli(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`clawhost: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
