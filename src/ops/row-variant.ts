// The two rungs of the row kernels (softmax, logSoftmax, layerNorm, and the row case of the reductions
// sum, mean, max, min and logsumexp), and the automatic choice between them. 'line' gives each row (or
// line) to one invocation: no barriers and no workgroup memory, which is what a CPU adapter such as
// SwiftShader wants, where invocations are threads. 'workgroup' gives each row to a workgroup whose
// invocations read neighbouring addresses and merge their partial results in workgroup memory, which
// is what a GPU wants: one invocation per row leaves most lanes idle and reads memory uncoalesced.

import type { Tensor } from '../tensor.js';
import { isSoftwareAdapter } from './matmul.js';
import { grid1d, opError } from './shape.js';
import { tunedRowVariant } from './tuning.js';

/** A row kernel's rung: 'line' (one invocation per row) or 'workgroup' (one workgroup per row). */
export type RowVariant = 'line' | 'workgroup';

/** Options of the row kernels that have both rungs. */
export interface RowVariantOptions {
  /** The kernel rung (default: chooseRowVariant's choice). */
  variant?: RowVariant;
}

/**
 * The automatic choice for rows of `length` values: the rung `tune` measured fastest on this adapter
 * for the length's class (src/ops/tuning.ts), else {@link defaultRowVariant}'s.
 */
export function chooseRowVariant(length: number): RowVariant {
  return tunedRowVariant(length) ?? defaultRowVariant(length);
}

/** The hand-picked rung for rows of `length` values: 'line' on a software adapter, and on a GPU for rows shorter than 64. */
export function defaultRowVariant(length: number): RowVariant {
  return length >= 64 && !isSoftwareAdapter() ? 'workgroup' : 'line';
}

/**
 * The 'workgroup' rung's launch over `rows` rows of `length` values (or vec4 steps): one workgroup per
 * row of about 8 values per invocation, 32 to 256 invocations (its WG), in a grid folded as grid1d folds.
 */
export function workgroupPerRow(rows: number, length: number): { workgroups: [number, number]; size: number } {
  const size = Math.min(256, Math.max(32, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(length / 8))))));
  return { workgroups: grid1d(rows * size, size), size };
}

/** `variant` as given, or the automatic choice for rows of `length`; throws, naming `op`, for an unknown one. */
export function resolveRowVariant(op: string, variant: RowVariant | undefined, length: number, inputs: Tensor[]): RowVariant {
  if (variant === undefined) return chooseRowVariant(length);
  if (variant !== 'line' && variant !== 'workgroup') throw opError(op, `unknown variant '${String(variant)}'; expected 'line' or 'workgroup'`, inputs);
  return variant;
}
