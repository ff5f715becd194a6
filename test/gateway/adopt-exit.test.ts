import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterAll, expect, it } from "vitest";
import { isAlive } from "../../src/fs/proc.js";
import { FAKE_OPENCLAW, makeTmp, processesUnder, treeOf } from "../helpers.js";

// A program whose only work is to adopt an outlive gateway and stop it must not end before
// stop() resolves: an adopted root is not its child, so its end is noticed by the unref'd
// sampler, and the wait for it must keep the process alive. Ports 20000-20119.
const tmp = makeTmp("adopt-exit");
afterAll(() => tmp.cleanup());
const WORKER = new URL("../fixtures/host-worker.mjs", import.meta.url).pathname;
const worker = (mode: string): string[] => [WORKER, `${tmp.dir}/root`, "20000", "20119", mode, `${tmp.dir}/leases`, FAKE_OPENCLAW];

it("a process that adopts an outlive gateway and stops it, with nothing else alive, finishes its work", async () => {
  const first = spawn(process.execPath, worker("outlive"), { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = (await once(createInterface({ input: first.stdout! }), "line")) as [string];
  const info = JSON.parse(line) as { pid: number };
  const exited = once(first, "exit");
  first.kill("SIGKILL");
  await exited;
  const tree = treeOf(info.pid);
  expect(tree.length).toBeGreaterThan(0);

  const second = await new Promise<{ code: number | null; stdout: string }>((resolve) =>
    execFile(process.execPath, worker("adopt-stop"), (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout })),
  );
  expect(second).toEqual({ code: 0, stdout: `${JSON.stringify({ stopped: "stopped", pid: info.pid, adopted: true })}\n` });
  expect(tree.filter((p) => isAlive(p))).toEqual([]);
  expect(processesUnder([tmp.dir])).toEqual([]);
});
