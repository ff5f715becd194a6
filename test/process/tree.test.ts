import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ProcessTree } from "../../src/process/tree.js";
import { descendantsOf, readProc } from "../../src/fs/proc.js";
import { stillAlive, treeOf } from "../helpers.js";

// A parent that starts a grandchild in its own session (like OpenClaw's spawn broker),
// then either exits on SIGTERM or ignores it.
const parentScript = (ignoreTerm: boolean) => `
  const { spawn } = require("node:child_process");
  const g = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); console.log('armed'); setInterval(() => {}, 1000)"], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
  ${ignoreTerm ? "process.on('SIGTERM', () => {});" : ""}
  // Report the grandchild only once its SIGTERM handler is installed.
  g.stdout.once("data", () => console.log(String(g.pid)));
  setInterval(() => {}, 1000);
`;

async function startParent(ignoreTerm: boolean) {
  const child = spawn(process.execPath, ["-e", parentScript(ignoreTerm)], { stdio: ["ignore", "pipe", "inherit"] });
  const grandchild = await new Promise<number>((resolve) => child.stdout.once("data", (d) => resolve(Number(String(d).trim()))));
  return { child, grandchild };
}

describe("process-tree kill", () => {
  it("reaches a grandchild in its own session that ignores SIGTERM", async () => {
    const { child, grandchild } = await startParent(false);
    const g = readProc(grandchild)!;
    expect(g.sid).toBe(grandchild); // own session, as a group kill would miss it
    expect(g.sid).not.toBe(readProc(child.pid!)!.sid);
    const members = treeOf(child.pid!);
    expect(members.map((m) => m.pid)).toContain(grandchild);
    const tree = new ProcessTree(child.pid!);
    const { escalated } = await tree.kill({ graceMs: 2_000 });
    expect(escalated).toBe(true); // the grandchild needed SIGKILL
    expect(stillAlive(members)).toEqual([]);
  });

  it("escalates to SIGKILL when the root ignores SIGTERM", async () => {
    const { child } = await startParent(true);
    const members = treeOf(child.pid!);
    const exited = new Promise((r) => child.once("exit", (_c, sig) => r(sig)));
    await new ProcessTree(child.pid!).kill({ graceMs: 300 });
    expect(await exited).toBe("SIGKILL");
    expect(stillAlive(members)).toEqual([]);
    expect(descendantsOf(process.pid)).toEqual([]);
  });
});
