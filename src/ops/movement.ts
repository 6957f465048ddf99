// Movement ops that every other family builds on: reshape (a view sharing the buffer), permute /
// transpose and expand (materialised by the strided copy kernel, shaders/copy.wgsl), squeeze,
// unsqueeze and flatten. Every tensor is contiguous, which keeps every kernel's indexing simple.

import { record } from '../autograd.js';
import { runtime } from '../context.js';
import { Tensor, checkFitsDevice, formatShape, shapeSize } from '../tensor.js';
import { defineMethods } from './methods.js';
import { MAX_RANK, assertRank, collapseDims, grid1d, normalizeAxis, opError, sameShape, stridesOf } from './shape.js';
import * as wgsl from '../gpu/shaders.generated.js';

/**
 * out[i] = x[offset + coords(i) . strides] over the output `shape`: the strided copy behind
 * permute, expand and slice. No autograd here; callers record their own rule.
 */
export function stridedCopy(x: Tensor, shape: readonly number[], strides: readonly number[], offset = 0): Tensor {
  if (shape.length > MAX_RANK) throw opError('copy', `rank ${shape.length} exceeds ${MAX_RANK}`, [x]);
  const out = Tensor.empty(shape, x.dtype);
  if (out.size === 0) return out;
  // Dimensions the source walks contiguously merge (a transpose of a batch of matrices stays rank 3).
  const collapsed = collapseDims(shape, [strides]);
  runtime().dispatch({
    shader: wgsl.copy,
    constants: { RANK: collapsed.shape.length },
    params: { n: out.size, offset, shape: collapsed.shape, strides: collapsed.strides[0] },
    buffers: { x: x.buffer, out: out.buffer },
    workgroups: grid1d(out.size),
  });
  return out;
}

/**
 * Same data, new shape (one dimension may be -1). Shares the buffer: no copy, no kernel. The shape is a
 * list or, as PyTorch also takes it, its sizes one by one: `reshape(x, 3, -1)`.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor;
export function reshape(x: Tensor, ...shape: number[]): Tensor;
export function reshape(x: Tensor, ...args: (number | readonly number[])[]): Tensor {
  x.assertAlive('reshape');
  const given: readonly unknown[] = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (!given.every((d): d is number => typeof d === 'number')) {
    throw opError('reshape', `shape must be a list of integers or integers one by one (one may be -1), got ${args.map(String).join(', ')}`, [x]);
  }
  const shape: readonly number[] = given;
  const resolved = [...shape];
  const unknown = resolved.indexOf(-1);
  if (unknown !== resolved.lastIndexOf(-1)) throw opError('reshape', `only one dimension may be -1, got ${formatShape(shape)}`, [x]);
  if (unknown >= 0) {
    const known = shapeSize(resolved.filter((_, i) => i !== unknown));
    if (known === 0 || x.size % known !== 0) throw opError('reshape', `cannot infer -1 in ${formatShape(shape)}`, [x]);
    resolved[unknown] = x.size / known;
  }
  if (resolved.some((d) => !Number.isInteger(d) || d < 0) || shapeSize(resolved) !== x.size) {
    throw opError('reshape', `cannot reshape ${x.size} elements into ${formatShape(shape)}`, [x]);
  }
  const out = Tensor.view(x, resolved);
  return record('reshape', [x], out, (g) => [reshape(g, x.shape)]);
}

/** Reorders dimensions: out.shape[i] = x.shape[axes[i]]. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  x.assertAlive('permute');
  assertRank('permute', x);
  if (!Array.isArray(axes)) throw opError('permute', `axes must be a list of ${x.rank} integers, got ${String(axes)}`, [x]);
  const rank = x.rank;
  const order = axes.map((a) => normalizeAxis('permute', a, rank, x.shape));
  if (order.length !== rank || new Set(order).size !== rank) {
    throw opError('permute', `axes [${axes.join(', ')}] are not a permutation of ${rank} dimensions`, [x]);
  }
  if (order.every((a, i) => a === i)) return reshape(x, x.shape);
  const inStrides = stridesOf(x.shape);
  const out = stridedCopy(x, order.map((a) => x.shape[a]), order.map((a) => inStrides[a]));
  const inverse = new Array<number>(rank);
  order.forEach((a, i) => (inverse[a] = i));
  return record('permute', [x], out, (g) => [permute(g, inverse)]);
}

/** Swaps two dimensions (default: the last two, as a matrix transpose). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const a = normalizeAxis('transpose', dim0, x.rank, x.shape);
  const b = normalizeAxis('transpose', dim1, x.rank, x.shape);
  const order = [...Array(x.rank).keys()];
  [order[a], order[b]] = [order[b], order[a]];
  return permute(x, order);
}

/** Broadcasts to `shape` (NumPy rules; -1 keeps a dimension), materialised as a copy. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  x.assertAlive('expand');
  if (!Array.isArray(shape)) throw opError('expand', `shape must be a list of integers (-1 keeps a dimension), got ${String(shape)}`, [x]);
  const lead = shape.length - x.rank;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  const fits = (d: number, i: number) => Number.isInteger(d) && d >= 0 && (i < lead || x.shape[i - lead] === d || x.shape[i - lead] === 1);
  if (lead < 0 || !target.every(fits)) throw opError('expand', `cannot broadcast to ${formatShape(shape)}`, [x]);
  if (target.length > MAX_RANK) throw opError('expand', `rank ${target.length} exceeds the supported maximum of ${MAX_RANK}`, [x]);
  if (sameShape(target, x.shape)) return reshape(x, x.shape);
  checkFitsDevice('expand', target, x.dtype);
  const own = stridesOf(x.shape);
  const strides = target.map((_, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : own[i - lead]));
  const out = stridedCopy(x, target, strides);
  return record('expand', [x], out, (g) => [g]);
}

/** Removes size-1 dimensions (all of them, or the given ones). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const list = axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : typeof axes === 'number' ? [axes] : [...axes];
  const drop = new Set(list.map((a) => normalizeAxis('squeeze', a, x.rank, x.shape)));
  for (const a of drop) if (x.shape[a] !== 1) throw opError('squeeze', `dimension ${a} has size ${x.shape[a]}, not 1`, [x]);
  return reshape(x, x.shape.filter((_, i) => !drop.has(i)));
}

/** Inserts a size-1 dimension at `axis` (negative counts from the end of the result). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1, x.shape);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Merges dimensions startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startDim, x.rank, x.shape);
  const e = normalizeAxis('flatten', endDim, x.rank, x.shape);
  if (s > e) throw opError('flatten', `startDim ${startDim} comes after endDim ${endDim}`, [x]);
  return reshape(x, [...x.shape.slice(0, s), shapeSize(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** A tensor with the same values that is cut from the graph (no gradient flows back through it). */
export function detach(x: Tensor): Tensor {
  x.assertAlive('detach');
  return Tensor.view(x, x.shape);
}

/** An independent copy (its own buffer). */
export function clone(x: Tensor): Tensor {
  x.assertAlive('clone');
  const out = stridedCopy(x, x.shape, stridesOf(x.shape));
  return record('clone', [x], out, (g) => [g]);
}

declare module '../tensor.js' {
  interface Tensor {
    /** Same data, new shape (one dimension may be -1); no copy. See {@link reshape}. */
    reshape(shape: readonly number[]): Tensor;
    /** Same data, new shape given size by size: `x.reshape(3, -1)`. See {@link reshape}. */
    reshape(...shape: number[]): Tensor;
    /** Alias of `reshape` (PyTorch's name): a view sharing the buffer. */
    view(shape: readonly number[]): Tensor;
    /** Alias of `reshape` given size by size: `x.view(-1)`. */
    view(...shape: number[]): Tensor;
    /** Reorders dimensions. See {@link permute}. */
    permute(axes: readonly number[]): Tensor;
    /** Swaps two dimensions (default the last two). See {@link transpose}. */
    transpose(dim0?: number, dim1?: number): Tensor;
    /** The matrix transpose of the last two dimensions. */
    readonly T: Tensor;
    /** Broadcasts to `shape` as a copy. See {@link expand}. */
    expand(shape: readonly number[]): Tensor;
    /** Removes size-1 dimensions. See {@link squeeze}. */
    squeeze(axes?: number | readonly number[]): Tensor;
    /** Inserts a size-1 dimension at `axis`. See {@link unsqueeze}. */
    unsqueeze(axis: number): Tensor;
    /** Merges dimensions startDim..endDim (default all) into one. See {@link flatten}. */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** The same values cut from the graph. See {@link detach}. */
    detach(): Tensor;
    /** An independent copy. See {@link clone}. */
    clone(): Tensor;
  }
}

defineMethods({ reshape, view: reshape, permute, transpose, expand, squeeze, unsqueeze, flatten, detach, clone });
Object.defineProperty(Tensor.prototype, 'T', {
  get(this: Tensor) {
    return transpose(this);
  },
  configurable: true,
});
