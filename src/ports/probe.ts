import { createServer } from "node:net";

/** Loopback addresses a gateway binds: both must be free. */
export const LOOPBACK_HOSTS = ["127.0.0.1", "::1"] as const;

/**
 * Resolve `true` when `port` accepts a listening bind on `host` right now. An address
 * family the system lacks (no IPv6) counts as free, since nothing can hold it there.
 */
export function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", (err: NodeJS.ErrnoException) => {
      resolve(err.code === "EADDRNOTAVAIL" || err.code === "EAFNOSUPPORT");
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** The subset of `ports` that cannot be bound on one of the loopback addresses. */
export async function findBusyPorts(ports: readonly number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ports) {
    for (const host of LOOPBACK_HOSTS) {
      if (!(await canBind(port, host))) {
        busy.push(port);
        break;
      }
    }
  }
  return busy;
}
