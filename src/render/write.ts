import { chmod, mkdir } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { ClawhostError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic.js";
import { fsError } from "../fs/errors.js";
import type { RenderedFile } from "./options.js";

/** One file {@link writeRenderedFiles} wrote. */
export interface WrittenFile {
  /** As rendered: relative to the output dir. */
  path: string;
  /** Its mode, octal (`"0600"`). */
  mode: string;
  bytes: number;
}

/**
 * Write what `renderSystemd` or `renderKubernetes` returned into `out` (created 0700, as
 * are its subdirectories): each file through clawhost's one atomic writer (created 0600,
 * so a token is never readable by others, not even for a moment; then given its `mode`,
 * default 0644). A path that would land outside `out` is refused before anything is
 * written (`CLAWHOST_INVALID_ARGUMENT`).
 *
 * @example
 * ```ts
 * import { renderSystemd, writeRenderedFiles } from "clawhost";
 * const written = await writeRenderedFiles("units", await renderSystemd(fleet, { name: "prod" }));
 * ```
 */
export async function writeRenderedFiles(out: string, files: readonly RenderedFile[]): Promise<WrittenFile[]> {
  const dir = resolve(out);
  const targets = files.map((f) => {
    const target = resolve(dir, f.path);
    const rel = relative(dir, target);
    if (rel === "" || rel.startsWith("..")) {
      throw new ClawhostError("CLAWHOST_INVALID_ARGUMENT", `rendered file ${JSON.stringify(f.path)} would land outside ${dir}; nothing was written.`, {
        value: f.path,
        fix: "give each rendered file a relative path inside the output directory.",
      });
    }
    return target;
  });
  const written: WrittenFile[] = [];
  for (const [i, f] of files.entries()) {
    const target = targets[i]!;
    const mode = f.mode ?? 0o644;
    try {
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await writeFileAtomic(target, f.content);
      await chmod(target, mode);
    } catch (err) {
      throw fsError(err, target, "writing a rendered file");
    }
    written.push({ path: f.path, mode: mode.toString(8).padStart(4, "0"), bytes: Buffer.byteLength(f.content) });
  }
  return written;
}
