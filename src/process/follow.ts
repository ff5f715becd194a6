import { execFile } from "node:child_process";
import { closeSync, fstatSync, openSync, readFileSync, readSync, watch, writeFileSync } from "node:fs";
import { giveBackReadBuffer, takeReadBuffer } from "../fs/read-buffers.js";

/** Where a line of a followed file goes. */
export type FileLineSink = (line: string) => void;

/**
 * Giving back the disk space of what was read: once `afterBytes` more were read, the read
 * prefix is punched out of the file (`fallocate --punch-hole`), so a file the child keeps
 * appending to through its own fd stays small on disk while offsets stay valid. When that
 * fails (no `fallocate`, a filesystem without holes) `onError` is told once and the file
 * is left to grow.
 */
export interface FreeRead {
  afterBytes: number;
  onError(err: unknown): void;
}

const NO_BYTES = Buffer.alloc(0);

/** Punches are whole pages: a partial one is zeroed, not freed. */
const PAGE = 4096;

/** What a follower read of the file when it stopped (`<file>.offset`), for the next host to go on from. */
interface Handoff {
  ino: number;
  offset: number;
}

/** At most this much of what was written while detached is read at an adoption (the reads are synchronous). */
const MAX_RESUME_BYTES = 1024 * 1024;

function handoffPath(path: string): string {
  return `${path}.offset`;
}

/**
 * Where a host adopting a gateway starts reading its output file: where the last follower
 * stopped (the lines written while no host was attached are read, not skipped), when that
 * is still the same file and not past its end; else its end.
 */
export function resumeOffset(path: string): number {
  let size: number;
  let ino: number;
  try {
    const fd = openSync(path, "r");
    try {
      ({ size, ino } = fstatSync(fd));
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
  try {
    const h = JSON.parse(readFileSync(handoffPath(path), "utf8")) as Partial<Handoff>;
    if (h.ino === ino && typeof h.offset === "number" && h.offset >= 0 && h.offset <= size) {
      return size - h.offset <= MAX_RESUME_BYTES ? h.offset : lineStartAfter(path, size - MAX_RESUME_BYTES, size);
    }
  } catch {
    // None, or unreadable: from the end.
  }
  return size;
}

/** The start of the first whole line at or after `from` (or `size` when none begins in the next 64 KiB). */
function lineStartAfter(path: string, from: number, size: number): number {
  const buf = Buffer.alloc(64 * 1024);
  try {
    const fd = openSync(path, "r");
    try {
      const n = readSync(fd, buf, 0, buf.length, from - 1);
      const nl = buf.subarray(0, n).indexOf(0x0a);
      return nl < 0 ? size : from + nl;
    } finally {
      closeSync(fd);
    }
  } catch {
    return size;
  }
}

/**
 * Follow an append-only file from `offset`, line by line (inotify, reads in 64 KiB slices).
 * The returned function stops it and records how far complete lines were read
 * (`<file>.offset`, 0600), so a later {@link resumeOffset} goes on from there.
 */
export function followFile(path: string, offset: number, onLine: FileLineSink, free?: FreeRead): () => void {
  let pos = offset;
  // The bytes after the last newline read: kept as bytes, since a read may end inside a
  // character (offsets count bytes, and a newline never falls inside one).
  let partial: Buffer = NO_BYTES;
  let ino: number | undefined;
  let freed = 0;
  let freeing = false;
  let stopped = false;
  const freeRead = (): void => {
    const upTo = Math.floor((pos - partial.length) / PAGE) * PAGE;
    if (!free || freeing || stopped || upTo - freed < free.afterBytes) return;
    freeing = true;
    execFile("fallocate", ["--punch-hole", "--offset", "0", "--length", String(upTo), path], { timeout: 10_000 }, (err) => {
      freeing = false;
      if (!err) freed = upTo;
      else if (free) {
        free.onError(err);
        free = undefined;
      }
    });
  };
  const drain = (): void => {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return;
    }
    // Synchronous reads: the buffer is back in the shared pool before anything else runs.
    const buf = takeReadBuffer();
    const lines: string[] = [];
    try {
      ino = fstatSync(fd).ino;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        pos += n;
        const chunk = buf.subarray(0, n);
        let start = 0;
        for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
          lines.push(partial.length === 0 ? chunk.toString("utf8", start, nl) : Buffer.concat([partial, chunk.subarray(start, nl)]).toString("utf8"));
          partial = NO_BYTES;
          start = nl + 1;
        }
        // Copied: the read buffer goes back to the pool.
        if (start < n) partial = Buffer.concat([partial, chunk.subarray(start)]);
      }
    } finally {
      closeSync(fd);
      giveBackReadBuffer(buf);
    }
    for (const line of lines) onLine(line);
    freeRead();
  };
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(path, { persistent: false }, drain);
    watcher.on("error", () => watcher?.close());
  } catch {
    // The file is gone; nothing to follow.
  }
  drain();
  return () => {
    stopped = true;
    watcher?.close();
    if (ino === undefined) return;
    const handoff: Handoff = { ino, offset: pos - partial.length };
    try {
      writeFileSync(handoffPath(path), JSON.stringify(handoff), { mode: 0o600 });
    } catch {
      // The gateway's dir is gone: nobody will adopt from it.
    }
  };
}
