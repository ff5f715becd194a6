import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";

/** Lines handed on in one turn of the event loop at most. */
export const LINES_PER_TURN = 200;

/**
 * Read `input` line by line, with readline's line ends (`\r\n`, `\r`, `\n`), handing on at most
 * `perTurn` lines per turn of the event loop: a gateway that writes a burst of output
 * (one 64 KB pipe read is ~2,000 short lines) is read in slices, with the stream paused
 * in between, so timers, pings and every consumer of the host's event stream run between
 * slices. The gateway meanwhile waits on its full pipe, as it would on a slow terminal.
 */
export function readLines(input: Readable, onLine: (line: string) => void, perTurn = LINES_PER_TURN): void {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  let afterCr = false;
  let pending: string[] = [];
  let next = 0;
  let draining = false;
  let ended = false;

  const emit = onLine;
  const drain = (): void => {
    const stop = Math.min(pending.length, next + perTurn);
    for (; next < stop; next++) emit(pending[next]!);
    if (next < pending.length) {
      setImmediate(drain);
      return;
    }
    pending = [];
    next = 0;
    draining = false;
    if (ended) flushPartial();
    else input.resume();
  };
  const flushPartial = (): void => {
    partial += decoder.end();
    if (partial !== "") emit(partial);
    partial = "";
  };

  input.on("data", (data: Buffer | string) => {
    let chunk = typeof data === "string" ? data : decoder.write(data);
    // A \r that ended the last chunk already ended its line: skip the \n of that \r\n.
    if (afterCr && chunk.startsWith("\n")) chunk = chunk.slice(1);
    if (chunk.length > 0) afterCr = chunk.endsWith("\r");
    const lines = (partial + chunk).split(/\r\n|\r|\n/);
    partial = lines.pop() ?? "";
    if (lines.length === 0) return;
    if (!draining && lines.length <= perTurn) {
      for (const line of lines) emit(line);
      return;
    }
    pending = draining ? pending.concat(lines) : lines;
    if (draining) return;
    draining = true;
    input.pause();
    drain();
  });
  input.on("end", () => {
    ended = true;
    if (!draining) flushPartial();
  });
}
