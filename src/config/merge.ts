/** A JSON value as OpenClaw configs hold them. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Apply an RFC 7386 JSON merge patch to a copy of `target`: objects merge key by key,
 * `null` deletes, everything else (arrays included) replaces.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/**
 * Equal as JSON values (key order aside), with an early exit at the first difference:
 * a batch compares a config of thousands of keys once per update, so no serialising.
 */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => same(v, b[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && same(ra[k], rb[k]));
}

/** The RFC 7386 merge patch that turns `before` into `after` (undefined when equal). */
export function diffMergePatch(before: unknown, after: unknown): unknown {
  if (same(before, after)) return undefined;
  if (!isPlainObject(before) || !isPlainObject(after)) return structuredClone(after);
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(before)) if (!(k in after)) patch[k] = null;
  for (const [k, v] of Object.entries(after)) {
    const sub = diffMergePatch(before[k], v);
    if (sub !== undefined) patch[k] = sub;
  }
  return patch;
}

/**
 * Dotted paths of the leaves that differ between `before` and `after`: objects are
 * descended, also where one side has none (a new `env.vars.A` is reported as that, not
 * as `env`).
 */
export function changedPaths(before: unknown, after: unknown, prefix = ""): string[] {
  return same(before, after) ? [] : differingPaths(before, after, prefix);
}

// `before` and `after` differ; only differing keys are descended (and named).
function differingPaths(before: unknown, after: unknown, prefix: string): string[] {
  const objectish = (v: unknown): boolean => v === undefined || isPlainObject(v);
  if (!objectish(before) || !objectish(after)) return [prefix || "(root)"];
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  const visit = (k: string): void => {
    if (!same(b[k], a[k])) out.push(...differingPaths(b[k], a[k], prefix ? `${prefix}.${k}` : k));
  };
  for (const k in b) if (Object.hasOwn(b, k)) visit(k);
  for (const k in a) if (Object.hasOwn(a, k) && !Object.hasOwn(b, k)) visit(k);
  // An empty object appearing or going is a change of its own.
  return out.length > 0 ? out : [prefix || "(root)"];
}
