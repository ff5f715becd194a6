/** What a redacted span is replaced by (the same mark as everywhere else in clawhost). */
export const REDACTED = "[redacted]";

/**
 * Removes secrets from log text before it is kept, written or yielded.
 *
 * @example
 * ```ts
 * const redact = createRedactor([token], ["hunter2", /sk-[A-Za-z0-9]{20,}/]);
 * redact.text(`GET /?token=${token}`);   // "GET /?token=[redacted]"
 * ```
 */
export interface Redactor {
  /** `s` with every secret and pattern replaced by `[redacted]`. */
  text(s: string): string;
  /** A copy of a parsed JSON value with every string in it (keys too) redacted; `v` itself when nothing changed. */
  value(v: unknown): unknown;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// The forms a secret takes on its way into a line: as is, in a URL, inside a JSON string.
function secretForms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
}

function alternation(literals: Iterable<string>, flags: string): RegExp | undefined {
  // Longest first, so that no form is cut short by a shorter one it starts with.
  const unique = [...new Set(literals)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return unique.length === 0 ? undefined : new RegExp(unique.map(escapeRegExp).join("|"), flags);
}

/**
 * A redactor for `secrets` (matched in any letter case, also URL-encoded and JSON-escaped:
 * a hex token reads the same in upper case) and the user's `patterns` (a string literally,
 * a RegExp as given, every match).
 */
export function createRedactor(secrets: readonly string[], patterns: readonly (string | RegExp)[] = []): Redactor {
  const rules: RegExp[] = [];
  const secretRule = alternation(secrets.flatMap(secretForms), "gi");
  if (secretRule) rules.push(secretRule);
  const literalRule = alternation(
    patterns.filter((p): p is string => typeof p === "string"),
    "g",
  );
  if (literalRule) rules.push(literalRule);
  for (const p of patterns) {
    if (p instanceof RegExp) rules.push(new RegExp(p.source, p.flags.includes("g") ? p.flags.replace("y", "") : `${p.flags.replace("y", "")}g`));
  }
  const text = (s: string): string => {
    let out = s;
    for (const rule of rules) out = out.replace(rule, REDACTED);
    return out;
  };
  const value = (v: unknown, depth = 0): unknown => {
    if (typeof v === "string") return text(v);
    if (v === null || typeof v !== "object" || depth > 64) return v;
    if (Array.isArray(v)) {
      let changed = false;
      const out = v.map((item) => {
        const r = value(item, depth + 1);
        if (r !== item) changed = true;
        return r;
      });
      return changed ? out : v;
    }
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
      const key = text(k);
      const r = value(item, depth + 1);
      if (key !== k || r !== item) changed = true;
      out[key] = r;
    }
    return changed ? out : v;
  };
  return rules.length === 0 ? { text: (s) => s, value: (v) => v } : { text, value: (v) => value(v) };
}
