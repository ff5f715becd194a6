import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node22",
  // p-queue is ESM-only: bundle it so the CJS build needs no require(esm). zod bundled
  // keeps only the schema kinds clawhost uses (its package entry loads every locale: ~15 MB RSS).
  noExternal: ["p-queue", "zod"],
  // import.meta.url (the config validator worker resolves ajv from it) in the CJS build too.
  shims: true,
});
