import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { readCmdline } from "../fs/proc.js";

/** A process holding a listening socket. */
export interface PortHolder {
  port: number;
  pid: number | undefined;
  command: string | undefined;
}


const TCP_TABLES = ["/proc/net/tcp", "/proc/net/tcp6"];

/** Listening socket inodes by port, from /proc/net/tcp and tcp6 (Linux). */
export function listeningInodes(): Map<number, Set<string>> {
  return parseTables(
    TCP_TABLES.map((file) => {
      try {
        return readFileSync(file, "utf8");
      } catch {
        return "";
      }
    }),
  );
}

let reading: Promise<ReadonlyMap<number, ReadonlySet<string>>> | undefined;

/**
 * {@link listeningInodes} off the event loop: the kernel walks its whole TCP hash to
 * produce these files (milliseconds of CPU on a busy host), so the read runs in the
 * thread pool, and callers asking while a read is under way share it (a fleet's starts
 * each check their ports: one read and one parse serve all that ask together).
 */
export function readListeningInodes(): Promise<ReadonlyMap<number, ReadonlySet<string>>> {
  reading ??= Promise.all(TCP_TABLES.map((file) => readFile(file, "utf8").catch(() => "")))
    .then(parseTables)
    .finally(() => {
      reading = undefined;
    });
  return reading;
}

// A LISTEN (0A) row: local port (hex) and inode, matched without splitting every row
// (the tables also list every established socket: thousands of rows on a busy host).
const LISTEN_ROW = /^\s*\d+: [0-9A-F]+:([0-9A-F]{4}) [0-9A-F]+:[0-9A-F]{4} 0A (?:\S+\s+){5}(\d+)/gm;

function parseTables(texts: string[]): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const text of texts) {
    for (const m of text.matchAll(LISTEN_ROW)) {
      const port = Number.parseInt(m[1]!, 16);
      const set = out.get(port) ?? new Set<string>();
      set.add(m[2]!);
      out.set(port, set);
    }
  }
  return out;
}

/** Ports among `ports` that some socket listens on (any address), per the kernel's tables. */
export function listeningPorts(ports: Iterable<number>, inodes: ReadonlyMap<number, unknown> = listeningInodes()): number[] {
  return [...ports].filter((p) => inodes.has(p));
}

/**
 * Who listens on each of `ports`: the pid and command owning the socket, where
 * /proc/<pid>/fd is readable (own processes, or all as root); `pid` undefined otherwise.
 */
export function findPortHolders(ports: readonly number[]): PortHolder[] {
  const inodes = listeningInodes();
  const wanted = new Map<string, number>();
  for (const port of ports) for (const inode of inodes.get(port) ?? []) wanted.set(`socket:[${inode}]`, port);
  const found = new Map<number, PortHolder>();
  if (wanted.size > 0) {
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const port = wanted.get(target);
        if (port !== undefined && !found.has(port)) {
          found.set(port, { port, pid: Number(pid), command: readCmdline(Number(pid)) });
        }
      }
      if (found.size === new Set(wanted.values()).size) break;
    }
  }
  return ports.map((port) => found.get(port) ?? { port, pid: undefined, command: undefined });
}
