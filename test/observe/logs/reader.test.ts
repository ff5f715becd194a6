import { describe, expect, test } from "vitest";
import { LogReader } from "../../../src/observe/logs/reader.js";
import { LogRing } from "../../../src/observe/logs/ring.js";
import type { LogRecord, LogSource, LogsQuery } from "../../../src/observe/logs/types.js";

function ringWith(capacity: number, n: number, source: (i: number) => LogSource = () => "stdout"): LogRing {
  const ring = new LogRing(capacity);
  for (let i = 1; i <= n; i++) add(ring, `line ${i}`, source(i));
  return ring;
}

function add(ring: LogRing, message: string, source: LogSource = "stdout"): LogRecord {
  return ring.append((seq) => Object.freeze({ seq, gateway: "main", time: new Date().toISOString(), level: "info", message, source }));
}

async function all(reader: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of reader) out.push(r);
  return out;
}

const read = (ring: LogRing, query: LogsQuery): LogReader => new LogReader(ring, "main", query);
const seqs = (records: LogRecord[]): number[] => records.map((r) => r.seq);

describe("what is kept", () => {
  test("no options: every kept record, then the end", async () => {
    expect(seqs(await all(read(ringWith(10, 4), {})))).toEqual([1, 2, 3, 4]);
  });

  test("tail: the newest n, oldest first; 0: none; more than kept: all kept", async () => {
    const ring = ringWith(10, 25);
    expect(seqs(await all(read(ring, { tail: 3 })))).toEqual([23, 24, 25]);
    expect(await all(read(ring, { tail: 0 }))).toEqual([]);
    expect(seqs(await all(read(ring, { tail: 100 })))).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
  });

  test("since: what came after it; with tail, the newest of those", async () => {
    const ring = ringWith(10, 25);
    expect(seqs(await all(read(ring, { since: 22 })))).toEqual([23, 24, 25]);
    expect(seqs(await all(read(ring, { since: 18, tail: 2 })))).toEqual([24, 25]);
    expect(await all(read(ring, { since: 25 }))).toEqual([]);
  });

  test("since older than the ring: one gap record naming what is gone, then the rest; resuming after the gap loses nothing more", async () => {
    const ring = ringWith(10, 25);
    const [gap, ...rest] = await all(read(ring, { since: 3 }));
    expect(gap).toMatchObject({ seq: 15, source: "clawhost", level: "warn", gap: { fromSeq: 4, toSeq: 15, missed: 12 } });
    expect(gap!.message).toMatch(/^main: 12 log records \(seq 4\.\.15\)/);
    expect(seqs(rest)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(seqs(await all(read(ring, { since: gap!.seq })))).toEqual(seqs(rest));
  });

  test("since past the newest record (an earlier host process's seq): from now", async () => {
    const ring = ringWith(10, 5);
    const reader = read(ring, { since: 5_000, follow: true });
    const next = reader.next();
    add(ring, "new");
    expect((await next).value).toMatchObject({ seq: 6, message: "new" });
    await reader.return();
  });

  test("sources: only those, tail counted among them; gap records always come", async () => {
    const ring = ringWith(10, 20, (i) => (i % 2 === 0 ? "openclaw-file" : "stdout"));
    expect(seqs(await all(read(ring, { tail: 2, sources: ["stdout"] })))).toEqual([17, 19]);
    const out = await all(read(ring, { since: 1, sources: ["openclaw-file"] }));
    expect(out[0]!.source).toBe("clawhost");
    expect(seqs(out.slice(1))).toEqual([12, 14, 16, 18, 20]);
  });
});

describe("follow", () => {
  test("kept records first, then new ones as they come, in order", async () => {
    const ring = ringWith(10, 2);
    const reader = read(ring, { tail: 1, follow: true });
    expect((await reader.next()).value?.seq).toBe(2);
    const pending = reader.next();
    add(ring, "a");
    add(ring, "b");
    expect((await pending).value?.message).toBe("a");
    expect((await reader.next()).value?.message).toBe("b");
    await reader.return();
  });

  test("an abort ends the iteration without an error, also while it waits", async () => {
    const ring = ringWith(10, 1);
    const ac = new AbortController();
    const seen: number[] = [];
    const consuming = (async () => {
      for await (const r of read(ring, { follow: true, signal: ac.signal })) {
        seen.push(r.seq);
        if (r.seq === 2) queueMicrotask(() => ac.abort());
      }
    })();
    add(ring, "two");
    await expect(consuming).resolves.toBeUndefined();
    expect(seen).toEqual([1, 2]);
    const late = read(ring, { follow: true, signal: ac.signal });
    expect(await late.next()).toEqual({ done: true, value: undefined });
  });

  test("return() (break) while a next() waits: it resolves done", async () => {
    const ring = ringWith(10, 0);
    const reader = read(ring, { follow: true });
    const pending = reader.next();
    await reader.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    add(ring, "after");
    expect(await reader.next()).toEqual({ done: true, value: undefined });
  });

  test("closing the ring ends every follower once it has read what is kept", async () => {
    const ring = ringWith(10, 1);
    const reader = read(ring, { follow: true });
    const out = all(reader);
    add(ring, "last");
    ring.close();
    expect(seqs(await out)).toEqual([1, 2]);
  });

  test("a slow follower holds no queue: it gets one gap record for what the ring dropped, then the newest", async () => {
    const ring = new LogRing(10);
    const readers = Array.from({ length: 50 }, () => read(ring, { follow: true }));
    add(ring, "first");
    for (const r of readers) expect((await r.next()).value?.seq).toBe(1);
    for (let i = 0; i < 1_000; i++) add(ring, `burst ${i}`);
    for (const r of readers) {
      const gap = (await r.next()).value!;
      expect(gap.gap).toEqual({ fromSeq: 2, toSeq: 991, missed: 990 });
      const rest: number[] = [];
      for (let i = 0; i < 10; i++) rest.push((await r.next()).value!.seq);
      expect(rest).toEqual([992, 993, 994, 995, 996, 997, 998, 999, 1000, 1001]);
      await r.return();
    }
  });
});
