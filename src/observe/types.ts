/**
 * One record of a host's event stream: `type` names the payload in `data`.
 * JSON-safe (plain data, ISO times) and frozen.
 */
export type StreamRecord<M> = {
  [K in keyof M & string]: {
    /** One increasing number per host, from 1. Resume after it with `events({ since: seq })`. */
    seq: number;
    /** When it happened (ISO 8601). */
    time: string;
    /** The gateway's name; `null` for the host's own records (its warnings, gaps). */
    gateway: string | null;
    type: K;
    data: M[K];
  };
}[keyof M & string];

/**
 * Payload of a `gap` record: records `fromSeq`..`toSeq` left the replay ring before this
 * consumer read them (it resumed too late, or read too slowly). Its `seq` is `toSeq`, so
 * resuming after it continues with what is still kept.
 */
export interface GapData {
  fromSeq: number;
  toSeq: number;
  missed: number;
}

/** Options of `host.events()` and `gateway.events()`. */
export interface EventsOptions {
  /**
   * Start after this sequence number: what is still in the replay ring comes first (a
   * `gap` record when some of it is gone), then new records. `0`: everything kept.
   * Without it, or past the newest record (a `seq` of an earlier host process): only
   * records that come after the call.
   */
  since?: number;
  /** Ends the iteration (without an error) when it aborts. */
  signal?: AbortSignal;
  /** Only these record types (`gap` records always come). */
  types?: string[];
  /** Only records of these gateways (host-wide `gap` and warning records always come). */
  gateways?: string[];
}
