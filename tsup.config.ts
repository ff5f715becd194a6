import { readFileSync, writeFileSync } from "node:fs";
import { defineConfig } from "tsup";
import { fleetJsonSchema } from "./scripts/fleet-schema.js";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

export default defineConfig([
  {
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
  },
  {
    // The `clawhost` command: ESM only, the SDK bundled in (it uses only the public API).
    entry: { "cli/bin": "src/cli/bin.ts" },
    format: ["esm"],
    sourcemap: true,
    clean: false,
    target: "node22",
    noExternal: ["p-queue"],
    banner: { js: "#!/usr/bin/env node" },
    define: { CLAWHOST_VERSION: JSON.stringify(version) },
    // The fleet file's JSON Schema, from the same zod schema: `$schema` gives editors completion.
    onSuccess: async () => writeFileSync("dist/fleet.schema.json", `${JSON.stringify(fleetJsonSchema(), null, 2)}\n`),
  },
]);
