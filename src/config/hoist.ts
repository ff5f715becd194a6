type JsonNode = Record<string, unknown>;

/**
 * Plugin schemas inside OpenClaw's schema keep `$defs` of their own but point at them
 * with root-relative `#/$defs/x`: move them to the root (renamed, refs rewritten) so a
 * validator can resolve them. Self-contained: its source also runs inside the validator
 * process.
 *
 * @example
 * ```ts
 * const schema = hoistNestedDefs(JSON.parse(stdout));
 * ```
 */
export function hoistNestedDefs(schema: JsonNode): JsonNode {
  let n = 0;
  const rootDefs = ((schema.definitions as JsonNode | undefined) ??= {});
  const rewrite = (node: unknown, map: Map<string, string>): void => {
    if (Array.isArray(node)) return node.forEach((v) => rewrite(v, map));
    if (!node || typeof node !== "object") return;
    const o = node as JsonNode;
    if (typeof o.$ref === "string") {
      const m = /^#\/\$defs\/(.+)$/.exec(o.$ref);
      if (m && map.has(m[1]!)) o.$ref = `#/definitions/${map.get(m[1]!)}`;
    }
    for (const v of Object.values(o)) rewrite(v, map);
  };
  const hoist = (node: unknown, isRoot: boolean): void => {
    if (Array.isArray(node)) return node.forEach((v) => hoist(v, false));
    if (!node || typeof node !== "object") return;
    const o = node as JsonNode;
    for (const v of Object.values(o)) hoist(v, false);
    const defs = o.$defs;
    if (!isRoot && defs && typeof defs === "object" && !Array.isArray(defs)) {
      const map = new Map(Object.keys(defs).map((name) => [name, `nested${n++}_${name}`]));
      rewrite(o, map);
      for (const [name, def] of Object.entries(defs)) rootDefs[map.get(name)!] = def;
      delete o.$defs;
    }
  };
  hoist(schema, true);
  return schema;
}
