import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isTokenShaped } from "../context/secrets.js";
import { ClawhostError, isClawhostError } from "../errors.js";
import { isAlive } from "../fs/proc.js";
import { readRunRecord } from "../process/runfile.js";
import { GatewayConnection } from "../rpc/connection.js";
import type { LiveConfigTarget } from "./store.js";

/** How long a pending update waits before looking again at a gateway that runs but does not answer yet. */
const RECHECK_MS = 250;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The gateway dir a standalone store watches for a running gateway: `gatewayDir` when
 * given, else `<dir>` when the config is at clawhost's default `<dir>/config/openclaw.json`.
 */
export function gatewayDirOf(configPath: string, gatewayDir: string | undefined): string | undefined {
  if (gatewayDir) return gatewayDir;
  const configDir = dirname(configPath);
  return basename(configPath) === "openclaw.json" && basename(configDir) === "config" ? dirname(configDir) : undefined;
}

/**
 * The live path of a store in a process that does not run the gateway: the gateway's run
 * record (`gateway.run.json`: pid, start time, port) says whether it runs; while it does,
 * updates go through its WebSocket (`config.patch` with the hash check) with the token
 * from `secrets/gateway.token`, never into the file under it. One connection per batch of
 * updates, closed when the batch is settled.
 */
export function remoteTarget(name: string, gatewayDir: string): LiveConfigTarget {
  const runFile = join(gatewayDir, "gateway.run.json");
  const tokenFile = join(gatewayDir, "secrets", "gateway.token");
  let conn: GatewayConnection | undefined;

  const connect = async (port: number): Promise<GatewayConnection | undefined> => {
    if (conn && !conn.closed) return conn;
    conn = undefined;
    const token = (await readFile(tokenFile, "utf8").catch(() => "")).trim();
    if (!isTokenShaped(token)) return undefined;
    try {
      conn = await GatewayConnection.open({ url: `ws://127.0.0.1:${port}`, token, timeoutMs: CONNECT_TIMEOUT_MS, gateway: name });
      return conn;
    } catch (err) {
      // Not listening yet, still booting (UNAVAILABLE), or going away: ask again shortly.
      if (isClawhostError(err)) return undefined;
      throw err;
    }
  };

  return {
    async mode() {
      const record = await readRunRecord(runFile);
      if (!record || !isAlive({ pid: record.pid, startTime: record.startTime })) {
        conn?.close();
        conn = undefined;
        return "file";
      }
      return (await connect(record.port)) ? "live" : "wait";
    },
    changed: () => new Promise((r) => setTimeout(r, RECHECK_MS)),
    call(method, params) {
      if (!conn || conn.closed) {
        const fix = "nothing: the store decides again whether the gateway runs and writes once it knows.";
        return Promise.reject(new ClawhostError("CLAWHOST_CONNECTION_CLOSED", "the connection to the gateway closed.", { gateway: name, value: method, fix }));
      }
      return conn.request(method, params);
    },
    release() {
      conn?.close();
      conn = undefined;
    },
  };
}
