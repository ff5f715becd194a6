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

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
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
  if (same(before, after)) return [];
  const objectish = (v: unknown): boolean => v === undefined || isPlainObject(v);
  if (!objectish(before) || !objectish(after)) return [prefix || "(root)"];
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) out.push(...changedPaths(b[k], a[k], prefix ? `${prefix}.${k}` : k));
  // An empty object appearing or going is a change of its own.
  return out.length > 0 ? out : [prefix || "(root)"];
}
