// node:test's global setup (`node --test --test-global-setup=examples/testing/node-test/setup.ts`):
// one run dir for every test file's process, so their pools share one lease dir. A run
// interrupted before globalTeardown is removed by its janitor.
import { openTestRun, RUN_DIR_ENV } from "clawhost/testing";
import type { TestRun } from "clawhost/testing";

let run: TestRun | undefined;

export function globalSetup(): void {
  run = openTestRun("");
  process.env[RUN_DIR_ENV] = run.dir;
}

export async function globalTeardown(): Promise<void> {
  await run?.close();
}
