// An HTTP server around a handler on an OS-chosen port, and a client that keeps every body it got.
import { createAdaptorServer } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { DEADLINE_MS } from "../helpers.js";

/** A server for `makeHandler(port)` on 127.0.0.1, on a port the OS picks (the handler needs it for its Host check). */
export async function listen(makeHandler: (port: number) => (req: Request) => Promise<Response>): Promise<{ port: number; base: string; close(): Promise<void> }> {
  let handler: ((req: Request) => Promise<Response>) | undefined;
  const server = createAdaptorServer({ fetch: (req: Request) => handler!(req) });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  handler = makeHandler(port);
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One record of an SSE stream, and the comments seen before it. */
export interface SseRecord<T = Record<string, unknown>> {
  id: number | undefined;
  data: T;
}

/**
 * Read an SSE response: `onRecord` for each record until it returns true (then the
 * connection is dropped, as a client that goes away), `onComment` for each comment line.
 */
export async function readSse<T>(res: Response, onRecord: (r: SseRecord<T>) => boolean, onComment: (text: string) => boolean = () => false): Promise<void> {
  if (!res.body) throw new Error(`no body (status ${res.status})`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => void reader.cancel(new Error("deadline")), DEADLINE_MS);
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error("the stream ended");
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: number | undefined;
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) {
            if (onComment(line.slice(1).trim())) return;
          } else if (line.startsWith("id: ")) id = Number(line.slice(4));
          else if (line.startsWith("data: ")) data += line.slice(6);
        }
        if (data !== "" && onRecord({ id, data: JSON.parse(data) as T })) return;
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
}
