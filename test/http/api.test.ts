// clawhost/http against the fault-injection gateway, over a real HTTP server: auth, Host check,
// routes, errors, SSE resume across restarts, logs, metrics, OpenAPI; no secret in any body.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayHost } from "clawhost";
import type { EventRecord, Gateway } from "clawhost";
import { createHttpHandler, loadOrCreateToken } from "clawhost/http";
import type { HttpHandler } from "clawhost/http";
import { ROUTES } from "../../src/http/routes.js";
import * as schemas from "../../src/http/schemas.js";
import { FAKE_OPENCLAW, finishFile, GatewayWatch, makeTmp, waitUntil } from "../helpers.js";
import { listen, readSse } from "./client.js";
import type { SseRecord } from "./client.js";

// Gateway blocks 20480-20719 (two blocks; test/http/dashboard.test.ts has 20720-20839, real.test.ts 20840-20959).
const PORTS = { from: 20480, to: 20719 };

const tmp = makeTmp("http-api");
const leases = makeTmp("http-api-leases");
const fleet = new GatewayWatch();
const bodies: string[] = [];
let host: GatewayHost;
let handler: HttpHandler;
let server: Awaited<ReturnType<typeof listen>>;
let token: string;
let a: Gateway;
let b: Gateway;

/** fetch against the server with the token (unless `auth` is given); every body is kept for the secret check. */
async function api(path: string, init: RequestInit & { auth?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const auth = init.auth === undefined ? `Bearer ${token}` : init.auth;
  if (auth !== null) headers.set("authorization", auth);
  const res = await fetch(`${server.base}${path}`, { ...init, headers });
  if ((res.headers.get("content-type") ?? "").includes("event-stream")) return res;
  const text = await res.text();
  bodies.push(text);
  return new Response(text, { status: res.status, headers: res.headers });
}

async function json<T = Record<string, unknown>>(path: string, init?: Parameters<typeof api>[1]): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await api(path, init);
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

/** A raw HTTP/1.1 GET with the Host header given (fetch sets its own). */
function getWithHost(path: string, hostHeader: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: server.port, path, headers: { host: hostHeader, authorization: `Bearer ${token}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => {
        bodies.push(body);
        resolve({ status: res.statusCode!, body });
      });
    });
    req.on("error", reject).end();
  });
}

/** Read /events (resuming after `lastId` when given) until `done`; the connection is then dropped. */
async function events(query: string, lastId: number | undefined, done: (r: EventRecord, all: EventRecord[]) => boolean): Promise<Array<SseRecord<EventRecord>>> {
  const res = await api(`/events${query}`, { headers: lastId === undefined ? {} : { "last-event-id": String(lastId) } });
  expect(res.status).toBe(200);
  const got: Array<SseRecord<EventRecord>> = [];
  await readSse<EventRecord>(res, (r) => {
    got.push(r);
    bodies.push(JSON.stringify(r.data));
    return done(r.data, got.map((g) => g.data));
  });
  return got;
}

beforeAll(async () => {
  host = fleet.host(new GatewayHost({ root: join(tmp.dir, "root"), ports: PORTS, leaseDir: leases.dir, openclaw: { bin: FAKE_OPENCLAW }, events: { replay: 10_000 } }));
  // b prints its token at ready (a careless gateway) and writes a line every 200 ms: logs to follow.
  a = await host.add({ name: "a" });
  b = await host.add({ name: "b", env: { FAKE_GATEWAY_LEAK_TOKEN: "1", FAKE_GATEWAY_LOG_BURST: "1", FAKE_GATEWAY_LOG_BURSTS: "1000000", FAKE_GATEWAY_LOG_BURST_EVERY_MS: "200" } });
  await host.startAll();
  server = await listen((port) => (handler = createHttpHandler(host, { port, heartbeatMs: 50 })));
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

describe("secure by default", () => {
  it("keeps its token in a 0600 file in a 0700 directory under the host's root", () => {
    expect(handler.tokenFile).toBe(join(host.root, ".http", "token"));
    expect(statSync(handler.tokenFile!).mode & 0o777).toBe(0o600);
    expect(statSync(join(host.root, ".http")).mode & 0o777).toBe(0o700);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    // A second handler on the same host reads the same token.
    createHttpHandler(host);
    expect(readFileSync(handler.tokenFile!, "utf8").trim()).toBe(token);
  });

  it("refuses a token file others can read, and one too short, instead of fixing it", () => {
    const loose = join(tmp.dir, "loose.token");
    writeFileSync(loose, `${"k".repeat(64)}\n`, { mode: 0o644 });
    chmodSync(loose, 0o644);
    expect(() => loadOrCreateToken(loose)).toThrow(expect.objectContaining({ code: "CLAWHOST_PATH_UNSAFE" }));
    expect(statSync(loose).mode & 0o777).toBe(0o644);
    const short = join(tmp.dir, "short.token");
    writeFileSync(short, "abc\n", { mode: 0o600 });
    expect(() => createHttpHandler(host, { tokenFile: short })).toThrow(expect.objectContaining({ code: "CLAWHOST_SECRET_INVALID" }));
    const fresh = join(tmp.dir, "new", "dir", "api.token");
    expect(loadOrCreateToken(fresh)).toBe(loadOrCreateToken(fresh));
    expect([statSync(fresh).mode & 0o777, statSync(join(tmp.dir, "new", "dir")).mode & 0o777]).toEqual([0o600, 0o700]);
  });

  it("a token file created by 6 processes at once: one token for all, whole, and no temp file left", async () => {
    const dir = join(tmp.dir, "race");
    const file = join(dir, "api.token");
    const src = `import { loadOrCreateToken } from "clawhost/http"; process.stdout.write(loadOrCreateToken(${JSON.stringify(file)}));`;
    const tokens = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", src], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        await once(child, "exit");
        return out;
      }),
    );
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(file, "utf8")).toBe(`${tokens[0]}\n`);
    expect(readdirSync(dir)).toEqual(["api.token"]);
  });

  it("answers 401 without the token, with another one, or another scheme, on every route", async () => {
    for (const route of ROUTES) {
      const path = route.path.replace("{name}", "a");
      for (const auth of [null, "Bearer nope", `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Basic ${token}`, token]) {
        const r = await json<{ error: { code: string } }>(path, { method: route.method.toUpperCase(), auth });
        expect([path, auth === null ? "none" : auth.slice(0, 6), r.status, r.body.error.code]).toEqual([path, auth === null ? "none" : auth.slice(0, 6), 401, "CLAWHOST_UNAUTHORIZED"]);
        expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    }
    expect((await json("/openapi.json", { auth: null })).status).toBe(401);
    expect(a.state).toBe("ready");
  });

  it("answers 403 to a foreign Host header (DNS rebinding), before it looks at the token", async () => {
    for (const h of ["evil.example", `evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, `localhost.evil.example:${server.port}`, "127.0.0.1", `127.0.0.1.evil.example:${server.port}`]) {
      const r = await getWithHost("/gateways", h);
      expect([h, r.status, (JSON.parse(r.body) as { error: { code: string } }).error.code]).toEqual([h, 403, "CLAWHOST_HOST_NOT_ALLOWED"]);
    }
    for (const h of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LOCALHOST:${server.port}`]) expect((await getWithHost("/gateways", h)).status).toBe(200);
  });

  it("takes the names of allowedHosts, with or without a port", async () => {
    const h = createHttpHandler(host, { token: "t".repeat(32), port: 1234, allowedHosts: ["ops.internal", "proxy.example:443"] });
    const get = (hostHeader: string) => h(new Request("http://x/gateways", { headers: { host: hostHeader, authorization: `Bearer ${"t".repeat(32)}` } })).then((r) => r.status);
    expect(await Promise.all(["ops.internal", "ops.internal:8080", "proxy.example:443", "127.0.0.1:1234"].map(get))).toEqual([200, 200, 200, 200]);
    expect(await Promise.all(["proxy.example", "proxy.example:80", "127.0.0.1:1235"].map(get))).toEqual([403, 403, 403]);
  });

  it("sends no CORS header unless origins are configured, then only for those", async () => {
    const r = await api("/gateways", { headers: { origin: "https://evil.example" } });
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await api("/gateways", { method: "OPTIONS", auth: null, headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect(pre.status).toBe(401);

    const h = createHttpHandler(host, { token: "t".repeat(32), cors: { origins: ["https://ops.example"] } });
    const from = (origin: string) => h(new Request("http://127.0.0.1/gateways", { headers: { origin, authorization: `Bearer ${"t".repeat(32)}` } }));
    expect((await from("https://ops.example")).headers.get("access-control-allow-origin")).toBe("https://ops.example");
    expect((await from("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses bad options with CLAWHOST_INVALID_OPTIONS and a short token", () => {
    expect(() => createHttpHandler(host, { token: "short" })).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
    expect(() => createHttpHandler(host, { prot: 1 } as never)).toThrow(expect.objectContaining({ code: "CLAWHOST_INVALID_OPTIONS" }));
  });
});

describe("routes", () => {
  it("GET /gateways and /gateways/:name: snapshots of the documented shape, without the child env", async () => {
    const list = await json<{ seq: number; gateways: Array<{ name: string; state: string; context: Record<string, unknown> }> }>("/gateways");
    expect(list.status).toBe(200);
    schemas.hostView.parse(list.body);
    expect(list.body.gateways.map((g) => [g.name, g.state])).toEqual([["a", "ready"], ["b", "ready"]]);
    for (const g of list.body.gateways) expect(g.context).not.toHaveProperty("env");
    expect(list.body.seq).toBeGreaterThan(0);
    const one = await json<{ name: string; pid: number }>("/gateways/a");
    schemas.gatewayView.parse(one.body);
    expect([one.body.name, one.body.pid]).toEqual(["a", a.pid]);
    expect(one.headers.get("cache-control")).toBe("no-store");
  });

  it("404 with CLAWHOST_UNKNOWN_GATEWAY for an unknown gateway, CLAWHOST_NOT_FOUND for an unknown route", async () => {
    for (const [method, path] of [["GET", "/gateways/nosuch"], ["POST", "/gateways/nosuch/stop"], ["GET", "/gateways/nosuch/config"], ["PATCH", "/gateways/nosuch/config"], ["GET", "/gateways/nosuch/logs"]] as const) {
      const r = await json<{ error: { code: string; message: string; fix: string } }>(path, { method, ...(method === "PATCH" ? { body: "{}" } : {}) });
      expect([path, r.status, r.body.error.code]).toEqual([path, 404, "CLAWHOST_UNKNOWN_GATEWAY"]);
      expect(r.body.error.fix).toContain("a, b");
    }
    const route = await json<{ error: { code: string } }>("/nope");
    expect([route.status, route.body.error.code]).toEqual([404, "CLAWHOST_NOT_FOUND"]);
    expect((await json<{ error: { code: string } }>("/gateways/a", { method: "DELETE" })).status).toBe(404);
  });

  it("400 with CLAWHOST_INVALID_REQUEST for a bad body or query, 413 for a body over the limit", async () => {
    const bad = async (path: string, init: RequestInit) => {
      const r = await json<{ error: { code: string; message: string; fix: string } }>(path, init);
      return [r.status, r.body.error.code];
    };
    const patch = (body: string) => ({ method: "PATCH", body, headers: { "content-type": "application/merge-patch+json" } });
    expect(await bad("/gateways/a/config", patch("{nope"))).toEqual([400, "CLAWHOST_INVALID_REQUEST"]);
    expect(await bad("/gateways/a/config", patch("[1,2]"))).toEqual([400, "CLAWHOST_INVALID_REQUEST"]);
    expect(await bad("/gateways/a/config", patch('"x"'))).toEqual([400, "CLAWHOST_INVALID_REQUEST"]);
    expect(await bad("/gateways/a/config", patch(JSON.stringify({ env: { vars: { X: "y".repeat(70_000) } } })))).toEqual([413, "CLAWHOST_BODY_TOO_LARGE"]);
    expect(await bad("/gateways/a/logs?tail=abc", {})).toEqual([400, "CLAWHOST_INVALID_REQUEST"]);
    expect(await bad("/gateways/a/logs?frob=1", {})).toEqual([400, "CLAWHOST_INVALID_REQUEST"]);
    expect(await bad("/gateways/a/restart?inPlace=maybe", { method: "POST" })).toEqual([400, "CLAWHOST_INVALID_REQUEST"]);
    expect(await bad("/events?types=nonsense", {})).toEqual([400, "CLAWHOST_INVALID_REQUEST"]);
    expect(await bad("/events", { headers: { "last-event-id": "12abc" } })).toEqual([400, "CLAWHOST_INVALID_REQUEST"]);
    // An owned key: the config writer's own refusal, as 400.
    expect(await bad("/gateways/a/config", patch(JSON.stringify({ gateway: { port: 1 } })))).toEqual([400, "CLAWHOST_CONFIG_INVALID"]);
    expect(a.state).toBe("ready");
  });

  it("PATCH config goes through the gateway's writer and GET config shows it, secret-looking values redacted", async () => {
    const r = await json<{ applied: string; changedPaths: string[] }>("/gateways/a/config", { method: "PATCH", body: JSON.stringify({ env: { vars: { REGION: "eu", MY_API_KEY: "sk-live-0123456789" } } }) });
    expect(r.status).toBe(200);
    schemas.configResult.parse(r.body);
    expect(r.body.applied).toBe("live");
    expect(r.body.changedPaths.sort()).toEqual(["env.vars.MY_API_KEY", "env.vars.REGION"]);
    const got = await json<{ config: { env: { vars: Record<string, string> } }; hash: string }>("/gateways/a/config");
    schemas.configView.parse(got.body);
    expect(got.body.config.env.vars).toMatchObject({ REGION: "eu", MY_API_KEY: "[redacted]" });
    expect(got.body.hash).toBe(a.snapshot().configHash);
    expect((await a.readConfig()).env).toMatchObject({ vars: { REGION: "eu" } });
    // Merge patch: null deletes.
    await json("/gateways/a/config", { method: "PATCH", body: JSON.stringify({ env: { vars: { REGION: null, MY_API_KEY: null } } }) });
    expect((await json<{ config: { env?: { vars?: Record<string, string> } } }>("/gateways/a/config")).body.config.env?.vars?.REGION).toBeUndefined();
    expect(bodies.join("\n")).not.toContain("sk-live-0123456789");
  });

  it("GET logs?tail=N: the newest N records; with follow=1 an SSE stream that resumes with Last-Event-ID", async () => {
    const tail = await json<{ records: Array<{ seq: number; gateway: string; message: string }> }>("/gateways/b/logs?tail=3");
    schemas.logsView.parse(tail.body);
    expect(tail.body.records).toHaveLength(3);
    expect(tail.body.records.every((r) => r.gateway === "b")).toBe(true);

    const first = await api("/gateways/b/logs?tail=2&follow=1");
    expect(first.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const part1: Array<SseRecord<{ seq: number; message: string }>> = [];
    await readSse<{ seq: number; message: string }>(first, (r) => part1.push(r) >= 4);
    expect(part1.map((r) => r.id)).toEqual(part1.map((r) => r.data.seq));
    const resumed = await api("/gateways/b/logs?follow=1", { headers: { "last-event-id": String(part1.at(-1)!.id) } });
    const part2: Array<SseRecord<{ seq: number }>> = [];
    await readSse<{ seq: number }>(resumed, (r) => part2.push(r) >= 3);
    const seqs = [...part1, ...part2].map((r) => r.data.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    for (const r of [...part1, ...part2]) bodies.push(JSON.stringify(r.data));
  });

  it("GET /metrics: Prometheus text that parses", async () => {
    const r = await api("/metrics");
    expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusTextFormat(await r.text()) as Array<{ name: string; metrics: Array<{ labels?: Record<string, string> }> }>;
    const names = families.map((f) => f.name);
    expect(names.some((n) => n.startsWith("clawhost_"))).toBe(true);
    expect(families.flatMap((f) => f.metrics.map((m) => m.labels?.gateway)).filter(Boolean)).toEqual(expect.arrayContaining(["a", "b"]));
  });

  it("GET /openapi.json: an OpenAPI 3.1 document of every route, every $ref resolving", async () => {
    const { body: doc } = await json<{ openapi: string; paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; parameters: Array<{ name: string; in: string }> }>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> }; security: unknown[] }>("/openapi.json");
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: "http", scheme: "bearer" }) });
    expect(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops)) {
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "403"]));
        // Every {param} of the path is declared as a path parameter, and nothing else is.
        expect(op.parameters.filter((p) => p.in === "path").map((p) => p.name)).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas, ref).toHaveProperty([ref.split("/").pop()!]);
    }
    // The generated shapes are the parsing ones: the snapshot's states, the patch's object type.
    expect(JSON.stringify(doc.components.schemas.Gateway)).toContain('"backoff"');
    expect(doc.paths["/gateways/{name}/restart"]!.post!.parameters.map((p) => p.name)).toEqual(["name", "inPlace"]);
  });

  it("409 for an operation the gateway's state does not allow", async () => {
    await json("/gateways/a/stop", { method: "POST" });
    const r = await json<{ error: { code: string } }>("/gateways/a/restart?inPlace=1", { method: "POST" });
    expect([r.status, r.body.error.code]).toEqual([409, "CLAWHOST_ILLEGAL_STATE"]);
    const started = await json<{ state: string }>("/gateways/a/start", { method: "POST" });
    expect([started.status, started.body.state]).toEqual([200, "ready"]);
  });
});

describe("GET /events", () => {
  it("a consumer that drops and resumes with Last-Event-ID across restarts loses and repeats nothing", async () => {
    const { body: start } = await json<{ seq: number }>("/gateways");
    // Part 1: from the snapshot's seq, through a restart of a, dropped right after a is ready again.
    const restartA = json("/gateways/a/restart", { method: "POST" });
    const part1 = await events(`?since=${start.seq}`, undefined, (r) => r.gateway === "a" && r.type === "ready");
    expect((await restartA).status).toBe(200);
    // While nobody listens: b restarts (in place) and a is killed and comes back by itself.
    expect((await json("/gateways/b/restart?inPlace=1", { method: "POST" })).status).toBe(200);
    // Part 2: resume with the last id received, until b's in-place restart has been seen.
    const part2 = await events("", part1.at(-1)!.id, (r) => r.gateway === "b" && r.type === "ready");
    const all = [...part1, ...part2];
    expect(all.every((r) => r.id === r.data.seq)).toBe(true);
    expect(all.map((r) => r.data.seq)).toEqual(Array.from({ length: all.length }, (_, i) => start.seq + 1 + i));
    expect(all.filter((r) => r.data.type === "gap")).toEqual([]);
    const kinds = (name: string) => all.filter((r) => r.data.gateway === name && r.data.type !== "log").map((r) => (r.data.type === "state" ? `state:${(r.data.data as { to: string }).to}` : r.data.type));
    expect(kinds("a")).toEqual(expect.arrayContaining(["state:stopping", "exit", "state:stopped", "state:starting", "ready"]));
    expect(kinds("b")).toEqual(expect.arrayContaining(["state:restarting", "ready"]));
    // A type and gateway filter on resume.
    const filtered = await events(`?since=${start.seq}&types=ready&gateways=b`, undefined, (r) => r.type === "ready");
    expect(filtered.map((r) => [r.data.gateway, r.data.type])).toEqual([["b", "ready"]]);
    // Every consumer that went away let go of its cursor on the server.
    await waitUntil(() => handler.openStreams === 0, "the dropped streams to close on the server");
  });

  it("sends a heartbeat comment on an idle stream", async () => {
    const res = await api("/events?types=removed");
    const comments: string[] = [];
    await readSse(res, () => true, (c) => comments.push(c) > 0 && c === "heartbeat");
    expect(comments).toContain("heartbeat");
  });
});

describe("secrets", () => {
  it("no response body holds a gateway token or the API token", async () => {
    // b printed its token at ready: the logs and events have that line, redacted.
    const logs = await json<{ records: Array<{ message: string }> }>("/gateways/b/logs");
    expect(logs.body.records.some((r) => r.message.includes("auth token is"))).toBe(true);
    await json(`/gateways/b`);
    await events("?since=0", undefined, (_r, all) => all.length >= 50);
    const secrets = [a, b].map((g) => readFileSync(g.context.tokenFile, "utf8").trim());
    expect(secrets.every((s) => s.length >= 32)).toBe(true);
    expect(bodies.length).toBeGreaterThan(50);
    const text = bodies.join("\n");
    for (const s of [...secrets, token]) expect(text.includes(s)).toBe(false);
    expect(text).not.toMatch(/OPENCLAW_GATEWAY_TOKEN/);
  });
});
