// Dispose never throws and never hangs: whatever it cannot end within its deadline is in its
// result and in one DISPOSE_INCOMPLETE warning, so `await using` is always safe.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DisposeReport, Gateway, GatewayHost, GatewayWarning, HostWarning } from "clawhost";
import { readProc } from "../../src/fs/proc.js";
import { Env, nextState, settle } from "./harness.js";

interface Case {
  name: string;
  /** Bring the host into the trouble; returns what the check needs. */
  setup: (env: Env, host: GatewayHost) => Promise<Gateway | undefined>;
  timeoutMs?: number;
  /** Codes of the problems the report must list (empty: a clean dispose). */
  problems: string[];
  stopped?: string[];
}

const CASES: Case[] = [
  {
    name: "a gateway whose processes outlive SIGKILL (STOP_TIMEOUT)",
    setup: async (env, host) => {
      const gw = await host.add({ name: "main" });
      await gw.start();
      const proc = env.world.last;
      proc.survivors = [{ pid: proc.pid, state: "D", comm: "openclaw-gateway" }];
      env.onCleanup(() => {
        proc.survivors = [];
        proc.exit(null, "SIGKILL");
      });
      return gw;
    },
    problems: ["CLAWHOST_STOP_TIMEOUT"],
  },
  {
    name: "a lease dir replaced by a file (the leases cannot be written)",
    setup: async (env, host) => {
      const gw = await host.add({ name: "main" });
      await gw.start();
      rmSync(env.leaseDir, { recursive: true });
      writeFileSync(env.leaseDir, "x");
      env.onCleanup(() => {
        rmSync(env.leaseDir);
        mkdirSync(env.leaseDir, { mode: 0o700 });
      });
      return gw;
    },
    problems: ["CLAWHOST_FS_ERROR"],
    stopped: ["main"],
  },
  {
    name: "a lease registry lock held by a live process (waited for only until the deadline)",
    setup: async (env, host) => {
      const gw = await host.add({ name: "main" });
      const lock = join(env.leaseDir, "leases.lock");
      mkdirSync(lock);
      writeFileSync(join(lock, "owner.json"), JSON.stringify({ pid: process.pid, startTime: readProc(process.pid)!.startTime }));
      env.onCleanup(() => rmSync(lock, { recursive: true, force: true }));
      return gw;
    },
    timeoutMs: 300,
    problems: ["DISPOSE_DEADLINE"],
    stopped: ["main"],
  },
  {
    name: "a stop that never ends (a kill that hangs)",
    setup: async (env, host) => {
      const gw = await host.add({ name: "main" });
      await gw.start();
      const proc = env.world.last;
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      proc.terminate = async () => {
        await released;
        proc.exit(null, "SIGKILL");
        return { escalated: true, survivors: [] };
      };
      env.onCleanup(() => release());
      return gw;
    },
    timeoutMs: 200,
    problems: ["DISPOSE_DEADLINE"],
  },
  {
    name: "a start still waiting for readiness",
    setup: async (env, host) => {
      env.world.defaultBoot = { kind: "manual" };
      const gw = await host.add({ name: "main" });
      const starting = gw.start();
      starting.catch(() => undefined);
      await env.world.waiting();
      return gw;
    },
    problems: [],
    stopped: ["main"],
  },
  {
    name: "a run record replaced by a directory",
    setup: async (_env, host) => {
      const gw = await host.add({ name: "main" });
      await gw.start();
      rmSync(gw.context.runFile, { force: true });
      mkdirSync(join(gw.context.runFile, "x"), { recursive: true });
      return gw;
    },
    problems: [],
    stopped: ["main"],
  },
  {
    name: "a root removed under running gateways",
    setup: async (env, host) => {
      const gw = await host.add({ name: "main" });
      await gw.start();
      rmSync(env.root, { recursive: true, force: true });
      return gw;
    },
    problems: [],
    stopped: ["main"],
  },
  {
    name: "a gateway in backoff and one failed",
    setup: async (env, host) => {
      const a = await host.add({ name: "a", restart: { initialDelayMs: 60_000 } });
      await a.start();
      env.world.last.exit(1);
      await nextState(a, "backoff");
      env.world.boots = [{ kind: "exit", code: 1 }];
      const b = await host.add({ name: "b" });
      await b.start().catch(() => undefined);
      return a;
    },
    problems: [],
    stopped: ["a", "b"],
  },
  {
    name: "a timeoutMs that is no duration (NaN): the default is used, and said",
    setup: async (_env, host) => {
      const gw = await host.add({ name: "main" });
      await gw.start();
      return gw;
    },
    timeoutMs: Number.NaN,
    problems: ["CLAWHOST_INVALID_OPTIONS"],
    stopped: ["main"],
  },
];

describe("host.dispose never throws", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const env = new Env();
      try {
        const host = env.host();
        await c.setup(env, host);
        await settle();
        const warnings: HostWarning[] = [];
        host.on("warning", (w) => warnings.push(w));
        const t0 = Date.now();
        const report: DisposeReport = await host.dispose(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs });
        if (c.timeoutMs !== undefined && Number.isFinite(c.timeoutMs)) expect(Date.now() - t0).toBeLessThan(c.timeoutMs + 1_500);
        expect(report.problems.map((p) => p.code)).toEqual(c.problems);
        if (c.stopped) expect(report.stopped.sort()).toEqual(c.stopped);
        expect(warnings.map((w) => w.code)).toEqual(c.problems.length > 0 ? ["DISPOSE_INCOMPLETE"] : []);
        for (const p of report.problems) expect(p.message.length).toBeGreaterThan(0);
        // Disposed: it refuses further use, and disposing again shares the same report.
        await expect(host.add({ name: "late" })).rejects.toMatchObject({ code: "CLAWHOST_HOST_DISPOSED" });
        expect(await host.dispose()).toBe(report);
        await host[Symbol.asyncDispose]();
      } finally {
        await env.dispose();
      }
    });
  }

  it("`await using` survives a gateway whose stop fails", async () => {
    const env = new Env();
    let outer: GatewayHost | undefined;
    try {
      await (async () => {
        await using host = env.host();
        outer = host;
        await (await host.add({ name: "main" })).start();
        env.world.last.survivors = [{ pid: env.world.last.pid, state: "D", comm: "openclaw-gateway" }];
      })();
      expect(outer!.list()[0]!.state).toBe("failed");
    } finally {
      env.world.last.survivors = [];
      env.world.last.exit(null, "SIGKILL");
      await env.dispose();
    }
  });
});

describe("gateway.dispose never throws", () => {
  it("reports survivors instead of rejecting, with a warning", async () => {
    const env = new Env();
    try {
      const gw = await env.gateway();
      await gw.start();
      const proc = env.world.last;
      proc.survivors = [{ pid: proc.pid, state: "D", comm: "openclaw-gateway" }];
      const warnings: GatewayWarning[] = [];
      gw.on("warning", (w) => warnings.push(w));
      const report = await gw.dispose();
      expect(report.problems.map((p) => p.code)).toEqual(["CLAWHOST_STOP_TIMEOUT"]);
      expect(warnings.map((w) => w.code)).toEqual(["DISPOSE_INCOMPLETE"]);
      proc.survivors = [];
      await gw[Symbol.asyncDispose]();
      expect(gw.state).toBe("stopped");
    } finally {
      await env.dispose();
    }
  });
});
