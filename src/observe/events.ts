import * as z from "zod";
import { abortSignalSchema } from "../context/operation.js";
import { invalidOptions } from "../context/invalid.js";
import { assertOptionsObject } from "../context/invalid.js";
import { jsonSafe } from "./json.js";
import { withResolvers } from "./logs/ring.js";
import type { EventsOptions, GapData, StreamRecord } from "./types.js";

/** Every type a record of the stream can have (`gap` included). */
export const EVENT_TYPES = [
  "added",
  "removed",
  "state",
  "ready",
  "exit",
  "backoff",
  "unhealthy",
  "warning",
  "config",
  "lease-moved",
  "log",
  "gap",
] as const;

/** Records kept for consumers that resume, by default. */
export const DEFAULT_REPLAY = 1_000;

const eventsOptionsSchema = z
  .object({
    since: z.number().int("must be a whole sequence number").min(0, "must be 0 or more").optional(),
    signal: abortSignalSchema.optional(),
    types: z.array(z.enum(EVENT_TYPES)).optional(),
    gateways: z.array(z.string()).optional(),
  })
  .strict();

/** Parse the options of `events()` at the boundary (`CLAWHOST_INVALID_OPTIONS` names the bad value). */
export function parseEventsOptions(input: unknown, gateway?: string): EventsOptions {
  if (input === undefined) return {};
  assertOptionsObject(input, "events() takes an options object", "pass { since?, signal?, types?, gateways? } or nothing.");
  const parsed = eventsOptionsSchema.safeParse(input);
  if (!parsed.success) throw invalidOptions("events options", parsed.error, input, { gateway, schema: eventsOptionsSchema });
  return parsed.data as EventsOptions;
}

/**
 * The host's event journal: every event gets the next sequence number and goes into a
 * fixed ring of the last `capacity` records. A consumer is only a cursor into that ring,
 * never a queue of its own: a slow one costs nothing and cannot block the host, and when
 * the ring has moved past its cursor it gets one `gap` record saying how much is gone.
 */
export class EventJournal<M extends { gap: GapData }> {
  readonly capacity: number;
  readonly #ring: Array<StreamRecord<M> | undefined>;
  #last = 0;
  /** Resolved by the next append; made only while someone waits. */
  #appended: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(capacity = DEFAULT_REPLAY) {
    this.capacity = capacity;
    // Grown as records come (filled in order), not allocated whole up front.
    this.#ring = [];
  }

  /** Sequence number of the newest record (0 before the first). */
  get lastSeq(): number {
    return this.#last;
  }

  /** Sequence number of the oldest record still kept (lastSeq + 1 when empty). */
  get firstSeq(): number {
    return Math.max(1, this.#last - this.capacity + 1);
  }

  /** Add one record; `data` is copied JSON-safe, so a consumer never sees a live object. */
  append<T extends Exclude<keyof M & string, "gap">>(gateway: string | null, type: T, data: M[T]): StreamRecord<M> {
    const record = Object.freeze({
      seq: ++this.#last,
      time: new Date().toISOString(),
      gateway,
      type,
      data: jsonSafe(data) as M[T],
    }) as StreamRecord<M>;
    this.#ring[record.seq % this.capacity] = record;
    const waiting = this.#appended;
    if (waiting) {
      this.#appended = undefined;
      waiting.resolve();
    }
    return record;
  }

  /** The records after `since` still kept, oldest first (at most `capacity`). */
  since(since: number): Array<StreamRecord<M>> {
    const out: Array<StreamRecord<M>> = [];
    for (let seq = Math.max(since + 1, this.firstSeq); seq <= this.#last; seq++) out.push(this.#ring[seq % this.capacity]!);
    return out;
  }

  /**
   * Follow the journal from after `since` (default: from now). Ends when `signal` aborts
   * or the consumer stops iterating; `filter` picks records (gaps always pass).
   */
  async *follow(options: EventsOptions, filter: (r: StreamRecord<M>) => boolean = () => true): AsyncGenerator<StreamRecord<M>, void, undefined> {
    const { signal } = options;
    // A `since` past the newest record (kept from an earlier host process, whose numbers
    // started over) means from now, not "skip the next ones".
    let next = Math.min(options.since ?? this.#last, this.#last) + 1;
    while (!signal?.aborted) {
      if (next > this.#last) {
        await this.#nextAppend(signal);
        continue;
      }
      const first = this.firstSeq;
      if (next < first) {
        yield gapRecord(next, first - 1) as StreamRecord<M>;
        next = first;
        continue;
      }
      const record = this.#ring[next % this.capacity]!;
      next++;
      if (filter(record)) yield record;
    }
  }

  #nextAppend(signal: AbortSignal | undefined): Promise<void> {
    this.#appended ??= withResolvers();
    const appended = this.#appended.promise;
    if (!signal) return appended;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      void appended.then(done);
    });
  }
}

function gapRecord(fromSeq: number, toSeq: number): StreamRecord<{ gap: GapData }> {
  return Object.freeze({
    seq: toSeq,
    time: new Date().toISOString(),
    gateway: null,
    type: "gap",
    data: { fromSeq, toSeq, missed: toSeq - fromSeq + 1 },
  });
}
