// Sorting along one dimension: sort, argsort and topk. One kernel (shaders/sort.wgsl) sorts every
// line of the dimension, reading it where it lies in x (no transposing copy for a dimension other
// than the last), and writes the i32 positions of the sorted values; the values are then a gather of
// x at those positions, so their gradient is gather's backward (the incoming gradient scattered back
// to where each value came from) and the positions themselves carry none. The order is PyTorch's:
// NaN after +inf (first when descending), -0 equal to +0, and equal values in their original order.

import { runtime } from '../context.js';
import type { BuffersOf } from '../gpu/runtime.js';
import { Tensor, checkFitsDevice, shapeSize, type DType } from '../tensor.js';
import { defineMethods } from './methods.js';
import { SORT_BLOCK, sortWorkgroupSize } from './bitonic.js';
import { assertDtype, assertRank, grid1d, normalizeAxis, opError } from './shape.js';
import { clone } from './movement.js';
import { zeros } from './creation.js';
import { gather, slice } from './indexing.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** Options of {@link sort} and {@link argsort}. */
export interface SortOptions {
  /** Largest first (default false: smallest first). NaN then comes first, as in PyTorch. */
  descending?: boolean;
  /**
   * Keep equal values in their original order (default false). Every sort here is stable, which
   * PyTorch allows for `stable: false` too, so this changes nothing; it is taken for PyTorch's call form.
   */
  stable?: boolean;
}

/** Options of {@link topk}. */
export interface TopkOptions {
  /** The k largest (default true), or the k smallest. */
  largest?: boolean;
  /**
   * Return them in order (default true). They always are: `sorted: false` leaves the order
   * unspecified in PyTorch, and sorted order is one such order.
   */
  sorted?: boolean;
}

/** What sort and topk return, as PyTorch's (values, indices) pair. */
export interface SortResult {
  /** The values in order, x's dtype; differentiable. */
  values: Tensor;
  /** The i32 position along the dimension of each value in x (PyTorch's are int64). Not differentiable. */
  indices: Tensor;
}

const sortDtypes: readonly DType[] = ['f32', 'i32', 'u32'];
/** shaders/sort.wgsl's `kind`: how a value's bits become an ordered key. */
const keyKind: Record<DType, number> = { f32: 0, i32: 1, u32: 2 };

/** Throws unless every given option of `options` is a boolean. */
function checkFlags(name: string, x: Tensor, options: object, flags: readonly string[]): void {
  if (typeof options !== 'object' || options === null) throw opError(name, `options must be an object, got ${String(options)}`, [x]);
  for (const flag of flags) {
    const value = (options as Record<string, unknown>)[flag];
    if (value !== undefined && typeof value !== 'boolean') throw opError(name, `${flag} must be true or false, got ${String(value)}`, [x]);
  }
}

/** The checked input's dimension; a 0-d x takes dim 0 or -1, as PyTorch. */
function sortAxis(name: string, x: Tensor, dim: number): number {
  x.assertAlive(name);
  assertDtype(name, x, sortDtypes);
  assertRank(name, x);
  if (typeof dim !== 'number') throw opError(name, `dim must be a number, got ${String(dim)}`, [x]);
  return normalizeAxis(name, dim, Math.max(x.rank, 1), x.shape);
}

/** A 0-d x sorted: itself (a copy, as PyTorch's values are) at position 0. */
function sortedScalar(x: Tensor): SortResult {
  return { values: clone(x), indices: zeros([], { dtype: 'i32' }) };
}

/**
 * The i32 positions that sort each line of x along `axis` (x's shape): the dispatches of
 * shaders/sort.wgsl. Lines of up to SORT_BLOCK (padded to a power of two) sort in one dispatch, several
 * to a workgroup; longer lines sort block by block in workgroup memory, then each further stage runs
 * its passes at distances >= SORT_BLOCK over global memory and the rest in workgroup memory again.
 */
function sortedPositions(name: string, x: Tensor, axis: number, descending: boolean): Tensor {
  const indices = Tensor.empty(x.shape, 'i32', name);
  if (indices.size === 0) return indices;
  const n = x.shape[axis];
  const padded = 2 ** Math.ceil(Math.log2(n));
  const total = (x.size / n) * padded;
  const inner = shapeSize(x.shape.slice(axis + 1));
  const blocks = grid1d(Math.ceil(total / SORT_BLOCK), 1);
  const inWorkgroup = { BLOCK: SORT_BLOCK, WG: sortWorkgroupSize() };
  // A pass at distance j >= SORT_BLOCK runs one invocation per pair; the rest one workgroup per block.
  const launch = (entryPoint: string, buffers: BuffersOf<typeof wgsl.sort>, k = 0, j = 0) =>
    runtime().dispatch({
      shader: wgsl.sort,
      entryPoint,
      params: { n, inner, padded, total, kind: keyKind[x.dtype], descending: descending ? 1 : 0, k, j },
      buffers,
      workgroups: j > 0 ? grid1d(total / 2) : blocks,
      constants: j > 0 ? {} : inWorkgroup,
    });
  if (padded <= SORT_BLOCK) {
    launch('sort_rows', { x: x.buffer, indices: indices.buffer });
    return indices;
  }
  checkFitsDevice(name, [total, 2], 'u32', 'the sort keys');
  const keys = Tensor.empty([total, 2], 'u32');
  launch('sort_blocks', { x: x.buffer, sort_keys: keys.buffer });
  for (let k = 2 * SORT_BLOCK; k <= padded; k *= 2) {
    for (let j = k / 2; j >= SORT_BLOCK; j /= 2) launch('bitonic_step', { sort_keys: keys.buffer }, k, j);
    if (k < padded) launch('merge_blocks', { sort_keys: keys.buffer }, k);
    else launch('merge_last', { sort_keys: keys.buffer, indices: indices.buffer }, k);
  }
  keys.dispose();
  return indices;
}

/**
 * Sorts x along `dim` (torch.sort): the values in order and their i32 positions in x. f32, i32 or u32.
 * NaN sorts after +inf (first when descending) and -0 equals +0, as in PyTorch; equal values keep
 * their order (every sort is stable, see {@link SortOptions}). The values' gradient goes back to the
 * places they came from. Works on lines of any length, by a bitonic sort on the GPU.
 */
export function sort(x: Tensor, dim = -1, options: SortOptions = {}): SortResult {
  checkFlags('sort', x, options, ['descending', 'stable']);
  const axis = sortAxis('sort', x, dim);
  if (x.rank === 0) return sortedScalar(x);
  const indices = sortedPositions('sort', x, axis, options.descending ?? false);
  return { values: gather(x, axis, indices), indices };
}

/**
 * The i32 positions that sort x along `dim` (torch.argsort): sort's `indices` without gathering the
 * values. Same order and options as {@link sort}. Not differentiable.
 */
export function argsort(x: Tensor, dim = -1, options: SortOptions = {}): Tensor {
  checkFlags('argsort', x, options, ['descending', 'stable']);
  const axis = sortAxis('argsort', x, dim);
  return x.rank === 0 ? zeros([], { dtype: 'i32' }) : sortedPositions('argsort', x, axis, options.descending ?? false);
}

/**
 * The k largest (or smallest) values along `dim` and their i32 positions (torch.topk), largest first
 * (smallest first with `largest: false`). NaN counts as larger than +inf, as in PyTorch; equal values
 * come in their original order. Built on a full sort of each line, then the first k taken: O(n log^2 n)
 * per line however small k is. The values' gradient goes back to the places they came from. A 0-d x
 * takes k = 0 or 1 and gives itself either way (as PyTorch).
 */
export function topk(x: Tensor, k: number, dim = -1, options: TopkOptions = {}): SortResult {
  checkFlags('topk', x, options, ['largest', 'sorted']);
  const axis = sortAxis('topk', x, dim);
  const n = x.rank === 0 ? 1 : x.shape[axis];
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw opError('topk', `k must be an integer in [0, ${n}] (the size of dimension ${axis}), got ${k}`, [x]);
  }
  // A 0-d x gives itself for k = 0 too, as PyTorch does.
  if (x.rank === 0) return sortedScalar(x);
  const all = sortedPositions('topk', x, axis, options.largest ?? true);
  const indices = slice(all, axis, 0, k);
  all.dispose();
  return { values: gather(x, axis, indices), indices };
}

declare module '../tensor.js' {
  interface Tensor {
    /** Sorts along `dim` (default the last): values and i32 positions. See {@link sort}. */
    sort(dim?: number, options?: SortOptions): SortResult;
    /** The i32 positions that sort along `dim`. See {@link argsort}. */
    argsort(dim?: number, options?: SortOptions): Tensor;
    /** The k largest (or smallest) values along `dim` and their i32 positions. See {@link topk}. */
    topk(k: number, dim?: number, options?: TopkOptions): SortResult;
  }
}

defineMethods({ sort, argsort, topk });
