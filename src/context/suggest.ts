/** Edit distance between two strings (insertions, deletions, substitutions; case-insensitive). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/**
 * The valid key closest to a misspelt one, when it is close enough to be a likely typo
 * (`readyTimeout` -> `readyTimeoutMs`, `stopTimoutMs` -> `stopTimeoutMs`); otherwise undefined.
 *
 * @example
 * ```ts
 * closestKey("readyTimeout", ["root", "readyTimeoutMs", "stopTimeoutMs"]); // "readyTimeoutMs"
 * closestKey("colour", ["root"]); // undefined
 * ```
 */
export function closestKey(key: string, known: Iterable<string>): string | undefined {
  // A dozen lines of Levenshtein over a handful of schema keys: not worth a dependency.
  const keys = [...known];
  let best: { key: string; d: number } | undefined;
  for (const candidate of keys) {
    const d = editDistance(key, candidate);
    if (!best || d < best.d) best = { key: candidate, d };
  }
  if (!best) return undefined;
  const lower = key.toLowerCase();
  if (best.d <= Math.max(2, Math.floor(key.length / 3))) return best.key;
  // A key that is part of exactly one valid key (`concurrency` of `startConcurrency`) is a likely slip too.
  const parts = keys.filter((k) => lower.length >= 4 && (k.toLowerCase().includes(lower) || lower.includes(k.toLowerCase())));
  return parts.length === 1 ? parts[0] : undefined;
}
