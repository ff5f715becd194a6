// examples/deploy/ is what its render.ts renders from its fleet file (`npm run examples:render`).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { renderExample } from "../../examples/deploy/render.ts";

const dir = fileURLToPath(new URL("../../examples/deploy/", import.meta.url));

function committed(sub: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [relative(dir, join(d, f))]));
  return walk(join(dir, sub));
}

it("the rendered example is fresh", async () => {
  const files = await renderExample();
  expect([...committed("systemd"), ...committed("kubernetes")].sort()).toEqual(files.map((f) => f.path).sort());
  for (const f of files) expect(readFileSync(join(dir, f.path), "utf8"), `${f.path} is stale: run npm run examples:render`).toBe(f.content);
});
