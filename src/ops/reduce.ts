// Reductions over any set of axes: sum, mean, max, min, logsumexp, variance and std (differentiable),
// argmax and argmin (i32 positions, PyTorch semantics).
//
// No reduction transposes its input with a copy. The shape is read as runs of kept and reduced axes (size-1 axes
// dropped), and each pass reduces one run of reduced axes with x viewed as [outer, k, inner]
// (shaders/reduce.wgsl): inner = 1 is a row reduction, inner > 1 a column reduction whose neighbouring
// invocations read neighbouring addresses. Summing [B, N] over axis 0 (every bias gradient) is one
// column pass; [A, B, C] over axes 0 and 2 is two passes (C as rows, then A as columns), each reading
// less than a transposing copy would. A few long lines are split into chunks reduced in a second pass.
// The row case has the two rungs of src/ops/row-variant.ts: 'line', one invocation per row (or chunk),
// and 'workgroup', one workgroup per row (or chunk). The public reductions take no options, so they
// follow chooseRowVariant; reduceRows takes `{ variant }`, for the tests and `tune` to pin a rung.

import { noGrad, record } from '../autograd.js';
import { runtime } from '../context.js';
import { Tensor, checkFitsDevice, scope, shapeSize, type DType } from '../tensor.js';
import { defineMethods } from './methods.js';
import { assertDtype, grid1d, normalizeAxes, normalizeAxis, opError } from './shape.js';
import { chooseRowVariant, resolveRowVariant, workgroupPerRow, type RowVariant, type RowVariantOptions } from './row-variant.js';
import { expand, reshape } from './movement.js';
import { add, div, eq, exp, mul, mulScalar, ne, sqrt, square, sub } from './elementwise.js';
import { fusedLoads } from './fusion.js';
import type { KernelLaunch } from '../gpu/runtime.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** The combining functions of shaders/reduce.wgsl. */
export type ReduceOp = 'sum' | 'max' | 'min' | 'logsumexp';

/** Axes to reduce: one, several, or all when undefined. */
export type Axes = number | readonly number[] | undefined;

/** Lines are split into chunks when there would be fewer invocations than this... */
const TARGET_INVOCATIONS = 4096;
/** ...but never into chunks shorter than this. */
const MIN_CHUNK = 256;
const WORKGROUP_SIZE = 64;
/** The 'workgroup' rung cuts rows into chunks when there would be fewer workgroups than this (several for each multiprocessor of a large GPU)... */
const TARGET_WORKGROUPS = 1024;
/** ...but never into chunks shorter than this: 8 values for each of workgroupPerRow's widest 256 invocations. */
const MIN_WORKGROUP_CHUNK = 2048;

/** How many chunks to cut lines of length k into, given `lines` tasks without splitting, `target` tasks wanted and chunks of at least `minChunk`. */
function chunkCount(lines: number, k: number, target = TARGET_INVOCATIONS, minChunk = MIN_CHUNK): number {
  return Math.max(1, Math.min(Math.floor(target / Math.max(lines, 1)), Math.ceil(k / minChunk)));
}

/** [outer, k, inner] split into chunks of chunkLen (every chunk non-empty). */
interface MiddleAxis {
  outer: number;
  k: number;
  inner: number;
  chunks: number;
  chunkLen: number;
}

function middleAxis(outer: number, k: number, inner: number, chunks: number): MiddleAxis {
  const chunkLen = Math.max(1, Math.ceil(k / chunks));
  return { outer, k, inner, chunks: Math.max(1, Math.ceil(k / chunkLen)), chunkLen };
}

/** Invocations across `inner` columns: four neighbouring columns share one when they fit a vec4. */
function lanesOf(inner: number): number {
  return inner % 4 === 0 ? inner / 4 : inner;
}

/** One pass of shaders/reduce.wgsl over a view, from x into out, times scale. */
type ReducePass = (x: Tensor, out: Tensor, view: MiddleAxis, scale: number) => void;

/**
 * Records a pass of shaders/reduce.wgsl reading x. When x is a pending group of elementwise ops (fusion
 * on), the group is computed in the pass's loads instead (fusedLoads): one kernel where there were two,
 * and x's values never reach memory.
 */
function dispatchReading(x: Tensor, out: Tensor, launch: Omit<KernelLaunch<wgsl.ReduceParams, 'x' | 'out'>, 'shader' | 'buffers'> & { template: Record<string, string> }): void {
  const fused = fusedLoads(x, wgsl.reduce, launch.template, launch.template.T === 'f32' ? 1 : 4);
  if (!fused) {
    runtime().dispatch({ ...launch, shader: wgsl.reduce, buffers: { x: x.buffer, out: out.buffer } });
    return;
  }
  runtime().dispatch({
    ...launch,
    shader: fused.shader,
    template: undefined,
    constants: { ...launch.constants, ...fused.constants },
    params: { ...launch.params, ...fused.params },
    buffers: { out: out.buffer, ...fused.buffers },
  });
}

/** The 'line' rung's pass: one invocation per task, over `view` with its inner counted in elements of `type`. */
function linePass(op: ReduceOp, type: 'f32' | 'vec4<f32>'): ReducePass {
  return (x, out, view, scale) => dispatchReading(x, out, {
    template: type === 'f32' ? { OP: op, T: type, U: 'u32', I: 'i32', B: 'bool' } : { OP: op, T: type, U: 'vec4<u32>', I: 'vec4<i32>', B: 'vec4<bool>' },
    constants: { WG: WORKGROUP_SIZE },
    params: { outer: view.outer, k: view.k, inner: view.inner, chunks: view.chunks, chunk_len: view.chunkLen, scale },
    workgroups: grid1d(view.outer * view.chunks * view.inner, WORKGROUP_SIZE),
  });
}

/** The 'workgroup' rung's pass (entry point `rows`, rows only: inner = 1): one workgroup per task. */
function workgroupPass(op: ReduceOp): ReducePass {
  return (x, out, view, scale) => {
    const { workgroups, size } = workgroupPerRow(view.outer * view.chunks, view.chunkLen);
    dispatchReading(x, out, {
      entryPoint: 'rows',
      template: { OP: op, T: 'f32', U: 'u32', I: 'i32', B: 'bool' },
      constants: { WG: size },
      params: { outer: view.outer, k: view.k, inner: 1, chunks: view.chunks, chunk_len: view.chunkLen, scale },
      workgroups,
    });
  };
}

/**
 * Runs `pass` over `view` into `out`: in one pass, or, when its lines are cut into chunks, into
 * partial results that a second pass reduces as lines of view.chunks values (each op composes so).
 */
function reduceInChunks(pass: ReducePass, x: Tensor, out: Tensor, view: MiddleAxis, scale: number): void {
  if (view.chunks === 1) {
    pass(x, out, view, scale);
    return;
  }
  const partial = Tensor.empty([out.size * view.chunks], 'f32');
  pass(x, partial, view, 1);
  pass(partial, out, middleAxis(view.outer, view.chunks, view.inner, 1), scale);
  partial.dispose();
}

/**
 * Reduces the middle axis of f32 `x` viewed as [outer, k, inner] with `op`, times `scale` (1/k for
 * a mean). Returns [outer * inner]. Rows (inner = 1) run on `variant`'s rung (default: the automatic
 * choice); other lines on the 'line' rung, the only one they have. No autograd here: the ops below
 * record their own rules.
 */
export function reduceMiddle(x: Tensor, outer: number, k: number, inner: number, op: ReduceOp, scale = 1, variant?: RowVariant): Tensor {
  if (inner === 1 && (variant ?? chooseRowVariant(k)) === 'workgroup') return reduceRowsPerWorkgroup(x, outer, k, op, scale);
  if (inner === 1 && k % 4 === 0 && k >= 8 && outer * k > 0) return reduceRowsFourWide(x, outer, k, op, scale);
  const out = Tensor.empty([outer * inner], 'f32');
  if (out.size === 0) return out;
  const lanes = lanesOf(inner);
  const view = middleAxis(outer, k, lanes, chunkCount(outer * lanes, k));
  reduceInChunks(linePass(op, lanes < inner ? 'vec4<f32>' : 'f32'), x, out, view, scale);
  return out;
}

/**
 * The 'workgroup' rung: one workgroup per row, or, for a few long rows, per chunk of one (the chunks'
 * results reduced again by a workgroup per row, in one more pass since there are at most
 * TARGET_WORKGROUPS of them).
 */
function reduceRowsPerWorkgroup(x: Tensor, outer: number, k: number, op: ReduceOp, scale: number): Tensor {
  const out = Tensor.empty([outer], 'f32');
  if (out.size === 0) return out;
  const view = middleAxis(outer, k, 1, chunkCount(outer, k, TARGET_WORKGROUPS, MIN_WORKGROUP_CHUNK));
  reduceInChunks(workgroupPass(op), x, out, view, scale);
  return out;
}

/**
 * Rows whose length is a multiple of 4: each invocation folds its row (or a chunk of it) four values
 * at a time, one wide load each, into four lane results; a second pass reduces the rows of lane
 * results, [outer, 4 * chunks]. Every op composes this way (a lane's logsumexp is a valid input to a
 * further logsumexp). On adapters where each invocation's loads are separate (a CPU's SIMD lanes
 * gathering from four rows), a quarter of the loads.
 */
function reduceRowsFourWide(x: Tensor, outer: number, k: number, op: ReduceOp, scale: number): Tensor {
  const view = middleAxis(outer, k / 4, 1, chunkCount(outer, k / 4));
  const lanes = Tensor.empty([outer * view.chunks * 4], 'f32');
  linePass(op, 'vec4<f32>')(x, lanes, view, 1);
  const out = reduceMiddle(lanes, outer, view.chunks * 4, 1, op, scale, 'line');
  lanes.dispose();
  return out;
}

/**
 * Reduces each row of f32 `x` viewed as [rows, cols] to one value (times `scale`), on
 * `options.variant`'s rung (default: the automatic choice); an unknown one throws, naming `op`.
 * Returns [rows].
 */
export function reduceRows(x: Tensor, rows: number, cols: number, op: ReduceOp, scale = 1, options: RowVariantOptions = {}): Tensor {
  return reduceMiddle(x, rows, cols, 1, op, scale, resolveRowVariant(op, options.variant, cols, [x]));
}

// ---- planning passes over runs of axes -----------------------------------------------------------

interface AxisRun {
  size: number;
  reduced: boolean;
}

/** The shape as alternating runs of kept and reduced axes; size-1 axes are dropped (free either way). */
function axisRuns(shape: readonly number[], reduced: readonly number[]): AxisRun[] {
  const runs: AxisRun[] = [];
  shape.forEach((size, axis) => {
    if (size === 1) return;
    const isReduced = reduced.includes(axis);
    const last = runs[runs.length - 1];
    if (last && last.reduced === isReduced) last.size *= size;
    else runs.push({ size, reduced: isReduced });
  });
  return runs;
}

const product = (runs: AxisRun[]) => runs.reduce((n, run) => n * run.size, 1);

/** Index of the last run of reduced axes, or -1 when none is left. */
function lastReducedRun(runs: AxisRun[]): number {
  for (let j = runs.length - 1; j >= 0; j--) if (runs[j].reduced) return j;
  return -1;
}

/** The runs left once run j is reduced away: the kept runs on either side of it join into one. */
function withoutRun(runs: AxisRun[], j: number): AxisRun[] {
  const [left, right] = [runs[j - 1], runs[j + 1]];
  if (left && right) return [...runs.slice(0, j - 1), { size: left.size * right.size, reduced: false }, ...runs.slice(j + 2)];
  return [...runs.slice(0, j), ...runs.slice(j + 1)];
}

/** `shape` after reducing `reduced`: those axes become 1 (keepdims) or disappear. */
function reducedShape(shape: readonly number[], reduced: readonly number[], keepdims: boolean): number[] {
  return keepdims ? shape.map((d, i) => (reduced.includes(i) ? 1 : d)) : shape.filter((_, i) => !reduced.includes(i));
}

/** Validated, sorted axes; on a 0-d tensor every valid axis list reduces nothing. */
function reducedAxes(name: string, x: Tensor, axes: Axes): number[] {
  x.assertAlive(name);
  if (axes !== undefined && typeof axes !== 'number' && !Array.isArray(axes)) {
    throw opError(name, `axes must be a number, an array of numbers or undefined, got ${String(axes)}`, [x]);
  }
  return normalizeAxes(name, axes, x.shape).filter((a) => a < x.rank);
}

/** Runs the passes that reduce `reduced` axes of x with `op`; `mean` scales by 1/count on the last pass. */
function reduceAxes(name: string, op: ReduceOp, x: Tensor, axes: Axes, keepdims: boolean, mean = false): Tensor {
  const reduced = reducedAxes(name, x, axes);
  assertDtype(name, x, ['f32']);
  const count = shapeSize(reduced.map((a) => x.shape[a]));
  if ((op === 'max' || op === 'min') && count === 0) {
    throw opError(name, `cannot reduce over an empty dimension (axes [${reduced.join(', ')}])`, [x]);
  }
  checkFitsDevice(name, reducedShape(x.shape, reduced, keepdims), 'f32'); // only an empty x can have a larger result
  let runs = axisRuns(x.shape, reduced);
  let current = x;
  for (let j = lastReducedRun(runs); j >= 0; j = lastReducedRun(runs)) {
    const [outer, k, inner] = [product(runs.slice(0, j)), runs[j].size, product(runs.slice(j + 1))];
    runs = withoutRun(runs, j);
    const lastPass = lastReducedRun(runs) < 0;
    const next = reduceMiddle(current, outer, k, inner, op, lastPass && mean ? 1 / count : 1);
    if (current !== x) current.dispose();
    current = next;
  }
  const out = Tensor.view(current, reducedShape(x.shape, reduced, keepdims));
  if (current !== x) current.dispose();
  return out;
}

/** x's shape with the reduced axes kept as size 1 (how a reduced gradient is broadcast back). */
function keepShape(x: Tensor, axes: Axes): number[] {
  return reducedShape(x.shape, normalizeAxes('reduce', axes, x.shape), true);
}

// ---- differentiable reductions -------------------------------------------------------------------

/** Sum over the axes (all when omitted), f32; `keepdims` keeps them as size 1. */
export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const out = reduceAxes('sum', 'sum', x, axes, keepdims);
  return record('sum', [x], out, (g) => [expand(reshape(g, keepShape(x, axes)), x.shape)]);
}

/** Mean over the axes (all when omitted), f32; `keepdims` keeps them as size 1. */
export function mean(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const out = reduceAxes('mean', 'sum', x, axes, keepdims, true);
  const count = x.size / Math.max(out.size, 1);
  return record('mean', [x], out, (g) => [expand(reshape(mul(g, 1 / count), keepShape(x, axes)), x.shape)]);
}

/**
 * What max and min return when given one dim (a number), as PyTorch's (values, indices) pair: the values
 * tensor itself, which also carries `values` (the same tensor) and `indices` (the i32 position of each
 * extreme along the dim: the first on ties, the first NaN where the values include one). So
 * `const { values, indices } = x.max(1)` reads as in PyTorch, and `x.max(1)` stays a tensor. The
 * indices are computed on first access (a max that only wants values launches no argmax); that access
 * throws if x has since been disposed or changed in place.
 */
export type ExtremumResult = Tensor & {
  /** The extreme values: this same tensor. */
  readonly values: Tensor;
  /** The i32 positions of the extremes along the dim (computed on first access; see ExtremumResult). */
  readonly indices: Tensor;
};

/** Gives `values` (made by reducing x over `dim`) the values and indices of an ExtremumResult. */
function withIndices(name: string, beats: '>' | '<', x: Tensor, dim: number, keepdims: boolean, values: Tensor): ExtremumResult {
  const version = x.version;
  let indices: Tensor | null = null;
  Object.defineProperties(values, {
    values: { value: values },
    indices: {
      get: () => {
        if (indices !== null && !indices.isDisposed) return indices;
        if (x.isDisposed || x.version !== version) {
          throw opError(name, `indices were first asked for after the input was ${x.isDisposed ? 'disposed' : 'changed in place'}; read them before`, [x]);
        }
        indices = argReduce(name === 'max' ? 'argmax' : 'argmin', beats, x, dim, keepdims);
        return indices;
      },
    },
  });
  return values as ExtremumResult;
}

/**
 * Largest value over the axes, NaN where the values include a NaN (as PyTorch); the gradient is shared
 * equally among tied maxima (among the NaNs, where the result is NaN). Without axes, the largest of all
 * (a 0-d tensor); given one dim as a number, also the positions (see {@link ExtremumResult}).
 */
export function max(x: Tensor, dim: number, keepdims?: boolean): ExtremumResult;
export function max(x: Tensor, axes?: Axes, keepdims?: boolean): Tensor;
export function max(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const out = reduceAxes('max', 'max', x, axes, keepdims);
  const result = record('max', [x], out, (g) => [extremumGrad(x, out, g, axes)]);
  return typeof axes === 'number' ? withIndices('max', '>', x, axes, keepdims, result) : result;
}

/**
 * Smallest value over the axes, NaN where the values include a NaN (as PyTorch); the gradient is shared
 * equally among tied minima (among the NaNs, where the result is NaN). Throws on an empty axis. Without
 * axes, the smallest of all (a 0-d tensor); given one dim as a number, also the positions (see
 * {@link ExtremumResult}).
 */
export function min(x: Tensor, dim: number, keepdims?: boolean): ExtremumResult;
export function min(x: Tensor, axes?: Axes, keepdims?: boolean): Tensor;
export function min(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const out = reduceAxes('min', 'min', x, axes, keepdims);
  const result = record('min', [x], out, (g) => [extremumGrad(x, out, g, axes)]);
  return typeof axes === 'number' ? withIndices('min', '<', x, axes, keepdims, result) : result;
}

/** PyTorch's evenly_distribute_backward: the gradient split among the values equal to the result, or NaN like it. */
function extremumGrad(x: Tensor, out: Tensor, g: Tensor, axes: Axes): Tensor {
  const shape = keepShape(x, axes);
  const result = reshape(out, shape);
  const hits = add(eq(x, result), mul(ne(x, x), ne(result, result)));
  const share = div(hits, sum(hits, axes, true));
  return mul(share, reshape(g, shape));
}

/**
 * log(sum(exp(x))) over the axes, computed max-shifted (never overflows: values of 1000 are fine).
 * Its gradient is the softmax over the same axes: g * exp(x - logsumexp(x)).
 */
export function logsumexp(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const out = reduceAxes('logsumexp', 'logsumexp', x, axes, keepdims);
  return record('logsumexp', [x], out, (g) => {
    const shape = keepShape(x, axes);
    return [mul(exp(sub(x, reshape(out, shape))), reshape(g, shape))];
  });
}

/** Options of `variance` and `std`. */
export interface VarianceOptions {
  /** Subtracted from the count in the divisor: 1 (the default, as torch.var) is unbiased, 0 the population variance. */
  correction?: number;
  /** Keep the reduced axes as size 1 (default false). */
  keepdims?: boolean;
}

/**
 * Variance over the axes: sum((x - mean)^2) / max(0, count - correction), computed in two passes
 * (mean first) so that a large common offset does not cancel digits. Zero divisors give NaN, as PyTorch.
 */
export function variance(x: Tensor, axes?: Axes, options: VarianceOptions = {}): Tensor {
  return varianceOf('var', x, axes, options);
}

/** Standard deviation: sqrt(variance) with the same options (correction = 1 by default). */
export function std(x: Tensor, axes?: Axes, options: VarianceOptions = {}): Tensor {
  return sqrt(varianceOf('std', x, axes, options));
}

function varianceOf(name: string, x: Tensor, axes: Axes, options: VarianceOptions): Tensor {
  const { correction = 1, keepdims = false } = options;
  const reduced = reducedAxes(name, x, axes);
  assertDtype(name, x, ['f32']);
  if (!Number.isFinite(correction)) throw opError(name, `correction must be a finite number, got ${correction}`, [x]);
  const divisor = Math.max(0, shapeSize(reduced.map((a) => x.shape[a])) - correction);
  const out = noGrad(() =>
    scope(() => mulScalar(sum(square(sub(x, mean(x, reduced, true))), reduced, keepdims), 1 / divisor)),
  );
  // d var / dx = 2 (x - mean) / divisor
  return record('var', [x], out, (g) => [
    mul(sub(x, mean(x, reduced, true)), reshape(mulScalar(g, 2 / divisor), reducedShape(x.shape, reduced, true))),
  ]);
}

// ---- argmax / argmin -----------------------------------------------------------------------------

function launchArgReduce(
  x: Tensor, values: Tensor, positions: Tensor, view: MiddleAxis, beats: '>' | '<', previousPositions: Tensor | null,
): void {
  runtime().dispatch({
    shader: wgsl.argreduce,
    template: { T: x.dtype, BEATS: beats, POSITION: previousPositions ? 'in_index[at]' : 'k', FLOAT: x.dtype === 'f32' ? 'true' : 'false' },
    constants: { WG: WORKGROUP_SIZE },
    params: { outer: view.outer, k: view.k, inner: view.inner, chunks: view.chunks, chunk_len: view.chunkLen },
    buffers: { x: x.buffer, out_value: values.buffer, out_index: positions.buffer, in_index: previousPositions?.buffer },
    workgroups: grid1d(view.outer * view.chunks * view.inner, WORKGROUP_SIZE),
  });
}

/** Positions (i32) of the winners along the middle axis of x viewed as [outer, k > 0, inner]. */
function argReduceMiddle(x: Tensor, outer: number, k: number, inner: number, beats: '>' | '<'): Tensor {
  const positions = Tensor.empty([outer * inner], 'i32');
  if (positions.size === 0) return positions;
  const values = Tensor.empty([outer * inner], x.dtype);
  const view = middleAxis(outer, k, inner, chunkCount(outer * inner, k));
  if (view.chunks === 1) {
    launchArgReduce(x, values, positions, view, beats, null);
  } else {
    const partialValues = Tensor.empty([outer * view.chunks * inner], x.dtype);
    const partialPositions = Tensor.empty([outer * view.chunks * inner], 'i32');
    launchArgReduce(x, partialValues, partialPositions, view, beats, null);
    launchArgReduce(partialValues, values, positions, middleAxis(outer, view.chunks, inner, 1), beats, partialPositions);
    partialValues.dispose();
    partialPositions.dispose();
  }
  values.dispose();
  return positions;
}

const argDtypes: readonly DType[] = ['f32', 'i32', 'u32'];

function argReduce(name: string, beats: '>' | '<', x: Tensor, axis: number | undefined, keepdims: boolean): Tensor {
  x.assertAlive(name);
  assertDtype(name, x, argDtypes);
  if (axis !== undefined && typeof axis !== 'number') {
    throw opError(name, `takes one axis (or none, for the flattened tensor), got ${JSON.stringify(axis)}`, [x]);
  }
  const a = axis === undefined ? undefined : normalizeAxis(name, axis, x.rank, x.shape);
  // No axis (or a 0-d tensor): the position in the flattened tensor.
  const flat = a === undefined || x.rank === 0;
  const k = flat ? x.size : x.shape[a];
  if (k === 0) throw opError(name, `cannot take the ${name} of an empty ${flat ? 'tensor' : `dimension ${a}`}`, [x]);
  const outer = flat ? 1 : shapeSize(x.shape.slice(0, a));
  const inner = flat ? 1 : shapeSize(x.shape.slice(a + 1));
  const positions = argReduceMiddle(x, outer, k, inner, beats);
  const shape = flat ? (keepdims ? x.shape.map(() => 1) : []) : reducedShape(x.shape, [a], keepdims);
  const out = Tensor.view(positions, shape);
  positions.dispose();
  return out;
}

/**
 * Position (i32) of the largest value along `axis`, or in the flattened tensor; the first one on ties,
 * and the first NaN where there is one (as PyTorch).
 */
export function argmax(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argReduce('argmax', '>', x, axis, keepdims);
}

/**
 * Position (i32) of the smallest value along `axis`, or in the flattened tensor; the first one on ties,
 * and the first NaN where there is one (as PyTorch).
 */
export function argmin(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argReduce('argmin', '<', x, axis, keepdims);
}

declare module '../tensor.js' {
  interface Tensor {
    /** Sum over the axes (all when omitted). See {@link sum}. */
    sum(axes?: Axes, keepdims?: boolean): Tensor;
    /** Mean over the axes (all when omitted). See {@link mean}. */
    mean(axes?: Axes, keepdims?: boolean): Tensor;
    /** Largest value along one dim, with its positions as `indices`. See {@link max}. */
    max(dim: number, keepdims?: boolean): ExtremumResult;
    /** Largest value over the axes. See {@link max}. */
    max(axes?: Axes, keepdims?: boolean): Tensor;
    /** Smallest value along one dim, with its positions as `indices`. See {@link min}. */
    min(dim: number, keepdims?: boolean): ExtremumResult;
    /** Smallest value over the axes. See {@link min}. */
    min(axes?: Axes, keepdims?: boolean): Tensor;
    /** log(sum(exp(x))) over the axes, computed stably. See {@link logsumexp}. */
    logsumexp(axes?: Axes, keepdims?: boolean): Tensor;
    /** Variance (correction = 1 by default, as torch.var; correction 0 for the population variance). */
    var(axes?: Axes, options?: VarianceOptions): Tensor;
    /** Standard deviation (correction = 1 by default). See {@link std}. */
    std(axes?: Axes, options?: VarianceOptions): Tensor;
    /** Position (i32) of the largest value along `axis` (or in the flattened tensor); first on ties. */
    argmax(axis?: number, keepdims?: boolean): Tensor;
    /** Position (i32) of the smallest value along `axis` (or in the flattened tensor); first on ties. */
    argmin(axis?: number, keepdims?: boolean): Tensor;
  }
}

defineMethods({ sum, mean, max, min, logsumexp, var: variance, std, argmax, argmin });
