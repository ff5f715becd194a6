import type { LogRecord } from "./types.js";

/**
 * The last `capacity` records of one gateway, numbered by an increasing `seq` (from 1),
 * in a fixed array: memory stays at `capacity` records whatever the output rate. Readers
 * are cursors into it (see `LogReader`), never queues of their own.
 */
export class LogRing {
  readonly capacity: number;
  readonly #slots: Array<LogRecord | undefined>;
  #last = 0;
  #closed = false;
  /** Resolved by the next append (or close); made only while someone waits. */
  #appended: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(capacity: number) {
    this.capacity = capacity;
    // Grown as records come (filled in order): a quiet gateway's ring stays small.
    this.#slots = [];
  }

  /** `seq` of the newest record (0 before the first). */
  get lastSeq(): number {
    return this.#last;
  }

  /** `seq` of the oldest record still kept (`lastSeq + 1` when empty). */
  get firstSeq(): number {
    return Math.max(1, this.#last - this.capacity + 1);
  }

  /** Closed: no more records come; waiting readers are woken to finish. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Keep `make(seq)`, the record with the next `seq`. */
  append(make: (seq: number) => LogRecord): LogRecord {
    const record = make(this.#last + 1);
    this.#last = record.seq;
    this.#slots[record.seq % this.capacity] = record;
    this.#wake();
    return record;
  }

  /** The record with this `seq`, when it is still kept. */
  get(seq: number): LogRecord | undefined {
    return seq >= this.firstSeq && seq <= this.#last ? this.#slots[seq % this.capacity] : undefined;
  }

  /** Resolves at the next append or close. */
  nextAppend(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#appended ??= withResolvers();
    return this.#appended.promise;
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#appended;
    if (!waiting) return;
    this.#appended = undefined;
    waiting.resolve();
  }
}

/** A promise and its resolve function. */
export function withResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
