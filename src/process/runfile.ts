import { readFile, rm } from "node:fs/promises";
import { writeFileAtomic } from "../fs/atomic.js";

/**
 * What clawhost records about a running gateway (`<root>/<name>/gateway.run.json`): enough
 * for a later host to recognise it (pid + start time + bootId), adopt it when it was
 * started to outlive its host, or end it when it is an orphan.
 */
export interface RunRecord {
  pid: number;
  startTime: number;
  bootId: string;
  port: number;
  outlive: boolean;
  /** `CLAWHOST_RUN_ID` in the env of every process of its tree. */
  runId?: string;
  /** Pid of the host process that started it. */
  hostPid: number;
  startedAt: string;
}

/** Read the run record, or `undefined` when there is none (or it is unreadable). */
export async function readRunRecord(path: string): Promise<RunRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(path, "utf8")) as Partial<RunRecord>;
    if (typeof r.pid !== "number" || typeof r.startTime !== "number" || typeof r.bootId !== "string") return undefined;
    return r as RunRecord;
  } catch {
    return undefined;
  }
}

/** Write the run record atomically, mode 0600. */
export function writeRunRecord(path: string, record: RunRecord): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
}

/** Remove the run record; never throws (a stop must end in `stopped`; a left-over is ignored on the next read). */
export async function removeRunRecord(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}
