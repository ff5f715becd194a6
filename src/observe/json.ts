/**
 * A JSON-safe copy of event data: plain objects, arrays, strings, finite numbers,
 * booleans and null. Dates become ISO strings, errors `{ name, code?, message }`,
 * BigInts strings; functions, symbols and `undefined` fields are dropped, cycles cut.
 * Called once per event of a busy host: no allocation beyond the copy (the path of
 * objects being copied is a small array, not a Set).
 */
export function jsonSafe(value: unknown, path: object[] = []): unknown {
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
    return typeof code === "string" ? { name: obj.name, code, message: obj.message } : { name: obj.name, message: obj.message };
  }
  if (path.includes(obj)) return undefined;
  path.push(obj);
  try {
    if (Array.isArray(obj)) {
      const out = new Array<unknown>(obj.length);
      for (let i = 0; i < obj.length; i++) out[i] = jsonSafe(obj[i], path) ?? null;
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const k in obj) {
      if (!Object.hasOwn(obj, k)) continue;
      const v = (obj as Record<string, unknown>)[k];
      const safe = typeof v === "string" ? v : jsonSafe(v, path);
      if (safe !== undefined) out[k] = safe;
    }
    return out;
  } finally {
    path.pop();
  }
}
