/**
 * `clawhost/testing/vitest`: the pool as vitest fixtures (`gateway`, `sharedGateway`), and a
 * `globalSetup` for gateways of the whole run (docs/testing.md).
 *
 * @example
 * ```ts
 * import { test } from "clawhost/testing/vitest";
 * test("answers health", async ({ gateway }) => { await gateway.call("health", {}); });
 * ```
 *
 * @packageDocumentation
 * @module clawhost/testing/vitest
 */
import type { TestAPI, TestContext } from "vitest";
import type { TestProject } from "vitest/node";
import { GatewayHost } from "../index.js";
import type { Gateway, GatewaySpec } from "../index.js";
import type { PoolOptions } from "./options.js";
import { GatewayPool } from "./pool.js";
import { addAndStart } from "./start.js";
import { openTestRun, RUN_DIR_ENV } from "./run.js";
import { vitest } from "./vitest-runtime.js";
import { workerPorts } from "./worker.js";

/** How a test reaches a gateway that `globalSetup` started (the token stays in its file). */
export interface GlobalGatewayInfo {
  name: string;
  port: number;
  url: string;
  tokenFile: string;
  configPath: string;
  stateDir: string;
}

/** What `globalSetup` provides to the tests as `inject("clawhost")`. */
export interface ClawhostProvided {
  runDir: string;
  options: PoolOptions;
  gateways: Record<string, GlobalGatewayInfo>;
}

declare module "vitest" {
  interface ProvidedContext {
    clawhost: ClawhostProvided;
  }
}

/** The fixtures a clawhost test gets. */
export interface ClawhostFixtures {
  /** A fresh, isolated, ready gateway for this test alone; stopped after it. */
  gateway: Gateway;
  /** The worker's gateway, shared by its tests. */
  sharedGateway: Gateway;
  /** The worker's pool (worker-scoped). */
  clawhostPool: GatewayPool;
  /** Options of the worker's pool (worker-scoped; override with `test.extend`). */
  clawhostOptions: PoolOptions;
}

type FailedTask = TestContext["task"] & { result?: { state?: string; errors?: unknown[] } };

// A failed test's output shows its errors: the diagnostics join them there.
async function attachOnFailure(task: FailedTask, pool: GatewayPool, gateway: Gateway): Promise<void> {
  if (task.result?.state !== "fail") return;
  const text = await pool.describe(gateway);
  (task.result.errors ??= []).push({ name: "ClawhostDiagnostics", message: `gateway ${gateway.name} of this failed test\n${text}`, stack: "" });
  const meta = task.meta as Record<string, unknown>;
  ((meta.clawhostDiagnostics ??= []) as string[]).push(text);
}

function provided(): ClawhostProvided | undefined {
  try {
    return vitest().inject("clawhost");
  } catch {
    return undefined; // Outside a vitest worker.
  }
}

/**
 * A vitest `test` with clawhost's fixtures, for pool options of your own.
 *
 * @example
 * ```ts
 * export const test = createTest({ spares: 1, spec: { config: { agents: { defaults: {} } } } });
 * test("health", async ({ gateway }) => { await gateway.call("health", {}); });
 * ```
 */
export function createTest(options: PoolOptions = {}): TestAPI<ClawhostFixtures> {
  return vitest().test.extend<ClawhostFixtures>({
    clawhostOptions: [options, { scope: "worker" }],
    clawhostPool: [
      async ({ clawhostOptions }, use) => {
        const given = provided();
        const pool = new GatewayPool({ ...given?.options, ...clawhostOptions }, openTestRun(given?.runDir ?? process.env[RUN_DIR_ENV]));
        await use(pool);
        await pool.close();
      },
      { scope: "worker" },
    ],
    gateway: async ({ clawhostPool, task }, use) => {
      const gateway = await clawhostPool.acquire();
      await use(gateway);
      await attachOnFailure(task, clawhostPool, gateway);
      // The stop runs while the next test starts; close() waits for it.
      void clawhostPool.release(gateway);
    },
    sharedGateway: async ({ clawhostPool, task }, use) => {
      const gateway = await clawhostPool.shared();
      await use(gateway);
      await attachOnFailure(task, clawhostPool, gateway);
    },
  });
}

/**
 * vitest's `test` with the fixtures `gateway` (fresh, for one test) and `sharedGateway`
 * (one per worker); pool options come from `globalSetup` or the defaults.
 *
 * @example
 * ```ts
 * import { test } from "clawhost/testing/vitest";
 * test("answers health", async ({ gateway }) => { await gateway.call("health", {}); });
 * ```
 */
export const test: TestAPI<ClawhostFixtures> = lazyTest();

// `test.extend` needs a test file being collected (worker fixtures at its top level): made at
// import there; elsewhere (a globalSetup, a config, plain Node) on first use.
function lazyTest(): TestAPI<ClawhostFixtures> {
  let made: TestAPI<ClawhostFixtures> | undefined;
  try {
    made = createTest();
  } catch {
    // Not inside a test file.
  }
  const real = (): TestAPI<ClawhostFixtures> => (made ??= createTest());
  return new Proxy(function clawhostTest() {} as unknown as TestAPI<ClawhostFixtures>, {
    apply: (_t, thisArg, args: unknown[]) => Reflect.apply(real() as unknown as (...a: unknown[]) => unknown, thisArg, args),
    get: (_t, key) => Reflect.get(real() as object, key),
    has: (_t, key) => Reflect.has(real() as object, key),
  });
}

/** Options of {@link globalSetup}: the pool's options for every worker, and gateways for the whole run. */
export interface GlobalSetupOptions extends PoolOptions {
  /** Gateways started once, before any test, reachable through `inject("clawhost").gateways`. */
  gateways?: GatewaySpec[];
}

/**
 * A vitest global setup: creates the run's temp dir (workers join it), starts `gateways`
 * once, provides their connection info and the pool options as `inject("clawhost")`, and
 * stops and removes everything at the end.
 *
 * @example
 * ```ts
 * // test/clawhost.setup.ts, named in vitest.config.ts as test.globalSetup
 * import { globalSetup } from "clawhost/testing/vitest";
 * export default globalSetup({ spares: 2, gateways: [{ name: "main" }] });
 * ```
 */
export function globalSetup(options: GlobalSetupOptions = {}): (project: TestProject) => Promise<() => Promise<void>> {
  return async (project) => {
    const { gateways = [], ...poolOptions } = options;
    const run = openTestRun("");
    process.env[RUN_DIR_ENV] = run.dir;
    const host = new GatewayHost({
      root: `${run.dir}/global`,
      leaseDir: run.leaseDir,
      ports: poolOptions.ports ?? workerPorts("0"),
      ...(poolOptions.openclaw ? { openclaw: poolOptions.openclaw } : {}),
      ...(poolOptions.readyTimeoutMs ? { readyTimeoutMs: poolOptions.readyTimeoutMs } : {}),
    });
    const teardown = async (): Promise<void> => {
      await host.dispose();
      delete process.env[RUN_DIR_ENV];
      // vitest tears the global setup down before it stops its workers, whose pools' gateways
      // still run in the run dir: it goes once their pools have closed.
      run.closeAfterWorkers();
    };
    const info: Record<string, GlobalGatewayInfo> = {};
    try {
      const started = await Promise.all(gateways.map((spec) => addAndStart(host, spec)));
      for (const gw of started) {
        const port = gw.context.ports.gateway;
        info[gw.name.replace(/-\d+$/, "")] = { name: gw.name, port, url: `ws://127.0.0.1:${port}`, tokenFile: gw.context.tokenFile, configPath: gw.context.configPath, stateDir: gw.context.stateDir };
      }
    } catch (err) {
      await teardown();
      await run.close(); // No worker has started: at once.
      throw err;
    }
    project.provide("clawhost", { runDir: run.dir, options: poolOptions, gateways: info });
    return teardown;
  };
}
