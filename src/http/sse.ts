const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(": heartbeat\n\n");

type Controller = ReadableStreamDefaultController<Uint8Array>;

const MAX_BATCH = 256;
const NOT_YET = Symbol("not yet");
/** Resolves after the microtasks queued now: a record already kept arrives before it. */
const nextTurn = (): Promise<typeof NOT_YET> => new Promise((resolve) => setImmediate(resolve, NOT_YET));

/**
 * The SSE streams of one handler and their heartbeat: one timer for all of them, running
 * only while a stream is open (a timer per connection would grow with the clients).
 */
export class SseHub {
  readonly #open = new Map<Controller, () => void>();
  readonly #heartbeatMs: number;
  // Records are frozen and shared by every cursor: each is turned into bytes once, not once per client.
  readonly #encoded = new WeakMap<object, Uint8Array>();
  #timer: NodeJS.Timeout | undefined;

  constructor(heartbeatMs: number) {
    this.#heartbeatMs = heartbeatMs;
  }

  /** Streams open now. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * An SSE response of the records `source(signal)` yields: `id:` is `idOf(record)`, the
   * data the record as JSON. Pulled one record at a time, so a slow client holds a cursor,
   * never a queue. Ends (and aborts the source) when the client goes or `request` aborts.
   */
  response<T>(request: Request, source: (signal: AbortSignal) => AsyncIterator<T>, idOf: (record: T) => number, headers: Record<string, string> = {}): Response {
    const ac = new AbortController();
    const iterator = source(ac.signal);
    let controller!: Controller;
    let pending: Promise<IteratorResult<T>> | undefined;
    const close = (): void => {
      if (ac.signal.aborted) return;
      ac.abort();
      this.#remove(controller);
      void iterator.return?.();
    };
    request.signal.addEventListener("abort", close, { once: true });
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c;
          this.#add(c, close);
          // A first byte at once: the client's fetch resolves before the first record.
          c.enqueue(encoder.encode(": connected\n\n"));
        },
        pull: async (c) => {
          // What is already kept goes out as one chunk (one socket write), up to MAX_BATCH records.
          const parts: Uint8Array[] = [];
          for (;;) {
            const next = pending ?? iterator.next();
            pending = undefined;
            const result = parts.length === 0 ? await next : await Promise.race([next, nextTurn()]);
            if (result === NOT_YET) {
              pending = next;
              break;
            }
            const r = result as IteratorResult<T>;
            if (ac.signal.aborted) return;
            if (r.done) {
              if (parts.length > 0) c.enqueue(Buffer.concat(parts));
              close();
              c.close();
              return;
            }
            parts.push(this.#encode(r.value as object, idOf));
            if (parts.length >= MAX_BATCH) break;
          }
          c.enqueue(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
        },
        cancel: close,
      },
      { highWaterMark: 1 },
    );
    return new Response(stream, {
      headers: { ...headers, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
    });
  }

  #encode<T>(record: object, idOf: (record: T) => number): Uint8Array {
    let bytes = this.#encoded.get(record);
    if (!bytes) {
      bytes = encoder.encode(`id: ${idOf(record as T)}\ndata: ${JSON.stringify(record)}\n\n`);
      this.#encoded.set(record, bytes);
    }
    return bytes;
  }

  /** End every stream (the server is closing). */
  closeAll(): void {
    for (const [c, close] of [...this.#open]) {
      close();
      try {
        c.close();
      } catch {
        // Already closed or errored by its client.
      }
      this.#remove(c);
    }
  }

  #add(c: Controller, close: () => void): void {
    this.#open.set(c, close);
    this.#timer ??= setInterval(() => this.#beat(), this.#heartbeatMs).unref();
  }

  #remove(c: Controller): void {
    this.#open.delete(c);
    if (this.#open.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #beat(): void {
    for (const c of this.#open.keys()) {
      try {
        c.enqueue(HEARTBEAT);
      } catch {
        this.#remove(c);
      }
    }
  }
}
