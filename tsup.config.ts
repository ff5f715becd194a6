import { readFileSync, writeFileSync } from "node:fs";
import { defineConfig } from "tsup";
import { fleetJsonSchema } from "./scripts/fleet-schema.js";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

export default defineConfig([
  {
    entry: {
      index: "src/index.ts",
      "testing/index": "src/testing/index.ts",
      "testing/vitest": "src/testing/vitest.ts",
      "http/index": "src/http/index.ts",
    },
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node22",
    // One copy of the SDK's modules shared by every entry, in both builds (one host-wide sampler, one ClawhostError class per build).
    splitting: true,
    // p-queue is ESM-only: bundle it so the CJS build needs no require(esm). zod bundled
    // keeps only the schema kinds clawhost uses (its package entry loads every locale: ~15 MB RSS).
    // kubernetes-models is ESM-only too (its exports have no require condition); render loads it on first use.
    noExternal: ["p-queue", "zod", "kubernetes-models", /^@kubernetes-models\//],
    // Its format checks require Node's deprecated punycode builtin: the userland package of the same code instead.
    esbuildOptions(options) {
      options.alias = { ...options.alias, punycode: "punycode/" };
    },
    // vitest is an optional peer of clawhost/testing/vitest, never bundled.
    external: ["vitest", "vitest/node"],
    // import.meta.url (the config validator worker resolves ajv from it) in the CJS build too.
    shims: true,
  },
  {
    // The `clawhost` command: ESM only, the SDK bundled in (it uses only the public API).
    entry: { "cli/bin": "src/cli/bin.ts" },
    format: ["esm"],
    sourcemap: true,
    clean: false,
    target: "node22",
    noExternal: ["p-queue", "zod", "kubernetes-models", /^@kubernetes-models\//],
    esbuildOptions(options) {
      options.alias = { ...options.alias, punycode: "punycode/" };
    },
    banner: { js: "#!/usr/bin/env node" },
    define: { CLAWHOST_VERSION: JSON.stringify(version) },
    // The fleet file's JSON Schema, from the same zod schema: `$schema` gives editors completion.
    onSuccess: async () => writeFileSync("dist/fleet.schema.json", `${JSON.stringify(fleetJsonSchema(), null, 2)}\n`),
  },
]);
