/**
 * A JSON-safe copy of event data: plain objects, arrays, strings, finite numbers,
 * booleans and null. Dates become ISO strings, errors `{ name, code?, message }`,
 * BigInts strings; functions, symbols and `undefined` fields are dropped, cycles cut.
 */
export function jsonSafe(value: unknown, seen = new Set<object>()): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof Error) {
    const code = (obj as { code?: unknown }).code;
    return { name: obj.name, ...(typeof code === "string" ? { code } : {}), message: obj.message };
  }
  if (seen.has(obj)) return undefined;
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v) => jsonSafe(v, seen) ?? null);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const safe = jsonSafe(v, seen);
      if (safe !== undefined) out[k] = safe;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
