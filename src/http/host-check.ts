const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Split a Host header into its name (lower case, IPv6 in brackets) and port. */
function splitHost(value: string): { name: string; port: number | undefined } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), port: m[2] === undefined ? undefined : Number(m[2]) };
}

/**
 * The DNS-rebinding check: a page of another site that got its name to resolve to
 * 127.0.0.1 still sends its own name in `Host`. Taken: a loopback name (with `port`
 * when it is known), or an entry of `allowed` (`name` at any port, `name:port` exactly).
 */
export function hostChecker(port: number | undefined, allowed: readonly string[]): (host: string | undefined) => boolean {
  const names = new Set<string>();
  const exact = new Set<string>();
  for (const a of allowed) {
    const s = splitHost(a);
    if (!s) continue;
    if (s.port === undefined) names.add(s.name);
    else exact.add(`${s.name}:${s.port}`);
  }
  return (header) => {
    const h = header === undefined ? undefined : splitHost(header);
    if (!h) return false;
    if (names.has(h.name) || (h.port !== undefined && exact.has(`${h.name}:${h.port}`))) return true;
    return LOOPBACK.has(h.name) && (port === undefined || h.port === port);
  };
}
