import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real gateways need ~8-18 s to become ready on 2 cores; no retries, no timed assertions.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    retry: 0,
    globalSetup: ["test/global-setup.ts"],
  },
  resolve: {
    alias: { clawhost: new URL("./src/index.ts", import.meta.url).pathname },
  },
});
