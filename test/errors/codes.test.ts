// docs/errors.md cannot drift from the source: its table lists exactly the codes of the
// ClawhostErrorCode union, each with when it happens, what `value` holds and the fix.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const here = (p: string): string => new URL(`../../${p}`, import.meta.url).pathname;

function unionCodes(): string[] {
  const src = readFileSync(here("src/errors.ts"), "utf8");
  const union = /export type ClawhostErrorCode =([^;]+);/.exec(src)?.[1] ?? "";
  return [...union.matchAll(/"(CLAWHOST_[A-Z_]+)"/g)].map((m) => m[1]!);
}

function tableRows(): Array<{ code: string; cells: string[] }> {
  const doc = readFileSync(here("docs/errors.md"), "utf8");
  const table = doc.slice(doc.indexOf("| code |"), doc.indexOf("\n## ", doc.indexOf("| code |")));
  return table
    .split("\n")
    .filter((l) => /^\| `CLAWHOST_/.test(l))
    .map((l) => {
      const cells = l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
      return { code: cells[0]!.replace(/`/g, ""), cells };
    });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("docs/errors.md", () => {
  it("lists every code of the ClawhostErrorCode union, and no other", () => {
    const union = unionCodes();
    expect(union.length).toBeGreaterThan(20);
    expect(tableRows().map((r) => r.code).sort()).toEqual([...union].sort());
  });

  it("says for each code who raises it, when, what value holds, and the fix", () => {
    for (const row of tableRows()) {
      expect(row.cells, row.code).toHaveLength(5);
      for (const cell of row.cells) expect(cell.length, `${row.code}: an empty cell`).toBeGreaterThan(2);
    }
  });

  it("every code the source raises is in the union (and so in the table)", () => {
    const union = new Set(unionCodes());
    const raised = new Set<string>();
    for (const file of sourceFiles(here("src"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/new ClawhostError\(\s*"(CLAWHOST_[A-Z_]+)"/g)) raised.add(m[1]!);
    }
    expect([...raised].filter((c) => !union.has(c))).toEqual([]);
    // And no code is documented that nothing raises any more.
    expect([...union].filter((c) => !raised.has(c))).toEqual([]);
  });
});
