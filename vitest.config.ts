import { defineConfig } from "vitest/config";

/** `clawhost` and its subpaths, from the sources (more specific first). */
export const sourceAliases = [
  { find: /^clawhost\/testing\/vitest$/, replacement: new URL("./src/testing/vitest.ts", import.meta.url).pathname },
  { find: /^clawhost\/http$/, replacement: new URL("./src/http/index.ts", import.meta.url).pathname },
  { find: /^clawhost\/testing$/, replacement: new URL("./src/testing/index.ts", import.meta.url).pathname },
  { find: /^clawhost$/, replacement: new URL("./src/index.ts", import.meta.url).pathname },
];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real gateways need ~8-18 s to become ready on 2 cores; no retries, no timed assertions.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Two files at a time: a gateway suite mostly waits on its gateways (one core each), and
    // vitest's default here (cores - 1) would leave one of two cores idle. Each file's
    // gateways have their own lease dir and port range, so two never meet.
    maxWorkers: 2,
    retry: 0,
    globalSetup: ["test/global-setup.ts"],
  },
  resolve: {
    alias: sourceAliases,
  },
});
