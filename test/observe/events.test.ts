import { describe, expect, it } from "vitest";
import { ClawhostError } from "clawhost";
import { EventJournal, parseEventsOptions } from "../../src/observe/events.js";
import { jsonSafe } from "../../src/observe/json.js";
import type { GapData, StreamRecord } from "../../src/observe/types.js";

type Map = { tick: { n: number }; note: { text: string }; gap: GapData };
type Rec = StreamRecord<Map>;

/** Take `n` records from an iterator. */
async function take(it: AsyncIterator<Rec>, n: number): Promise<Rec[]> {
  const out: Rec[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe("EventJournal", () => {
  it("numbers records from 1 and keeps them frozen and JSON-safe", () => {
    const j = new EventJournal<Map>(10);
    expect(j.lastSeq).toBe(0);
    const when = new Date("2026-01-02T03:04:05.000Z");
    const a = j.append("a", "tick", { n: 1, at: when, err: new Error("boom"), fn: () => 1 } as never);
    const b = j.append(null, "note", { text: "host" });
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a.data).toEqual({ n: 1, at: "2026-01-02T03:04:05.000Z", err: { name: "Error", message: "boom" } });
    expect(JSON.parse(JSON.stringify(j.since(0)))).toEqual(j.since(0));
    expect(b.gateway).toBeNull();
    expect(Date.parse(b.time)).not.toBeNaN();
  });

  it("replays what a consumer missed after `since`, then follows, with nothing lost or repeated", async () => {
    const j = new EventJournal<Map>(100);
    for (let n = 1; n <= 10; n++) j.append("a", "tick", { n });
    const first = j.follow({ since: 0 });
    const seen = await take(first, 4);
    await first.return(undefined);
    // The consumer dropped after seq 4; more happened meanwhile.
    for (let n = 11; n <= 20; n++) j.append("a", "tick", { n });
    const resumed = j.follow({ since: seen.at(-1)!.seq });
    const pending = take(resumed, 20);
    for (let n = 21; n <= 24; n++) j.append("a", "tick", { n });
    const rest = await pending;
    const seqs = [...seen, ...rest].map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(rest.map((r) => (r.data as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 5));
  });

  it("without `since`, starts after the newest record", async () => {
    const j = new EventJournal<Map>(10);
    j.append("a", "tick", { n: 1 });
    const it = j.follow({});
    const next = it.next();
    j.append("a", "tick", { n: 2 });
    expect((await next).value).toMatchObject({ seq: 2, data: { n: 2 } });
    await it.return(undefined);
  });

  it("a `since` past the newest record (an earlier host process's) follows from now", async () => {
    const j = new EventJournal<Map>(10);
    j.append("a", "tick", { n: 1 });
    const it = j.follow({ since: 500 });
    const next = it.next();
    j.append("a", "tick", { n: 2 });
    expect((await next).value).toMatchObject({ seq: 2 });
    await it.return(undefined);
  });

  it("says how much is gone with one gap record when the ring moved past the cursor", async () => {
    const j = new EventJournal<Map>(5);
    for (let n = 1; n <= 12; n++) j.append("a", "tick", { n });
    expect(j.firstSeq).toBe(8);
    expect(j.since(0).map((r) => r.seq)).toEqual([8, 9, 10, 11, 12]);
    const got = await take(j.follow({ since: 2 }), 6);
    expect(got[0]).toMatchObject({ seq: 7, type: "gap", gateway: null, data: { fromSeq: 3, toSeq: 7, missed: 5 } });
    expect(got.slice(1).map((r) => r.seq)).toEqual([8, 9, 10, 11, 12]);
  });

  it("a slow consumer holds no copy: the journal keeps `capacity` records whatever the burst", async () => {
    const j = new EventJournal<Map>(1_000);
    j.append("a", "tick", { n: 0 });
    const slow = j.follow({ since: 0 });
    const firstRead = await take(slow, 1);
    for (let n = 1; n <= 100_000; n++) j.append("a", "tick", { n });
    expect(j.since(0)).toHaveLength(1_000);
    const after = await take(slow, 2);
    expect(firstRead[0]!.seq).toBe(1);
    expect(after[0]).toMatchObject({ type: "gap", data: { fromSeq: 2, toSeq: 99_001, missed: 99_000 } });
    expect(after[1]!.seq).toBe(99_002);
  });

  it("filters by the given predicate, but gaps always come", async () => {
    const j = new EventJournal<Map>(3);
    for (let n = 1; n <= 5; n++) j.append(n % 2 ? "a" : "b", "tick", { n });
    j.append("b", "note", { text: "x" });
    const got = await take(
      j.follow({ since: 0 }, (r) => r.gateway === "b"),
      3,
    );
    expect(got.map((r) => [r.type, r.seq])).toEqual([
      ["gap", 3],
      ["tick", 4],
      ["note", 6],
    ]);
  });

  it("ends without an error when the signal aborts, also while waiting", async () => {
    const j = new EventJournal<Map>(10);
    const ac = new AbortController();
    const it = j.follow({ signal: ac.signal });
    const waiting = it.next();
    ac.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(await j.follow({ since: 0, signal: AbortSignal.abort() }).next()).toEqual({ done: true, value: undefined });
  });

  it("many waiting consumers all get the next record", async () => {
    const j = new EventJournal<Map>(10);
    const its = Array.from({ length: 50 }, () => j.follow({}));
    const nexts = its.map((it) => it.next());
    j.append("a", "tick", { n: 7 });
    for (const r of await Promise.all(nexts)) expect(r.value).toMatchObject({ seq: 1, data: { n: 7 } });
  });
});

describe("events() options", () => {
  const bad: Array<[string, unknown, string]> = [
    ["a negative since", { since: -1 }, "since"],
    ["a fractional since", { since: 1.5 }, "since"],
    ["an unknown type", { types: ["crash"] }, "types.0"],
    ["a signal that is not one", { signal: {} }, "signal"],
    ["a misspelt key", { snice: 3 }, ""],
    ["a string", "all", ""],
  ];
  it.each(bad)("refuses %s with CLAWHOST_INVALID_OPTIONS", (_name, input, path) => {
    let err: unknown;
    try {
      parseEventsOptions(input, "main");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClawhostError);
    expect((err as ClawhostError).code).toBe("CLAWHOST_INVALID_OPTIONS");
    if (path) expect(JSON.stringify((err as ClawhostError).details)).toContain(path);
  });

  it("accepts nothing, and the documented keys", () => {
    expect(parseEventsOptions(undefined)).toEqual({});
    const signal = new AbortController().signal;
    expect(parseEventsOptions({ since: 0, types: ["exit", "gap"], gateways: ["a"], signal })).toEqual({ since: 0, types: ["exit", "gap"], gateways: ["a"], signal });
  });
});

describe("jsonSafe", () => {
  it("keeps plain data and turns the rest into JSON", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(jsonSafe({ big: 10n, nan: Number.NaN, u: undefined, list: [undefined, 1], cyclic })).toEqual({
      big: "10",
      nan: null,
      list: [null, 1],
      cyclic: { a: 1 },
    });
    const err = Object.assign(new Error("no"), { code: "CLAWHOST_X" });
    expect(jsonSafe(err)).toEqual({ name: "Error", code: "CLAWHOST_X", message: "no" });
  });
});
