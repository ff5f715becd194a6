import type { LogRing } from "./ring.js";
import { withResolvers } from "./ring.js";
import type { LogRecord, LogsQuery } from "./types.js";

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One reader of a gateway's logs: a cursor into its ring, so a slow reader costs nothing
 * and cannot hold memory; when the ring has moved past the cursor it gets one `gap`
 * record saying how many records it missed, then goes on with what is kept. It ends when
 * it has caught up (without `follow`), when `signal` aborts, when the consumer stops
 * (`break`, `return()`), or when the logs are closed; it never throws.
 */
export class LogReader implements AsyncIterableIterator<LogRecord, undefined> {
  readonly #ring: LogRing;
  readonly #gateway: string;
  readonly #follow: boolean;
  readonly #signal: AbortSignal | undefined;
  readonly #wanted: (r: LogRecord) => boolean;
  #next: number;
  #done = false;
  #cancel = withResolvers();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(ring: LogRing, gateway: string, query: LogsQuery) {
    this.#ring = ring;
    this.#gateway = gateway;
    this.#follow = query.follow ?? false;
    this.#signal = query.signal;
    const sources = query.sources ? new Set(query.sources) : undefined;
    this.#wanted = sources ? (r) => sources.has(r.source) : () => true;
    // A `since` past the newest record (a seq of an earlier host process) means: from now.
    let start = query.since === undefined ? ring.firstSeq : Math.min(query.since, ring.lastSeq) + 1;
    if (query.tail !== undefined) start = Math.max(start, this.#tailStart(query.tail));
    this.#next = start;
    this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next record; calls are served in order. */
  next(): Promise<IteratorResult<LogRecord, undefined>> {
    const result = this.#queue.then(() => this.#pull());
    this.#queue = result;
    return result;
  }

  /** Stop reading (what `break` in a `for await` calls); a pending `next()` resolves done. */
  return(): Promise<IteratorResult<LogRecord, undefined>> {
    this.#finish();
    return Promise.resolve(DONE);
  }

  readonly #onAbort = (): void => this.#finish();

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#cancel.resolve();
  }

  // Where the newest `tail` wanted records begin.
  #tailStart(tail: number): number {
    const ring = this.#ring;
    if (tail === 0) return ring.lastSeq + 1;
    let found = 0;
    for (let seq = ring.lastSeq; seq >= ring.firstSeq; seq--) {
      if (this.#wanted(ring.get(seq)!) && ++found === tail) return seq;
    }
    return ring.firstSeq;
  }

  async #pull(): Promise<IteratorResult<LogRecord, undefined>> {
    const ring = this.#ring;
    for (;;) {
      if (this.#done || this.#signal?.aborted) {
        this.#finish();
        return DONE;
      }
      const first = ring.firstSeq;
      if (this.#next < first) {
        const gap = gapRecord(this.#gateway, this.#next, first - 1);
        this.#next = first;
        return { done: false, value: gap };
      }
      if (this.#next <= ring.lastSeq) {
        const record = ring.get(this.#next++)!;
        if (this.#wanted(record)) return { done: false, value: record };
        continue;
      }
      if (!this.#follow || ring.closed) {
        this.#finish();
        return DONE;
      }
      await Promise.race([ring.nextAppend(), this.#cancel.promise]);
    }
  }
}

function gapRecord(gateway: string, fromSeq: number, toSeq: number): LogRecord {
  const missed = toSeq - fromSeq + 1;
  return Object.freeze({
    seq: toSeq,
    gateway,
    time: new Date().toISOString(),
    level: "warn",
    message: `${gateway}: ${missed} log record${missed === 1 ? "" : "s"} (seq ${fromSeq}..${toSeq}) left the ring before this reader got to them`,
    source: "clawhost",
    gap: Object.freeze({ fromSeq, toSeq, missed }),
  } satisfies LogRecord);
}
