import { descendantsOf, isAlive, readProc } from "./proc.js";
import type { ProcIdentity } from "./proc.js";

const POLL_MS = 50;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function signal(id: ProcIdentity, sig: NodeJS.Signals): void {
  if (!isAlive(id)) return;
  try {
    process.kill(id.pid, sig);
  } catch {
    // Exited between the check and the signal.
  }
}

/**
 * A process tree rooted at a spawned child, tracked by (pid, start time) so that
 * descendants are still known after the root dies and they are re-parented to init.
 */
export class ProcessTree {
  readonly root: ProcIdentity;
  readonly #members = new Map<number, ProcIdentity>();

  constructor(rootPid: number) {
    const info = readProc(rootPid);
    this.root = { pid: rootPid, startTime: info?.startTime ?? -1 };
    this.#members.set(rootPid, this.root);
  }

  /** Add the root's current descendants to the known members. */
  refresh(): void {
    if (!isAlive(this.root)) return;
    for (const p of descendantsOf(this.root.pid)) {
      const known = this.#members.get(p.pid);
      if (!known || known.startTime !== p.startTime) this.#members.set(p.pid, { pid: p.pid, startTime: p.startTime });
    }
  }

  /** Known members still alive (root included). */
  alive(): ProcIdentity[] {
    return [...this.#members.values()].filter(isAlive);
  }

  /**
   * End the whole tree: SIGTERM to the root (the gateway shuts its children down itself),
   * SIGKILL to every member still alive after `graceMs`, and SIGTERM then SIGKILL to
   * descendants that outlive the root. Resolves when no member is alive.
   */
  async kill(graceMs: number): Promise<{ escalated: boolean }> {
    this.refresh();
    signal(this.root, "SIGTERM");
    let escalated = false;
    const deadline = Date.now() + graceMs;
    while (isAlive(this.root) && Date.now() < deadline) {
      this.refresh();
      await sleep(POLL_MS);
    }
    if (isAlive(this.root)) {
      escalated = true;
      this.refresh();
      for (const id of this.alive()) signal(id, "SIGKILL");
    }
    // Orphans of the root (broker, terminals): give them a short grace, then kill.
    const orphanDeadline = Date.now() + Math.min(graceMs, 2_000);
    let termed = false;
    while (this.alive().length > 0) {
      if (!termed) {
        for (const id of this.alive()) signal(id, "SIGTERM");
        termed = true;
      }
      if (Date.now() >= orphanDeadline) {
        escalated = true;
        for (const id of this.alive()) signal(id, "SIGKILL");
      }
      await sleep(POLL_MS);
    }
    return { escalated };
  }
}
