// The sizes of the bitonic sorts in workgroup memory (shaders/include/bitonic.wgsl), shared by
// indexAdd's sort of positions (src/ops/indexing.ts) and sort / argsort / topk (src/ops/sort.ts).

import { runtime } from '../context.js';

/**
 * Keys sorted in workgroup memory by one workgroup: 2048 keys of 8 bytes fill the 16384 bytes every
 * WebGPU device offers (maxComputeWorkgroupStorageSize), so up to 2048 keys sort in one dispatch.
 */
export const SORT_BLOCK = 2048;

/**
 * Invocations per workgroup of the sort's passes in workgroup memory. A GPU runs a workgroup's
 * invocations side by side, so many make a pass short; the software adapter runs them as coroutines
 * that all switch at every barrier, so there fewer of them, each taking more pairs, cost less.
 */
export function sortWorkgroupSize(): number {
  return runtime().adapterInfo.isFallbackAdapter ? 32 : 256;
}
