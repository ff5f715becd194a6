import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, extname } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { giveBackReadBuffer, takeReadBuffer } from "../../fs/read-buffers.js";

/** Rotated files OpenClaw keeps beside its active log file (`MAX_ROTATED_LOG_FILES`). */
export const OPENCLAW_ROTATED_FILES = 5;

/**
 * OpenClaw's name for the `index`-th rotated copy of its log file: the index goes before
 * the extension (`openclaw.log` -> `openclaw.1.log` .. `openclaw.5.log`, `.1` newest).
 */
export function openclawRotatedPath(file: string, index: number): string {
  const ext = extname(file);
  return `${file.slice(0, file.length - ext.length)}.${index}${ext}`;
}

// A line longer than this without a newline is passed on in pieces: memory stays bounded.
const MAX_PARTIAL_CHARS = 1024 * 1024;

/** What a {@link FileTail} follows and where its lines go. */
export interface FileTailInit {
  /** The active file (it may not exist yet). */
  path: string;
  /** Path of the `index`-th rotated copy (1 newest). Default: OpenClaw's scheme. */
  rotatedPath?: (index: number) => string;
  /** How many rotated copies exist at most. Default 5 (OpenClaw). */
  maxRotated?: number;
  /** Where to begin in a file that exists at `start()`: its end (default) or its start. */
  from?: "end" | "start";
  onLine(line: string): void;
  /** A failure to watch or read (the tail goes on with the next change). */
  onError?(err: unknown): void;
}

/**
 * Follows a file line by line as another process appends to it, through inotify on its
 * directory (no polling). It survives the writer's rotation by rename (the old file is
 * read to its end first, then any newer rotated copy it missed, then the new file from
 * its start, so no line is lost at a rotation), a truncation (read again from the start),
 * and a delete and re-create. Reads are asynchronous and in chunks: a large backlog never
 * blocks the event loop.
 *
 * @example
 * ```ts
 * const tail = new FileTail({ path: ctx.logFile, onLine: (l) => console.log(l) });
 * await tail.start();
 * // ...
 * await tail.close();
 * ```
 */
export class FileTail {
  readonly #init: FileTailInit;
  readonly #rotatedPath: (index: number) => string;
  #watcher: FSWatcher | undefined;
  #fh: FileHandle | undefined;
  #ino = -1;
  #pos = 0;
  #decoder = new StringDecoder("utf8");
  #partial = "";
  #draining: Promise<void> | undefined;
  #again = false;
  #ready = false;
  #closed = false;
  // Held only while a drain runs: a fleet of idle gateways keeps no read buffer each.
  #chunk: Buffer | undefined;

  constructor(init: FileTailInit) {
    this.#init = init;
    this.#rotatedPath = init.rotatedPath ?? ((i) => openclawRotatedPath(init.path, i));
  }

  /** Begin following; resolves once the current end (or start) of the file is known. */
  async start(): Promise<void> {
    if (this.#watcher || this.#closed) return;
    const { path } = this.#init;
    const stem = basename(path, extname(path));
    try {
      this.#watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name === null || name.startsWith(stem)) this.#kick();
      });
      this.#watcher.on("error", (err) => this.#init.onError?.(err));
    } catch (err) {
      this.#init.onError?.(err);
      return;
    }
    try {
      const fh = await open(path, "r");
      const st = await fh.stat();
      this.#fh = fh;
      this.#ino = st.ino;
      this.#pos = this.#init.from === "start" ? 0 : st.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.#init.onError?.(err);
    }
    if (this.#closed) return this.#closeFile();
    // Events before this point are covered: the first drain reads from the position just set.
    this.#ready = true;
    this.#kick();
  }

  /** Resolves once what was written before the call has been read (tests; a stop). */
  async settled(): Promise<void> {
    this.#kick();
    while (this.#draining) await this.#draining;
  }

  /** Stop following and close the file; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    while (this.#draining) await this.#draining;
    await this.#closeFile();
  }

  #kick(): void {
    if (this.#closed || !this.#ready) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = (async () => {
      do {
        this.#again = false;
        try {
          await this.#drain();
        } catch (err) {
          this.#init.onError?.(err);
        }
      } while (this.#again && !this.#closed);
      if (this.#chunk) giveBackReadBuffer(this.#chunk);
      this.#chunk = undefined;
      this.#draining = undefined;
    })();
  }

  async #drain(): Promise<void> {
    const { path } = this.#init;
    for (;;) {
      if (this.#closed) return;
      if (this.#fh) await this.#readToEnd();
      let st;
      try {
        st = await stat(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // Rotated away, not re-created yet.
        throw err;
      }
      if (this.#fh && st.ino === this.#ino) {
        if (st.size >= this.#pos) return;
        // Truncated in place: what is there now is new.
        this.#endLine();
        this.#pos = 0;
        continue;
      }
      if (this.#fh) {
        // Appended to before it was renamed, after our last read: read it to its end first.
        await this.#readToEnd();
        this.#endLine();
        await this.#readMissedRotations();
        await this.#closeFile();
      }
      const fh = await open(path, "r");
      this.#fh = fh;
      this.#ino = (await fh.stat()).ino;
      this.#pos = 0;
    }
  }

  async #readToEnd(): Promise<void> {
    const fh = this.#fh!;
    for (;;) {
      const buf = (this.#chunk ??= takeReadBuffer());
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.#pos);
      if (bytesRead <= 0) return;
      this.#pos += bytesRead;
      this.#take(this.#decoder.write(buf.subarray(0, bytesRead)));
      if (this.#closed) return;
    }
  }

  // The file we read was rotated away; copies rotated after it (between it and the new
  // active file) were never the active file while we looked: read them whole, oldest first.
  async #readMissedRotations(): Promise<void> {
    const max = this.#init.maxRotated ?? OPENCLAW_ROTATED_FILES;
    let found = 0;
    for (let i = 1; i <= max; i++) {
      const st = await stat(this.#rotatedPath(i)).catch(() => undefined);
      if (st?.ino === this.#ino) {
        found = i;
        break;
      }
    }
    for (let i = found - 1; i >= 1; i--) {
      let fh: FileHandle;
      try {
        fh = await open(this.#rotatedPath(i), "r");
      } catch {
        continue; // Rotated further or removed meanwhile.
      }
      try {
        let pos = 0;
        for (;;) {
          const buf = (this.#chunk ??= takeReadBuffer());
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead <= 0) break;
          pos += bytesRead;
          this.#take(this.#decoder.write(buf.subarray(0, bytesRead)));
        }
        this.#endLine();
      } finally {
        await fh.close().catch(() => undefined);
      }
    }
  }

  #take(text: string): void {
    const lines = (this.#partial + text).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) this.#emit(line);
    while (this.#partial.length > MAX_PARTIAL_CHARS) {
      this.#emit(this.#partial.slice(0, MAX_PARTIAL_CHARS));
      this.#partial = this.#partial.slice(MAX_PARTIAL_CHARS);
    }
  }

  // The end of a file: a last line without a newline is a line too.
  #endLine(): void {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = "";
    this.#decoder = new StringDecoder("utf8");
    if (rest !== "") this.#emit(rest);
  }

  #emit(line: string): void {
    try {
      this.#init.onLine(line);
    } catch (err) {
      this.#init.onError?.(err);
    }
  }

  async #closeFile(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close().catch(() => undefined);
  }
}
