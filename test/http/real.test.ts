// clawhost/http on the real OpenClaw gateway: the main routes, a config patch, and an SSE
// consumer that drops and resumes with Last-Event-ID across an in-place restart.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayHost } from "clawhost";
import type { EventRecord, Gateway } from "clawhost";
import { createHttpHandler } from "clawhost/http";
import type { HttpHandler } from "clawhost/http";
import { finishFile, GatewayWatch, makeTmp, REAL_OPENCLAW, realHostOptions, waitUntil } from "../helpers.js";
import { listen, readSse } from "./client.js";
import type { SseRecord } from "./client.js";

// One block, 20840-20959 (test/http/api.test.ts has 20480-20719, dashboard.test.ts 20720-20839).
const PORTS = { from: 20840, to: 20959 };

const tmp = makeTmp("http-real");
const leases = makeTmp("http-real-leases");
const fleet = new GatewayWatch();
const bodies: string[] = [];
let host: GatewayHost;
let gw: Gateway;
let handler: HttpHandler;
let server: Awaited<ReturnType<typeof listen>>;
let token: string;

async function api(path: string, init: RequestInit & { auth?: string | null } = {}): Promise<{ status: number; body: any }> {
  const headers = new Headers(init.headers);
  if (init.auth !== null) headers.set("authorization", init.auth ?? `Bearer ${token}`);
  const res = await fetch(`${server.base}${path}`, { ...init, headers });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, body: res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text };
}

async function events(lastId: number, done: (r: EventRecord) => boolean): Promise<Array<SseRecord<EventRecord>>> {
  const res = await fetch(`${server.base}/events`, { headers: { authorization: `Bearer ${token}`, "last-event-id": String(lastId) } });
  const got: Array<SseRecord<EventRecord>> = [];
  await readSse<EventRecord>(res, (r) => {
    got.push(r);
    bodies.push(JSON.stringify(r.data));
    return done(r.data);
  });
  return got;
}

beforeAll(async () => {
  host = fleet.host(new GatewayHost({ ...realHostOptions(join(tmp.dir, "root"), PORTS), leaseDir: leases.dir, events: { replay: 10_000 } }));
  gw = await host.add({ name: "main" });
  server = await listen((port) => (handler = createHttpHandler(host, { port })));
  token = readFileSync(handler.tokenFile!, "utf8").trim();
});

afterAll(async () => {
  try {
    handler?.close();
    await server?.close();
  } finally {
    await finishFile(fleet, leases.dir, tmp, leases);
  }
});

describe(`clawhost/http on the real gateway (${REAL_OPENCLAW.label})`, () => {
  it("start, snapshots, config patch, logs, metrics, and an SSE resume across an in-place restart", async () => {
    expect((await api("/gateways", { auth: null })).status).toBe(401);
    const { body: before } = await api("/gateways");
    expect(before.gateways.map((g: { name: string; state: string }) => [g.name, g.state])).toEqual([["main", "stopped"]]);

    // Part 1 of the stream: from the snapshot's seq, through the start, dropped at ready.
    const started = api("/gateways/main/start", { method: "POST" });
    const part1 = await events(before.seq, (r) => r.gateway === "main" && r.type === "ready");
    const start = await started;
    expect([start.status, start.body.state]).toEqual([200, "ready"]);
    const bootId = start.body.bootId as string;

    const patch = await api("/gateways/main/config", { method: "PATCH", body: JSON.stringify({ env: { vars: { CLAWHOST_HTTP_TEST: "1" } } }) });
    expect(patch.status).toBe(200);
    expect(patch.body.changedPaths).toEqual(["env.vars.CLAWHOST_HTTP_TEST"]);
    // OpenClaw applies env.* by restarting in place: wait for it before the explicit one below.
    await waitUntil(() => gw.state === "ready" && gw.bootId !== bootId || patch.body.applied !== "restart", "the config's in-place restart");
    await gw.onReady();
    const config = await api("/gateways/main/config");
    expect(config.body.config.env.vars.CLAWHOST_HTTP_TEST).toBe("1");
    expect(JSON.stringify(config.body.config.gateway ?? {})).not.toMatch(/"token":"(?!\[redacted\])/);

    // While nobody listens: an in-place restart (same pid, new boot).
    const pid = gw.pid;
    const restarted = await api("/gateways/main/restart?inPlace=1", { method: "POST" });
    expect([restarted.status, restarted.body.state, restarted.body.pid]).toEqual([200, "ready", pid]);
    const newBoot = restarted.body.bootId as string;

    // Part 2: resume after the last id received, until the in-place restart's ready.
    const part2 = await events(part1.at(-1)!.id!, (r) => r.gateway === "main" && r.type === "ready" && (r.data as { bootId?: string }).bootId === newBoot);
    const all = [...part1, ...part2];
    expect(all.map((r) => r.data.seq)).toEqual(Array.from({ length: all.length }, (_, i) => before.seq + 1 + i));
    expect(all.filter((r) => r.data.type === "gap")).toEqual([]);

    const logs = await api("/gateways/main/logs?tail=20");
    expect(logs.body.records.length).toBeGreaterThan(0);
    const metrics = await api("/metrics");
    expect(metrics.body).toMatch(/clawhost_gateway_.*\{[^}]*gateway="main"/);

    const stopped = await api("/gateways/main/stop", { method: "POST" });
    expect([stopped.status, stopped.body.state]).toEqual([200, "stopped"]);
    await waitUntil(() => handler.openStreams === 0, "the dropped streams to close on the server");

    const secret = readFileSync(gw.context.tokenFile, "utf8").trim();
    const text = bodies.join("\n");
    for (const s of [secret, token]) expect(text.includes(s)).toBe(false);
  });
});
