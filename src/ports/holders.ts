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

/** Ports some socket listens on, with their socket inodes (read from the rows on demand). */
export interface ListenTable {
  has(port: number): boolean;
  /** Inodes of the sockets listening on `port` (for finding their owner in /proc/<pid>/fd). */
  inodes(port: number): string[];
}

const LISTEN = "0A";

function hexAt(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    n = n * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
  }
  return n;
}

/**
 * Calls `fn(port, rowStart)` for every LISTEN row of a table, read by offsets without a
 * string or match per row (the tables also list every established socket: hundreds of
 * rows for a fleet, read at every start and add).
 */
function eachListenRow(text: string, fn: (port: number, row: number) => void): void {
  let row = text.indexOf("\n") + 1;
  while (row > 0 && row < text.length) {
    const next = text.indexOf("\n", row);
    const colon = text.indexOf(": ", row);
    const localEnd = text.indexOf(" ", colon + 2);
    const remoteEnd = text.indexOf(" ", localEnd + 1);
    if (colon > 0 && localEnd > 0 && remoteEnd > 0 && (next === -1 || remoteEnd < next) && text.startsWith(LISTEN, remoteEnd + 1)) {
      fn(hexAt(text, localEnd - 4, localEnd), row);
    }
    row = next + 1;
  }
}

/** The LISTEN rows of the texts of /proc/net/tcp and tcp6. */
export function listenTable(texts: readonly string[]): ListenTable {
  const ports = new Set<number>();
  for (const text of texts) eachListenRow(text, (port) => ports.add(port));
  return {
    has: (port) => ports.has(port),
    inodes: (port) => {
      const out: string[] = [];
      if (!ports.has(port)) return out;
      for (const text of texts) {
        eachListenRow(text, (p, row) => {
          if (p !== port) return;
          const end = text.indexOf("\n", row);
          // sl local remote st tx:rx tr:when retrnsmt uid timeout inode ...
          const inode = text.slice(row, end === -1 ? undefined : end).trim().split(/\s+/)[9];
          if (inode) out.push(inode);
        });
      }
      return out;
    },
  };
}

/** Listening sockets of /proc/net/tcp and tcp6 (Linux), read now. */
export function listeningInodes(): ListenTable {
  return listenTable(
    TCP_TABLES.map((file) => {
      try {
        return readFileSync(file, "latin1");
      } catch {
        return "";
      }
    }),
  );
}

let reading: Promise<ListenTable> | undefined;

/**
 * {@link listeningInodes} off the event loop: the kernel walks its whole TCP hash to
 * produce these files (milliseconds of CPU on a busy host), so the read runs in the
 * thread pool, and callers asking while a read is under way share it (a fleet's starts
 * each check their ports: one read and one scan serve all that ask together).
 */
export function readListeningInodes(): Promise<ListenTable> {
  reading ??= Promise.all(TCP_TABLES.map((file) => readFile(file, "latin1").catch(() => "")))
    .then(listenTable)
    .finally(() => {
      reading = undefined;
    });
  return reading;
}

/** Ports among `ports` that some socket listens on (any address), per the kernel's tables. */
export function listeningPorts(ports: Iterable<number>, table: Pick<ListenTable, "has"> = listeningInodes()): number[] {
  return [...ports].filter((p) => table.has(p));
}

/**
 * Who listens on each of `ports`: the pid and command owning the socket, where
 * /proc/<pid>/fd is readable (own processes, or all as root); `pid` undefined otherwise.
 */
export function findPortHolders(ports: readonly number[]): PortHolder[] {
  const table = listeningInodes();
  const wanted = new Map<string, number>();
  for (const port of ports) for (const inode of table.inodes(port)) wanted.set(`socket:[${inode}]`, port);
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
