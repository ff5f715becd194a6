import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * The one atomic writer: a temp file in the same dir, fsync, rename over the target,
 * fsync the dir. Readers see the old bytes or the new, never a mix; the file is created
 * with `mode` (default 0600). Used for configs, run records, the lease registry and
 * every other file clawhost replaces.
 *
 * @example
 * ```ts
 * await writeFileAtomic("/srv/gw/main/gateway.run.json", JSON.stringify(record));
 * ```
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** True for the temp files {@link writeFileAtomic} makes for `target` (left behind by a killed writer). */
export function isAtomicTemp(target: string, name: string): boolean {
  return name.startsWith(`.${basename(target)}.`) && name.endsWith(".tmp");
}
