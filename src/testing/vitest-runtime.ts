import { createRequire } from "node:module";
import { dirname, join } from "node:path";

type Vitest = typeof import("vitest");
let loaded: Vitest | undefined;

/**
 * vitest's ESM entry, loaded on first use with require(esm): vitest refuses require()
 * of its CJS entry, and `test.extend` may only run inside a test file, never in a
 * globalSetup that imports this module. Node's ESM cache is shared, so this is the very
 * instance the test file imported.
 */
export function vitest(): Vitest {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("vitest/package.json");
  const pkg = require(pkgPath) as { exports: { ".": { import: { default: string } } } };
  loaded = require(join(dirname(pkgPath), pkg.exports["."].import.default)) as Vitest;
  return loaded;
}
