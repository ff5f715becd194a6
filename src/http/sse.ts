const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(": heartbeat\n\n");

type Controller = ReadableStreamDefaultController<Uint8Array>;

/**
 * The SSE streams of one handler and their heartbeat: one timer for all of them, running
 * only while a stream is open (a timer per connection would grow with the clients).
 */
export class SseHub {
  readonly #open = new Map<Controller, () => void>();
  readonly #heartbeatMs: number;
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
          const next = await iterator.next();
          if (ac.signal.aborted) return;
          if (next.done) {
            close();
            c.close();
            return;
          }
          c.enqueue(encoder.encode(`id: ${idOf(next.value)}\ndata: ${JSON.stringify(next.value)}\n\n`));
        },
        cancel: close,
      },
      { highWaterMark: 1 },
    );
    return new Response(stream, {
      headers: { ...headers, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
    });
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
