/**
 * The 64 KiB buffers that file followers read into, shared by the whole process. A
 * follower reads on every change of its file (OpenClaw writes its log a line at a time):
 * a buffer per read would be a 64 KiB allocation outside V8's heap each time, freed only
 * when a full collection finds its handle, and the allocator keeps what it once held.
 */
export const READ_BUFFER_BYTES = 64 * 1024;

/** Buffers given back and not taken again; more than this many are left to the collector. */
const KEPT = 4;
const free: Buffer[] = [];

/** A buffer to read into until {@link giveBackReadBuffer}; its bytes are whatever was there. */
export function takeReadBuffer(): Buffer {
  return free.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
}

/** Done with `buf`: the next {@link takeReadBuffer} may hand it out again. */
export function giveBackReadBuffer(buf: Buffer): void {
  if (free.length < KEPT && buf.length === READ_BUFFER_BYTES && !free.includes(buf)) free.push(buf);
}
