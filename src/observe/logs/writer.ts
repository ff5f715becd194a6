import { mkdir } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { createStream } from "rotating-file-stream";
import type { RotatingFileStream } from "rotating-file-stream";

/** The captured output file in a gateway's logs dir; rotated files are `output.1.log` (newest) .. `output.<keepFiles>.log`. */
export const OUTPUT_FILE = "output.log";

/** Name of the `index`-th rotated output file (OpenClaw's scheme: `openclaw.1.log`), or of the active one for 0. */
export function outputFileName(index: number): string {
  return index > 0 ? `output.${index}.log` : OUTPUT_FILE;
}

// Lines waiting for the disk beyond this are dropped (and counted): a stuck disk must not grow the heap.
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const MAX_CHUNK_BYTES = 64 * 1024;
// After a failed open or write, lines are dropped (and counted) this long before the next try.
const RETRY_MS = 5_000;

/** What an {@link OutputWriter} needs. */
export interface OutputWriterInit {
  /** The gateway's logs dir (created 0700 when missing). */
  dir: string;
  maxFileBytes: number;
  keepFiles: number;
  /** The line written in place of `count` lines that could not be written. */
  dropNote(count: number): string;
  /** A failure to open, write or rotate (the writer goes on; it never throws). */
  onError(err: unknown): void;
}

interface Sink {
  stream: RotatingFileStream;
  /** Settlers of the writes this stream has not called back yet. */
  open: Set<(err?: unknown) => void>;
}

/** Whole lines, newline-terminated, written with one write(). */
interface Chunk {
  text: string;
  count: number;
}

/**
 * Writes a gateway's captured output to `<dir>/output.log`, rotated by size with
 * `rotating-file-stream` (classical numbering, `keepFiles` rotated files kept). The lines
 * of one event-loop job go out as one chunk of whole lines in one `write()`, which that
 * library never splits across two files, and writes queue while a rotation runs, so no
 * line is lost or cut at a rotation; a file outgrows `maxFileBytes` by at most one chunk
 * (a quarter of it, at most 64 KiB). Files are created 0600. Nothing here throws or blocks: failures go to `onError`, and lines that cannot be
 * written are counted and replaced by one `dropNote` line once writing works again.
 */
export class OutputWriter {
  readonly #init: OutputWriterInit;
  #sink: Sink | undefined;
  #opening: Promise<void> | undefined;
  readonly #chunkBytes: number;
  #batch: string[] = [];
  #batchBytes = 0;
  #cutQueued = false;
  #pending: Chunk[] = [];
  #pendingBytes = 0;
  #dropped = 0;
  #brokenUntil = 0;
  #inflight = 0;
  #idle: Array<() => void> = [];
  #closed = false;

  constructor(init: OutputWriterInit) {
    this.#init = init;
    // A file outgrows maxFileBytes by at most one chunk: a quarter of it, at most 64 KiB.
    this.#chunkBytes = Math.min(MAX_CHUNK_BYTES, Math.max(1, Math.floor(init.maxFileBytes / 4)));
  }

  /** Write one line (no newline in it). Lines of one event-loop job go to the file as one chunk. */
  write(line: string): void {
    if (this.#closed) return;
    this.#batch.push(line);
    this.#batchBytes += line.length + 1;
    if (this.#batchBytes >= this.#chunkBytes) this.#cut();
    else if (!this.#cutQueued) {
      this.#cutQueued = true;
      queueMicrotask(() => this.#cut());
    }
  }

  // One write() per chunk of whole lines: the library never splits a write across files,
  // and one syscall per chunk keeps up with a burst that one per line cannot.
  #cut(): void {
    this.#cutQueued = false;
    if (this.#batch.length === 0) return;
    const count = this.#batch.length;
    const text = `${this.#batch.join("\n")}\n`;
    this.#batch = [];
    this.#batchBytes = 0;
    if (Date.now() < this.#brokenUntil) {
      this.#dropped += count;
      return;
    }
    const sink = this.#sink;
    if (!sink) {
      if (this.#pendingBytes > MAX_BUFFERED_BYTES) {
        this.#dropped += count;
        return;
      }
      this.#pending.push({ text, count });
      this.#pendingBytes += text.length;
      this.#inflight++;
      this.#opening ??= this.#open();
      return;
    }
    if (sink.stream.writableLength > MAX_BUFFERED_BYTES) {
      this.#dropped += count;
      return;
    }
    if (this.#dropped > 0) {
      const dropped = this.#dropped;
      this.#dropped = 0;
      this.#send(sink, { text: `${this.#init.dropNote(dropped)}\n`, count: 1 });
    }
    this.#send(sink, { text, count });
  }

  /** Resolves once every line written so far reached the file (or failed). */
  flush(): Promise<void> {
    this.#cut();
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Write what is queued and close the file; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#cut();
    this.#closed = true;
    await this.#opening;
    const sink = this.#sink;
    this.#sink = undefined;
    if (!sink) return;
    sink.stream.end();
    await finished(sink.stream).catch(() => undefined);
    for (const settle of [...sink.open]) settle();
  }

  #send(sink: Sink, chunk: Chunk, counted = false): void {
    if (!counted) this.#inflight++;
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      sink.open.delete(settle);
      if (err) this.#dropped += chunk.count;
      this.#settle(1);
    };
    sink.open.add(settle);
    sink.stream.write(chunk.text, settle);
  }

  #settle(n: number): void {
    this.#inflight -= n;
    if (this.#inflight > 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  async #open(): Promise<void> {
    const { dir, maxFileBytes, keepFiles } = this.#init;
    const chunks = (): Chunk[] => {
      const out = this.#pending;
      this.#pending = [];
      this.#pendingBytes = 0;
      return out;
    };
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // With `rotate`, the library names files by index alone (null: the active one).
      const name = (index: number | Date): string => outputFileName(typeof index === "number" ? index : 0);
      const stream = createStream(name, { path: dir, size: `${maxFileBytes}B`, rotate: keepFiles, mode: 0o600 });
      const sink: Sink = { stream, open: new Set() };
      stream.on("error", (err) => this.#failed(sink, err));
      stream.on("warning", (err) => this.#init.onError(err));
      this.#sink = sink;
      for (const chunk of chunks()) this.#send(sink, chunk, true);
    } catch (err) {
      const dropped = chunks();
      for (const chunk of dropped) this.#dropped += chunk.count;
      this.#brokenUntil = Date.now() + RETRY_MS;
      this.#settle(dropped.length);
      this.#init.onError(err);
    } finally {
      this.#opening = undefined;
    }
  }

  // The library closes a stream after an error: the next line after RETRY_MS opens a new one.
  #failed(sink: Sink, err: unknown): void {
    if (this.#sink === sink) this.#sink = undefined;
    this.#brokenUntil = Date.now() + RETRY_MS;
    for (const settle of [...sink.open]) settle(err);
    this.#init.onError(err);
  }
}
