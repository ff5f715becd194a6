import { close, open, read, readdirSync, readFileSync, readlinkSync } from "node:fs";
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

/** A table's text: a string (the sync read) or its bytes (the async read, kept off the JS heap). */
type Text = string | Buffer;

const NL = 10;
const SPACE = 32;

function codeAt(text: Text, i: number): number {
  return typeof text === "string" ? text.charCodeAt(i) : text[i]!;
}

function find(text: Text, code: number, from: number): number {
  return typeof text === "string" ? text.indexOf(String.fromCharCode(code), from) : text.indexOf(code, from);
}

function hexAt(text: Text, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = codeAt(text, i);
    n = n * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
  }
  return n;
}

/** {@link rowState}: a row in another state than LISTEN, or one that does not read as a socket row. */
const NOT_LISTENING = -1;
const UNREADABLE = -2;

/**
 * The row `text[row, end)`: its local port when it is a LISTEN (`0A`) row, else
 * {@link NOT_LISTENING} or {@link UNREADABLE}. Read by offsets, without a string or a
 * match per row (the tables also list every established socket: hundreds of rows for a
 * fleet, read at every start and add).
 */
function rowState(text: Text, row: number, end: number): number {
  // "  sl: local:PORT remote:PORT st ..."
  const colon = find(text, 58, row);
  const localEnd = colon === -1 || colon > end ? -1 : find(text, SPACE, colon + 2);
  const remoteEnd = localEnd === -1 || localEnd > end ? -1 : find(text, SPACE, localEnd + 1);
  if (remoteEnd === -1 || remoteEnd + 2 >= end) return UNREADABLE;
  return codeAt(text, remoteEnd + 1) === 48 && codeAt(text, remoteEnd + 2) === 65 ? hexAt(text, localEnd - 4, localEnd) : NOT_LISTENING;
}

/** Calls `fn(port, rowStart)` for every LISTEN row of a table (its header line skipped). */
function eachListenRow(text: Text, fn: (port: number, row: number) => void): void {
  const length = text.length;
  let row = find(text, NL, 0) + 1;
  while (row > 0 && row < length) {
    const next = find(text, NL, row);
    const end = next === -1 ? length : next;
    const port = rowState(text, row, end);
    if (port >= 0) fn(port, row);
    row = next + 1;
  }
}

/** Ports of the LISTEN rows of tables given as text or bytes. */
export function listeningSet(texts: readonly Text[]): Set<number> {
  const ports = new Set<number>();
  for (const text of texts) eachListenRow(text, (port) => ports.add(port));
  return ports;
}

/** The LISTEN rows of the texts of /proc/net/tcp and tcp6. */
export function listenTable(texts: readonly string[]): ListenTable {
  const ports = listeningSet(texts);
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

/** Where the async reads put the tables: one buffer for the process, grown when a table outgrows it. */
let scratch = Buffer.allocUnsafe(256 * 1024);

/**
 * Where the rows of `text[from, to)` stop listing LISTEN sockets: the start of the first
 * complete row in another state, or -1 when every complete row there listens. `next` is
 * where the first incomplete row begins (the scan goes on from there).
 */
function endOfListeners(text: Buffer, from: number, to: number): { end: number; next: number } {
  let row = from;
  for (;;) {
    const nl = text.indexOf(NL, row);
    if (nl === -1 || nl >= to) return { end: -1, next: row };
    if (rowState(text, row, nl) === NOT_LISTENING) return { end: row, next: row };
    row = nl + 1;
  }
}

/**
 * The LISTEN rows of `file` (its header first), in `scratch` (valid until the next read).
 * The kernel lists every listening socket before any other (it walks its listening hash,
 * then the established one), so the read stops at the first row in another state: a
 * fleet's machine lists hundreds of connections and TIME_WAIT sockets after them. The
 * kernel hands these tables out a page per read(); callback reads, since a promise read
 * allocates several objects per page and a fleet's adds and starts read them hundreds of times.
 */
function readListenersIntoScratch(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    open(file, "r", (err, fd) => {
      if (err) return reject(err);
      let length = 0;
      // The header line is skipped by the scan: it starts at the second line.
      let scanFrom = -1;
      const finish = (failure: Error | null, end = length): void =>
        close(fd, () => (failure ? reject(failure) : resolve(scratch.subarray(0, end))));
      const next = (): void => {
        if (length === scratch.length) {
          const bigger = Buffer.allocUnsafe(scratch.length * 2);
          scratch.copy(bigger, 0, 0, length);
          scratch = bigger;
        }
        read(fd, scratch, length, scratch.length - length, length, onRead);
      };
      const onRead = (failure: Error | null, bytesRead: number): void => {
        if (failure) return finish(failure);
        if (bytesRead === 0) return finish(null);
        length += bytesRead;
        if (scanFrom === -1) {
          const nl = scratch.indexOf(NL);
          if (nl === -1 || nl >= length) return next();
          scanFrom = nl + 1;
        }
        const { end, next: from } = endOfListeners(scratch, scanFrom, length);
        if (end !== -1) return finish(null, end);
        scanFrom = from;
        next();
      };
      next();
    });
  });
}

let reading: Promise<Pick<ListenTable, "has">> | undefined;

/**
 * The ports listened on, off the event loop: the kernel walks its whole TCP hash to
 * produce these files (milliseconds of CPU on a busy host), so the reads run in the
 * thread pool, into one reused buffer scanned as bytes (a string or a buffer per read,
 * at every add and start, was ~120 KB of garbage each); callers asking while a read is
 * under way share it (a fleet's starts each check their ports).
 */
export function readListeningPorts(): Promise<Pick<ListenTable, "has">> {
  reading ??= (async () => {
    const ports = new Set<number>();
    for (const file of TCP_TABLES) {
      const bytes = await readListenersIntoScratch(file).catch(() => undefined);
      if (bytes) eachListenRow(bytes, (port) => ports.add(port));
    }
    return { has: (port: number) => ports.has(port) };
  })().finally(() => {
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
