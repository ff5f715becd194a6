import { isClawhostError } from "../errors.js";
import type { DisposeProblem } from "./types.js";

// Disposal never throws and never hangs: every step is raced against the deadline and
// its failure becomes a problem in the report.

/** The outcome of `p`, or "timeout" once `ms` passed (`p` is then left to settle unobserved, never unhandled). */
export async function within<T>(p: Promise<T>, ms: number): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), Math.max(0, ms))));
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failure of one disposal step, as the report lists it. */
export function problemOf(gateway: string | undefined, error: unknown): DisposeProblem {
  return { gateway, code: isClawhostError(error) ? error.code : "ERROR", message: (error as Error)?.message ?? String(error) };
}

/** The problem of a step still running at the deadline. */
export function deadlineProblem(gateway: string | undefined, what: string): DisposeProblem {
  return { gateway, code: "DISPOSE_DEADLINE", message: `${gateway ? `${gateway}: ` : ""}${what}` };
}
