import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node22",
  // p-queue is ESM-only: bundle it so the CJS build needs no require(esm).
  noExternal: ["p-queue"],
  // import.meta.url (the config validator worker resolves ajv from it) in the CJS build too.
  shims: true,
});
