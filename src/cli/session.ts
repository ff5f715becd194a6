import { readFile, rm } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { ClawhostError, GatewayHost, isClawhostError } from "../index.js";
import type { Gateway } from "../index.js";
import { fleetError } from "./fleet.js";
import type { Fleet } from "./fleet.js";

/** What `<root>/<name>/gateway.run.json` says about a gateway left running, as far as the CLI needs. */
export interface RunFacts {
  pid: number;
  /** The recorded process still exists. */
  alive: boolean;
}

/** One invocation's view of the fleet: a host on the fleet's root with the gateways named (all when none is) added. */
export interface Session {
  fleet: Fleet;
  host: GatewayHost;
  /** The gateways named on the command line (all of the file when none is). */
  selected: Gateway[];
  /** Leave adopted gateways running, stop the rest, give the leases back to the root. */
  close(): Promise<void>;
}

// A second invocation on the same fleet waits for the first rather than failing: leases are the lock.
const LEASE_RETRY_MS = 250;

/** The run record of a gateway an earlier invocation left, if any. */
export async function runFacts(gateway: Gateway): Promise<RunFacts | undefined> {
  let rec: { pid?: unknown; startTime?: unknown };
  try {
    rec = JSON.parse(await readFile(gateway.context.runFile, "utf8")) as { pid?: unknown; startTime?: unknown };
  } catch {
    return undefined;
  }
  if (typeof rec.pid !== "number") return undefined;
  return { pid: rec.pid, alive: await isRecordedProcess(rec.pid, rec.startTime) };
}

/**
 * The recorded process itself still runs: not a zombie (a detached gateway killed while no
 * one reaps it), not another process that got its pid (start time, field 22 of stat).
 */
async function isRecordedProcess(pid: number, startTime: unknown): Promise<boolean> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[0] !== "Z" && fields[0] !== "X" && (typeof startTime !== "number" || Number(fields[19]) === startTime);
}

function unknownName(fleet: Fleet, name: string): ClawhostError {
  return new ClawhostError("CLAWHOST_UNKNOWN_GATEWAY", `no gateway named ${JSON.stringify(name)} in ${fleet.file}.`, {
    value: name,
    fix: `use one of ${[...fleet.gateways.keys()].join(", ") || "(none: the file has no gateways)"}.`,
  });
}

/**
 * Open the fleet for one invocation. Every gateway runs with `outlive` (the CLI is never
 * the only owner of a fleet), so each invocation is a host that adopts what runs.
 */
export async function openSession(fleet: Fleet, names: readonly string[], opts: { lockTimeoutMs: number }): Promise<Session> {
  for (const n of names) if (!fleet.gateways.has(n)) throw unknownName(fleet, n);
  let host: GatewayHost;
  try {
    host = new GatewayHost({ ...fleet.host, outlive: true });
  } catch (err) {
    throw fleetError(fleet, err);
  }
  const deadline = Date.now() + opts.lockTimeoutMs;
  try {
    // Only the gateways named are taken: an invocation on `main` leaves `rescue` free for another.
    for (const [name, spec] of fleet.gateways) {
      if (names.length > 0 && !names.includes(name)) continue;
      for (;;) {
        try {
          await host.add(spec, { timeoutMs: Math.max(1, deadline - Date.now()) });
          break;
        } catch (err) {
          if (isClawhostError(err) && err.code === "CLAWHOST_LEASE_HELD" && Date.now() < deadline) {
            await delay(LEASE_RETRY_MS);
            continue;
          }
          throw fleetError(fleet, err, name);
        }
      }
    }
  } catch (err) {
    await host.dispose();
    throw err;
  }
  const selected = names.length === 0 ? host.list() : names.map((n) => host.get(n)!);
  return { fleet, host, selected, close: async () => void (await host.dispose()) };
}

/**
 * Adopt the gateways of `gateways` that an earlier invocation left running (a `start()` on a
 * live run record adopts without a restart). Returns those whose recorded process is gone.
 */
export async function adoptRunning(gateways: readonly Gateway[], timeoutMs: number): Promise<Map<string, RunFacts>> {
  const gone = new Map<string, RunFacts>();
  await Promise.all(
    gateways.map(async (g) => {
      const facts = await runFacts(g);
      if (!facts) return;
      if (!facts.alive) return void gone.set(g.name, facts);
      await g.start({ timeoutMs }).catch(() => undefined);
    }),
  );
  return gone;
}

/**
 * Forget the run record of a gateway whose process is gone (checked by the caller): `stop`
 * and `down` of a gateway that died while detached end with it `stopped`, not `exited`.
 */
export async function forgetDeadRun(gateway: Gateway): Promise<void> {
  const facts = await runFacts(gateway);
  if (facts && !facts.alive) await rm(gateway.context.runFile, { force: true });
}
