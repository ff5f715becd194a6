import { getHeapSpaceStatistics } from "node:v8";

const CODE_SPACES = /^(code|trusted|code_large_object|trusted_large_object)_space$/;

/**
 * Bytes of V8's heap in use, and the part of them that is compiled code and bytecode (V8's
 * code and trusted spaces: they grow as more code gets run and optimised, and shrink when
 * V8 flushes the bytecode of functions unused for a while). The rest is the program's data.
 */
export function heapInUse(): { usedBytes: number; codeBytes: number } {
  let usedBytes = 0;
  let codeBytes = 0;
  for (const s of getHeapSpaceStatistics()) {
    usedBytes += s.space_used_size;
    if (CODE_SPACES.test(s.space_name)) codeBytes += s.space_used_size;
  }
  return { usedBytes, codeBytes };
}
