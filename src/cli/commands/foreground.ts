import type { Command } from "commander";
import type { GatewayHost } from "../../index.js";
import { EXIT } from "../exit.js";
import { withSession } from "../context.js";
import type { Session } from "../session.js";
import { removeStatus, writeStatus } from "../status.js";
import { LiveView } from "../live.js";
import { startEach } from "./up.js";

const STATUS_REFRESH_MS = 5_000;


async function printRecords(host: GatewayHost, signal: AbortSignal): Promise<void> {
  for await (const r of host.events({ since: 0, signal })) if (r.type !== "log") process.stdout.write(`${JSON.stringify(r)}\n`);
}

/** What `serve` adds to a foreground run. */
export interface ForegroundExtra {
  /** Called once the fleet is open, before any start: what it returns is called at the end. */
  attach(s: Session, say: (text: string) => void): Promise<() => Promise<void>>;
  /** Keep running when every gateway failed to start (they can be started again from outside). */
  keepRunning: boolean;
}

/**
 * `clawhost up` in the foreground: start, print one line per change, publish the fleet's
 * status for `ps` elsewhere, and on Ctrl-C (or SIGTERM) stop everything gracefully; a second
 * Ctrl-C forces (SIGKILL of every tree).
 */
export function runForeground(cmd: Command, names: readonly string[], waitTimeoutMs: number, extra?: ForegroundExtra): Promise<number> {
  return withSession(cmd, names, async (s, g) => {
    const root = s.fleet.host.root;
    // --json: the event stream's records, one per line; else on a terminal a table redrawn in place, piped plain lines.
    const live = process.stdout.isTTY && !g.json ? new LiveView(process.stdout, s.host) : undefined;
    const say = (text: string): void => {
      const line = `${new Date().toISOString()} ${text}`;
      if (g.json) return;
      if (live) live.line(line);
      else process.stdout.write(`${line}\n`);
    };
    const stream = new AbortController();
    const streamed = g.json ? printRecords(s.host, stream.signal) : Promise.resolve();
    const publish = (): void => {
      writeStatus(root, s.host.list().map((g) => g.snapshot()));
      live?.refresh();
    };
    s.host.on("gateway:state", (gw, c) => {
      if (c.to !== "ready" && c.to !== "backoff") say(`${gw.name} ${c.to}`);
      publish();
    });
    s.host.on("gateway:ready", (gw, r) => {
      say(`${gw.name} ready pid ${r.pid} port ${gw.context.ports.gateway}${r.via === "adopted" ? " (adopted)" : ` in ${r.readyMs} ms`}`);
      publish();
    });
    s.host.on("gateway:exit", (gw, x) => say(`${gw.name} exited (${x.reason}${x.code === null || x.code === undefined ? "" : `, code ${x.code}`}${x.signal ? `, ${x.signal}` : ""})`));
    s.host.on("gateway:backoff", (gw, b) => say(`${gw.name} restarting in ${b.delayMs} ms (attempt ${b.attempt})`));
    s.host.on("gateway:unhealthy", (gw) => say(`${gw.name} unhealthy`));

    const force = new AbortController();
    let interrupted!: () => void;
    const interruptedP = new Promise<void>((r) => (interrupted = r));
    let signals = 0;
    const onSignal = (): void => {
      signals += 1;
      if (signals === 1) {
        say("stopping (Ctrl-C again to force)");
        live?.refresh("stopping: Ctrl-C again to force.");
        interrupted();
      } else {
        say("forcing");
        force.abort();
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    // Memory and CPU change without events: refresh what ps elsewhere reads, one timer per fleet.
    const refresh = setInterval(publish, STATUS_REFRESH_MS);
    let detach: (() => Promise<void>) | undefined;
    try {
      detach = await extra?.attach(s, say);
      publish();
      const results = await Promise.race([startEach(s.selected, waitTimeoutMs), interruptedP.then(() => undefined)]);
      for (const r of results ?? []) if (!r.ok) say(`${r.name} not ready: ${r.message}`);
      const allFailed = results !== undefined && results.every((r) => !r.ok) && !extra?.keepRunning;
      if (!allFailed) await interruptedP;
      await s.host.stopAll({ signal: force.signal }).catch((err: Error) => say(`stop: ${err.message}`));
      if (signals > 0) return EXIT.interrupted;
      return EXIT.failed;
    } finally {
      await detach?.();
      stream.abort();
      await streamed;
      clearInterval(refresh);
      removeStatus(root);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
}
