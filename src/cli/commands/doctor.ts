import { readdir, readlink } from "node:fs/promises";
import { createServer } from "node:net";
import type { Command } from "commander";
import { ClawhostError, GatewayHost, isClawhostError, SUPPORTED_OPENCLAW } from "../../index.js";
import type { Gateway } from "../../index.js";
import { EXIT } from "../exit.js";
import { globals, reportError } from "../context.js";
import { fleetError, loadFleet } from "../fleet.js";
import type { Fleet } from "../fleet.js";
import { printJson } from "../output.js";
import { runFacts } from "../session.js";
import { readLiveStatus } from "../status.js";

/** One check of `doctor`: `ok: false` is a finding. */
export interface Check {
  check: string;
  gateway?: string;
  ok: boolean;
  message: string;
  code?: string;
  fix?: string;
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Pids of processes whose cwd is `dir` or below (a gateway's private cwd is `<root>/<name>/run`). */
async function processesIn(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => undefined);
    if (cwd !== undefined && (cwd === dir || cwd.startsWith(`${dir}/`))) out.push(Number(entry));
  }
  return out;
}

async function checkGateway(gw: Gateway): Promise<Check[]> {
  const checks: Check[] = [];
  const name = gw.name;
  const facts = await runFacts(gw);
  if (facts?.alive) {
    checks.push({ check: "process", gateway: name, ok: true, message: `running, pid ${facts.pid}` });
    return checks;
  }
  if (facts) {
    checks.push({ check: "process", gateway: name, ok: false, message: `pid ${facts.pid} ended while no clawhost watched it (its run record is left)`, fix: `clawhost up ${name} --detach starts it again; clawhost stop ${name} clears it.` });
  } else {
    checks.push({ check: "process", gateway: name, ok: true, message: "stopped" });
  }
  const leftovers = await processesIn(gw.context.cwd);
  checks.push(
    leftovers.length === 0
      ? { check: "leftover processes", gateway: name, ok: true, message: "none" }
      : { check: "leftover processes", gateway: name, ok: false, message: `processes ${leftovers.join(", ")} still run in ${gw.context.cwd} without a gateway`, fix: `end them (kill ${leftovers.join(" ")}), or clawhost up ${name} --detach, which ends orphans first.` },
  );
  const ports = [gw.context.ports.gateway, gw.context.ports.browserControl];
  const busy: number[] = [];
  for (const p of ports) if (!(await canListen(p, "127.0.0.1"))) busy.push(p);
  checks.push(
    busy.length === 0
      ? { check: "ports", gateway: name, ok: true, message: `block ${gw.context.ports.block.start}-${gw.context.ports.block.end} free` }
      : { check: "ports", gateway: name, ok: false, message: `port ${busy.join(", ")} of block ${gw.context.ports.block.start}-${gw.context.ports.block.end} is taken by another process`, fix: "stop what listens there (ss -ltnp), or give the gateway another `port` in the fleet file." },
  );
  return checks;
}

/** Every check of the fleet; a check that cannot run is itself a finding. */
export async function diagnose(fleet: Fleet, lockTimeoutMs: number): Promise<Check[]> {
  const checks: Check[] = [];
  const supervisor = await readLiveStatus(fleet.host.root);
  if (supervisor) checks.push({ check: "supervisor", ok: true, message: `a foreground clawhost up (pid ${supervisor.pid}) runs this fleet` });
  let host: GatewayHost;
  try {
    host = new GatewayHost({ ...fleet.host, outlive: true });
  } catch (err) {
    const e = fleetError(fleet, err) as ClawhostError;
    checks.push({ check: "runtime", ok: false, message: e.message, code: e.code, fix: e.fix });
    return checks;
  }
  const moved = new Map<string, { from: number; to: number; reason: string }>();
  host.on("gateway:lease-moved", (gw, m) => moved.set(gw.name, m));
  try {
    const rt = host.runtime;
    checks.push({ check: "runtime", ok: true, message: `OpenClaw ${rt.openclawVersion} (supported ${SUPPORTED_OPENCLAW}) on Node ${rt.nodeVersion}; clawhost on Node ${process.versions.node}` });
    for (const [name, spec] of fleet.gateways) {
      let gw: Gateway;
      try {
        gw = await host.add(spec, { timeoutMs: lockTimeoutMs });
        checks.push({ check: "isolation and lease", gateway: name, ok: true, message: `own paths under ${gw.context.dir}, block ${gw.context.ports.block.start}-${gw.context.ports.block.end} leased` });
      } catch (err) {
        const e = fleetError(fleet, err, name);
        if (isClawhostError(e) && e.code === "CLAWHOST_LEASE_HELD" && supervisor) continue;
        const portCodes = ["CLAWHOST_PORTS_EXHAUSTED", "CLAWHOST_PORT_IN_USE", "CLAWHOST_PORT_OVERLAP", "CLAWHOST_PORT_RANGE"];
        checks.push({ check: isClawhostError(e) && portCodes.includes(e.code) ? "ports" : "isolation and lease", gateway: name, ok: false, message: e instanceof Error ? e.message : String(e), code: isClawhostError(e) ? e.code : undefined, fix: isClawhostError(e) ? e.fix : undefined });
        continue;
      }
      const m = moved.get(name);
      if (m) checks.push({ check: "ports", gateway: name, ok: false, message: `its block at ${m.from} is taken (${m.reason}); it moved to ${m.to}`, fix: "stop what listens on the old block (ss -ltnp), or accept the new one." });
      checks.push(...(await checkGateway(gw)));
    }
  } finally {
    await host.dispose();
  }
  return checks;
}

/** `clawhost doctor`. */
export function doctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("check the fleet: file, OpenClaw and Node versions, isolation and leases, port blocks, leftover processes; exits 1 on any finding")
    .addHelpText("after", "\nExamples:\n  clawhost doctor\n  clawhost doctor --json | jq '.checks[] | select(.ok | not)'")
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      let checks: Check[];
      try {
        checks = await diagnose(loadFleet(g.file), Math.min(g.lockTimeout, 5_000));
      } catch (err) {
        return void (process.exitCode = reportError(err, g.json));
      }
      const findings = checks.filter((c) => !c.ok);
      if (g.json) printJson({ ok: findings.length === 0, checks });
      else {
        for (const c of checks) process.stdout.write(`${c.ok ? "ok  " : "FAIL"}  ${c.gateway ? `${c.gateway}: ` : ""}${c.check}: ${c.message}${c.fix && !c.message.includes(c.fix) ? ` Fix: ${c.fix}` : ""}\n`);
        process.stdout.write(findings.length === 0 ? "no findings\n" : `${findings.length} finding${findings.length === 1 ? "" : "s"}\n`);
      }
      process.exitCode = findings.length === 0 ? EXIT.ok : EXIT.failed;
    });
}
