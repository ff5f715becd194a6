/**
 * One liveness probe: `GET /healthz` on the gateway port (unauthenticated, answered by
 * the gateway's event loop, so a stopped or blocked process misses it).
 */
export async function probeHealthz(port: number, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { connection: "close" },
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
