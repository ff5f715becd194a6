// Every operation in every state: bad options and arguments are refused before the state
// machine is touched (the state stays what it was), and illegal calls get typed errors.
import { describe, expect } from "vitest";
import type { Gateway } from "clawhost";
import { rows } from "./harness.js";
import type { Row } from "./harness.js";
import { STATE_NAMES, STATES } from "./states.js";
import type { StateName } from "./states.js";

const circular = (): Record<string, unknown> => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};

/** The bad-input calls every state must refuse the same way. */
const BAD_CALLS: Array<{ what: string; code: "CLAWHOST_INVALID_OPTIONS" | "CLAWHOST_INVALID_ARGUMENT"; call: (gw: Gateway) => unknown; check?: Row<Gateway>["check"] }> = [
  { what: "start({ timeoutMs: NaN })", code: "CLAWHOST_INVALID_OPTIONS", call: (gw) => gw.start({ timeoutMs: Number.NaN }), check: (err) => expect(err.value).toEqual({ timeoutMs: "NaN" }) },
  { what: "stop({ timeoutMs: -1 })", code: "CLAWHOST_INVALID_OPTIONS", call: (gw) => gw.stop({ timeoutMs: -1 }), check: (err) => expect(err.value).toEqual({ timeoutMs: -1 }) },
  { what: "restart({ timeoutMs: Infinity })", code: "CLAWHOST_INVALID_OPTIONS", call: (gw) => gw.restart({ timeoutMs: Number.POSITIVE_INFINITY }) },
  { what: 'call("health", {}, { signal: "abort" })', code: "CLAWHOST_INVALID_OPTIONS", call: (gw) => gw.call("health", {}, { signal: "abort" as unknown as AbortSignal }) },
  {
    what: "onReady({ timeout: 5000 }) (misspelt)",
    code: "CLAWHOST_INVALID_OPTIONS",
    call: (gw) => gw.onReady({ timeout: 5_000 } as never),
    check: (err) => expect((err.details?.issues as Array<{ suggestion?: string }>)[0]?.suggestion).toBe("timeoutMs"),
  },
  { what: "updateConfig({}, { timeoutMs: NaN })", code: "CLAWHOST_INVALID_OPTIONS", call: (gw) => gw.updateConfig({}, { timeoutMs: Number.NaN }) },
  { what: 'call("health", <circular params>)', code: "CLAWHOST_INVALID_ARGUMENT", call: (gw) => gw.call("health", circular()) },
  { what: "updateConfig(42)", code: "CLAWHOST_INVALID_ARGUMENT", call: (gw) => gw.updateConfig(42 as never) },
];

for (const state of STATE_NAMES) {
  describe(`in state ${state}`, () => {
    rows(
      BAD_CALLS.map(
        (b): Row<Gateway> => ({
          name: `${state}: ${b.what}`,
          code: b.code,
          gateway: "main",
          setup: STATES[state],
          act: (_env, gw) => b.call(gw),
          check: b.check,
        }),
      ),
    );
  });
}

const NOT_READY: StateName[] = ["stopped", "starting", "unhealthy", "backoff", "stopping", "failed", "removed"];
const NOT_IN_PLACE: StateName[] = ["stopped", "starting", "restarting", "unhealthy", "backoff", "stopping", "failed"];

describe("illegal calls", () => {
  rows<any>([
    ...NOT_READY.map(
      (state): Row<Gateway> => ({
        name: `call() while ${state}`,
        code: "CLAWHOST_NOT_READY",
        gateway: "main",
        setup: STATES[state],
        act: (_env, gw) => gw.call("health", {}),
        check: (err) => expect(err.value).toBe("health"),
      }),
    ),
    ...NOT_IN_PLACE.map(
      (state): Row<Gateway> => ({
        name: `restart({ inPlace: true }) while ${state}`,
        code: "CLAWHOST_ILLEGAL_STATE",
        gateway: "main",
        setup: STATES[state],
        act: (_env, gw) => gw.restart({ inPlace: true }),
        check: (err, _env, gw) => expect(err.value).toBe(gw.state),
      }),
    ),
    { name: "start() on a removed gateway", code: "CLAWHOST_HOST_DISPOSED", gateway: "main", setup: STATES.removed, act: (_env, gw: Gateway) => gw.start() },
    { name: "restart() on a removed gateway", code: "CLAWHOST_HOST_DISPOSED", gateway: "main", setup: STATES.removed, act: (_env, gw: Gateway) => gw.restart() },
    { name: "updateConfig() on a removed gateway", code: "CLAWHOST_HOST_DISPOSED", gateway: "main", setup: STATES.removed, act: (_env, gw: Gateway) => gw.updateConfig({ env: { vars: { A: "1" } } }) },
    {
      name: "add() on a disposed host",
      code: "CLAWHOST_HOST_DISPOSED",
      setup: async (env) => {
        await env.host().dispose();
      },
      act: (env) => env.hosts[0]!.add({ name: "late" }),
    },
    {
      name: "startAll() on a disposed host",
      code: "CLAWHOST_HOST_DISPOSED",
      setup: async (env) => {
        await env.gateway();
        await env.hosts[0]!.dispose();
      },
      act: (env) => env.hosts[0]!.startAll(),
    },
    {
      name: "start() of a gateway of a disposed host",
      code: "CLAWHOST_HOST_DISPOSED",
      gateway: "main",
      setup: async (env) => {
        const gw = await env.gateway();
        await env.hosts[0]!.dispose();
        return gw;
      },
      act: (_env, gw: Gateway) => gw.start(),
    },
    {
      name: "start() with a signal that already fired: nothing spawned",
      code: "CLAWHOST_ABORTED",
      gateway: "main",
      setup: STATES.stopped,
      act: (_env, gw: Gateway) => gw.start({ signal: AbortSignal.abort() }),
      check: (_err, env, gw) => {
        expect(env.world.procs).toEqual([]);
        expect(gw.state).toBe("stopped");
      },
    },
    {
      name: "start({ timeoutMs: NaN }) of a gateway that never becomes ready (used to wait forever)",
      code: "CLAWHOST_INVALID_OPTIONS",
      gateway: "main",
      setup: async (env) => {
        env.world.defaultBoot = { kind: "never" };
        return env.gateway();
      },
      act: (_env, gw: Gateway) => gw.start({ timeoutMs: Number.NaN }),
      check: (_err, env) => expect(env.world.procs).toEqual([]),
    },
    {
      name: "onReady() of a stopped gateway ends at its deadline (fake clock)",
      code: "CLAWHOST_READINESS_TIMEOUT",
      gateway: "main",
      setup: STATES.stopped,
      act: (env, gw: Gateway) => {
        const waiting = gw.onReady({ timeoutMs: 1_000 });
        env.world.clock.advance(1_000);
        return waiting;
      },
    },
  ]);
});

describe("host operations", () => {
  rows<any>([
    { name: 'remove("nope")', code: "CLAWHOST_UNKNOWN_GATEWAY", setup: (env) => env.gateway(), act: (env) => env.hosts[0]!.remove("nope"), check: (err) => expect(err.fix).toContain("main") },
    { name: "remove(42)", code: "CLAWHOST_INVALID_ARGUMENT", setup: (env) => env.gateway(), act: (env) => env.hosts[0]!.remove(42 as never) },
    { name: 'remove("main", { timeoutMs: -5 })', code: "CLAWHOST_INVALID_OPTIONS", gateway: "main", setup: (env) => env.gateway(), act: (env) => env.hosts[0]!.remove("main", { timeoutMs: -5 }) },
    { name: "startAll({ timeoutMs: NaN })", code: "CLAWHOST_INVALID_OPTIONS", setup: (env) => env.gateway(), act: (env) => env.hosts[0]!.startAll({ timeoutMs: Number.NaN }) },
    { name: "startAll() with a signal that already fired", code: "CLAWHOST_ABORTED", setup: (env) => env.gateway(), act: (env) => env.hosts[0]!.startAll({ signal: AbortSignal.abort() }) },
    { name: "stopAll({ signal: 1 })", code: "CLAWHOST_INVALID_OPTIONS", setup: STATES.ready, act: (env) => env.hosts[0]!.stopAll({ signal: 1 as never }) },
    { name: "call(42)", code: "CLAWHOST_INVALID_ARGUMENT", gateway: "main", setup: STATES.ready, act: (_env, gw: Gateway) => gw.call(42 as never) },
    { name: 'call("")', code: "CLAWHOST_INVALID_ARGUMENT", gateway: "main", setup: STATES.ready, act: (_env, gw: Gateway) => gw.call("") },
    { name: "call() with BigInt params", code: "CLAWHOST_INVALID_ARGUMENT", gateway: "main", setup: STATES.ready, act: (_env, gw: Gateway) => gw.call("health", { n: 1n }) },
    { name: "call() with a function as params", code: "CLAWHOST_INVALID_ARGUMENT", gateway: "main", setup: STATES.ready, act: (_env, gw: Gateway) => gw.call("health", () => 1) },
  ]);
});
