// Runs the openclaw package's own install lifecycle once the Node 24 runtime is linked.
//
// openclaw's preinstall refuses Node < 24, and npm runs every dependency's preinstall
// before it links any bin, so on a Node 20 machine the pinned `node@24` is not yet on
// PATH when openclaw's preinstall would run. package.json therefore denies openclaw's
// install scripts (`allowScripts`), and this root postinstall (which npm runs after the
// bins are linked, so `node` here is node_modules/.bin/node) runs the same two scripts,
// in the same order, on a runtime that satisfies openclaw's engines.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = join(root, "node_modules", "openclaw");
if (!existsSync(join(pkgDir, "package.json"))) {
  // Production installs (`--omit=dev`) have no openclaw: nothing to do.
  process.exit(0);
}
const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
for (const event of ["preinstall", "install", "postinstall"]) {
  const script = manifest.scripts?.[event];
  if (!script) continue;
  console.log(`[clawhost] openclaw ${event} on Node ${process.versions.node}: ${script}`);
  const result = spawnSync(script, { cwd: pkgDir, shell: true, stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    console.error(`[clawhost] openclaw ${event} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
}
