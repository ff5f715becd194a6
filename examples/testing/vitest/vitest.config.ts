// The example suite's own config: `npx vitest run --config examples/testing/vitest/vitest.config.ts`.
// In an app: `globalSetup: ["./test/clawhost.setup.ts"]` and nothing else clawhost-specific.
import { defineConfig } from "vitest/config";
import { sourceAliases } from "../../../vitest.config.ts";

export default defineConfig({
  test: {
    root: new URL(".", import.meta.url).pathname,
    include: ["*.test.ts"],
    globalSetup: ["./clawhost.setup.ts"],
    // A real gateway boots in 8-18 s on 2 cores.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
  // This repository resolves clawhost from its sources; an app gets it from node_modules.
  resolve: { alias: sourceAliases },
});
