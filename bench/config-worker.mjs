// One writer process of the config benchmark. argv: method, configPath, prefix, count.
// Prints "ready", waits for "go" on stdin, fires `count` concurrent updates (each sets
// env.vars.<prefix>_<i>), then prints {"ms", "errors"}.
//   clawhost:          ConfigStore (queue, coalescing, cross-process lock, atomic write)
//   naive:             read, parse, set, fs.writeFile, no queue, no lock
//   write-file-atomic: read, parse, set, write-file-atomic, no queue, no lock
import { readFile, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import writeFileAtomic from "write-file-atomic";
import { ConfigStore } from "clawhost";

const [method, configPath, prefix, count] = process.argv.slice(2);
const n = Number(count);
const set = (cfg, i) => {
  const env = (cfg.env ??= {});
  (env.vars ??= {})[`${prefix}_${i}`] = String(i);
  return cfg;
};
const readModifyWrite = async (i, write) => {
  const cfg = JSON.parse(await readFile(configPath, "utf8"));
  await write(configPath, `${JSON.stringify(set(cfg, i), null, 2)}\n`);
};

const store = new ConfigStore({ name: "bench", configPath });
const one = {
  clawhost: (i) => store.update((cfg) => void set(cfg, i)),
  naive: (i) => readModifyWrite(i, (p, d) => writeFile(p, d, { mode: 0o600 })),
  "write-file-atomic": (i) => readModifyWrite(i, (p, d) => writeFileAtomic(p, d, { mode: 0o600 })),
}[method];

process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await lines.next();
const t0 = performance.now();
const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => one(i)));
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ ms, errors: settled.filter((s) => s.status === "rejected").length })}\n`);
process.exit(0);
