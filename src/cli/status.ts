import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileSync, renameSync, rmSync } from "node:fs";
import type { GatewaySnapshot } from "../index.js";

/** What a foreground `up` publishes about the fleet it supervises, for `ps` in another terminal. */
export interface UpStatus {
  pid: number;
  updatedAt: string;
  gateways: GatewaySnapshot[];
}

/** `<root>/.clawhost-up.json`: written by a foreground `up` while it runs, removed when it ends. */
export function statusPath(root: string): string {
  return join(root, ".clawhost-up.json");
}

/** The status of a foreground `up` that still runs on this root, if any. */
export async function readLiveStatus(root: string): Promise<UpStatus | undefined> {
  let status: UpStatus;
  try {
    status = JSON.parse(await readFile(statusPath(root), "utf8")) as UpStatus;
  } catch {
    return undefined;
  }
  try {
    process.kill(status.pid, 0);
    return status;
  } catch {
    return undefined;
  }
}

/** Replace the status file in one rename (a reader never sees half of it). Sync: a few KB, from the CLI's own process only. */
export function writeStatus(root: string, gateways: GatewaySnapshot[]): void {
  const path = statusPath(root);
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ pid: process.pid, updatedAt: new Date().toISOString(), gateways } satisfies UpStatus)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Remove the status file; never throws. */
export function removeStatus(root: string): void {
  rmSync(statusPath(root), { force: true });
}
