import * as z from "zod";

// The pieces every long operation's options share, defined once below every folder that parses them.

/** The longest timer Node keeps (a longer one fires after 1 ms). */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** An `AbortSignal` of this realm (what `AbortSignal.any` and `addEventListener` need). */
export const abortSignalSchema = z.custom<AbortSignal>((v) => v instanceof AbortSignal, {
  message: "must be an AbortSignal (controller.signal, AbortSignal.timeout(ms))",
});

/** A finite, non-negative duration that a timer can hold. */
export const timeoutMsSchema = z
  .number()
  .min(0, "must be 0 or more milliseconds")
  .max(MAX_TIMEOUT_MS, `must be at most ${MAX_TIMEOUT_MS} ms (about 24.8 days, Node's longest timer)`);

/** `{ signal?, timeoutMs? }`, unknown keys refused. */
export const operationOptionsSchema = z
  .object({
    signal: abortSignalSchema.optional(),
    timeoutMs: timeoutMsSchema.optional(),
  })
  .strict();
