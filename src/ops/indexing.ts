// Indexing and joining: slice, pad (constant, reflect, replicate, circular), concat (cat) / stack,
// split / chunk, gather, indexSelect and oneHot.
// Slices are strided copies (shaders/copy.wgsl); shaders/pad.wgsl places a tensor inside a filled one
// (constant pad, and slice's backward); the other pad modes are an indexSelect per padded axis;
// shaders/place.wgsl writes the blocks of concat and stack;
// shaders/gather.wgsl reads along an axis at given indices; shaders/scatter.wgsl and
// shaders/index_add.wgsl add gradients back without atomics, so they are bit-identical run to run.
// Every backward rule is itself an op of this file (slice <-> pad, gather <-> scatterAdd,
// indexSelect <-> indexAdd), recorded in turn, so gradients of gradients work.

import { composite, record } from '../autograd.js';
import { runtime } from '../context.js';
import type { BuffersOf } from '../gpu/runtime.js';
import { Tensor, checkFitsDevice, dtypeArray, shapeSize, type DType } from '../tensor.js';
import { defineMethods } from './methods.js';
import { SORT_BLOCK, sortWorkgroupSize } from './bitonic.js';
import { assertDtype, assertRank, assertSameDtype, checkDtype, grid1d, normalizeAxis, opError, sameShape, stridesOf } from './shape.js';
import { reshape, stridedCopy, unsqueeze } from './movement.js';
import { arange, tensor } from './creation.js';
import { cast, eq } from './elementwise.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** The 32-bit pattern of `value` stored as `dtype` (how raw-word kernels receive a fill value). */
function bitsOf(value: number, dtype: DType): number {
  const word = new Uint32Array(1);
  new dtypeArray[dtype](word.buffer)[0] = value;
  return word[0];
}

function assertNotScalar(op: string, tensors: Tensor[]): void {
  if (tensors.some((t) => t.rank === 0)) throw opError(op, 'needs tensors with at least one dimension', tensors);
}

// ---- slice and pad: a strided copy and its transpose ---------------------------------------------

/** x[starts + s * steps] for s over `counts`, per axis, as one strided copy. */
function stridedSlice(x: Tensor, starts: readonly number[], steps: readonly number[], counts: readonly number[]): Tensor {
  const strides = stridesOf(x.shape);
  const offset = starts.reduce((sum, start, k) => sum + start * strides[k], 0);
  const out = stridedCopy(x, counts, strides.map((stride, k) => stride * steps[k]), offset);
  return record('slice', [x], out, (g) => [embed(g, x.shape, starts, steps, 0)]);
}

/** The part of x from `start` to `start + length` along one axis. */
function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const starts = x.shape.map((_, k) => (k === axis ? start : 0));
  const counts = x.shape.map((d, k) => (k === axis ? length : d));
  return stridedSlice(x, starts, x.shape.map(() => 1), counts);
}

/**
 * A tensor of `shape` filled with `value`, except that x[s] lands at out[lo + s * step] (per axis).
 * pad calls it with step 1, where a negative lo crops x; slice's backward calls it with the whole
 * region inside `shape`. Its backward is the matching crop or strided slice.
 */
function embed(x: Tensor, shape: readonly number[], lo: readonly number[], step: readonly number[], value: number): Tensor {
  assertRank('pad', x);
  const out = Tensor.empty(shape, x.dtype, 'pad');
  const unitSteps = step.every((s) => s === 1);
  if (out.size > 0) {
    runtime().dispatch({
      shader: wgsl.pad,
      constants: { UNIT_STEP: unitSteps ? 1 : 0 },
      params: { n: out.size, rank: shape.length, fill: bitsOf(value, x.dtype), shape, x_shape: x.shape, lo, step },
      buffers: { x: x.buffer, out: out.buffer },
      workgroups: grid1d(out.size),
    });
  }
  return record('pad', [x], out, (g) => [
    unitSteps ? embed(g, x.shape, lo.map((l) => -l), step, 0) : stridedSlice(g, lo, step, x.shape),
  ]);
}

/** Per-axis `[start, end, step]` as in Python's `x[start:end:step]`; omitted or null parts mean the whole axis. */
export type SliceRange = readonly [start?: number | null, end?: number | null, step?: number];

/** Clamps a Python-style range to an axis of size n: the first index and the number of elements. */
function resolveRange(x: Tensor, axis: number, range: SliceRange): { start: number; step: number; count: number } {
  const n = x.shape[axis];
  const [start, end, step = 1] = range;
  if (!Number.isInteger(step) || step < 1) throw opError('slice', `step must be a positive integer, got ${step} on axis ${axis}`, [x]);
  for (const bound of [start, end]) {
    if (bound != null && !Number.isInteger(bound)) throw opError('slice', `bounds must be integers, got ${bound} on axis ${axis}`, [x]);
  }
  const clampBound = (b: number) => (b < 0 ? Math.max(0, b + n) : Math.min(b, n));
  const first = clampBound(start ?? 0);
  const stop = clampBound(end ?? n);
  return { start: first, step, count: stop > first ? Math.ceil((stop - first) / step) : 0 };
}

/**
 * Python slicing: `slice(x, axis, start, end, step)` slices one axis; `slice(x, ranges)` slices
 * several, one `[start, end, step]` or null (all of it) per leading axis, e.g.
 * `x.slice([[0, 2], null, [1, 5, 2]])` is PyTorch's `x[0:2, :, 1:5:2]`. Negative bounds count from
 * the end and out-of-range bounds are clamped, as in Python; steps must be positive (as in PyTorch).
 * Returns a copy (a view when the ranges cover all of x). Backward: the gradient placed back into
 * zeros of x's shape.
 */
export function slice(x: Tensor, axis: number, start?: number | null, end?: number | null, step?: number): Tensor;
export function slice(x: Tensor, ranges: readonly (SliceRange | null)[]): Tensor;
export function slice(x: Tensor, axisOrRanges: number | readonly (SliceRange | null)[], start?: number | null, end?: number | null, step = 1): Tensor {
  x.assertAlive('slice');
  assertNotScalar('slice', [x]);
  const ranges: (SliceRange | null)[] = x.shape.map(() => null);
  if (typeof axisOrRanges === 'number') {
    ranges[normalizeAxis('slice', axisOrRanges, x.rank, x.shape)] = [start, end, step];
  } else {
    if (axisOrRanges.length > x.rank) throw opError('slice', `${axisOrRanges.length} ranges given for ${x.rank} dimensions`, [x]);
    axisOrRanges.forEach((range, k) => (ranges[k] = range));
  }
  const resolved = ranges.map((range, k) => resolveRange(x, k, range ?? []));
  if (resolved.every((r, k) => r.start === 0 && r.step === 1 && r.count === x.shape[k])) return reshape(x, x.shape);
  return stridedSlice(x, resolved.map((r) => r.start), resolved.map((r) => r.step), resolved.map((r) => r.count));
}

/** How {@link pad} fills the new places, as torch.nn.functional.pad's `mode`. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

const padModes: readonly PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];

/**
 * Padding with torch.nn.functional.pad's order: `pads` = [lastBefore, lastAfter, secondLastBefore,
 * secondLastAfter, ...] for the last pads.length / 2 dimensions; negative amounts crop. `mode`:
 * - 'constant' (the default): the new places hold `value` (default 0); any rank, any number of
 *   padded dimensions. `pad(x, pads, value)` is the short form. Backward: the opposite padding (a crop).
 * - 'reflect': the values mirrored at each edge, the edge itself not repeated ([1, 2, 3] padded by 2
 *   on the left is [3, 2, 1, 2, 3]); each amount must be less than the dimension's size.
 * - 'replicate': the edge value repeated.
 * - 'circular': the dimension wrapped around, as if periodic; each amount must be at most the size
 *   (after the crop of any negative amount on that dimension).
 * The last three pad the last 1, 2 or 3 dimensions of a tensor with one or two more (PyTorch's
 * batched and unbatched forms: [C, W] or [N, C, W] for 1, and so on), they take no `value`, and
 * every output size must be at least 1. They read each output place from one input place (an
 * indexSelect per padded dimension), so their gradient adds each output place's gradient into the
 * input place it came from (a deterministic indexAdd). Where PyTorch's circular padding mixes a
 * crop and a pad on one dimension it can read places it has not written yet; here it wraps around
 * the cropped dimension.
 */
export function pad(x: Tensor, pads: readonly number[], value?: number): Tensor;
export function pad(x: Tensor, pads: readonly number[], mode: PadMode, value?: number): Tensor;
export function pad(x: Tensor, pads: readonly number[], modeOrValue: PadMode | number = 'constant', maybeValue?: number): Tensor {
  x.assertAlive('pad');
  const mode = typeof modeOrValue === 'number' ? 'constant' : modeOrValue;
  const value = typeof modeOrValue === 'number' ? modeOrValue : maybeValue;
  if (!padModes.includes(mode)) throw opError('pad', `mode must be ${padModes.map((m) => `'${m}'`).join(', ')}, got '${String(mode)}'`, [x]);
  if (pads.length % 2 !== 0 || pads.length / 2 > x.rank || !pads.every(Number.isInteger)) {
    throw opError('pad', `pads [${pads.join(', ')}] must be integers, two per dimension (last dimension first), for at most ${x.rank} dimensions`, [x]);
  }
  const shape = [...x.shape];
  const lo = x.shape.map(() => 0);
  for (let k = 0; k < pads.length / 2; k++) {
    const axis = x.rank - 1 - k;
    lo[axis] = pads[2 * k];
    shape[axis] += pads[2 * k] + pads[2 * k + 1];
    if (shape[axis] < 0) {
      throw opError('pad', `pads [${pads.join(', ')}] shrink dimension ${axis} (size ${x.shape[axis]}) to ${shape[axis]}`, [x]);
    }
  }
  if (mode === 'constant') return embed(x, shape, lo, x.shape.map(() => 1), value ?? 0);
  if (value !== undefined) throw opError('pad', `mode '${mode}' takes no value (got ${value})`, [x]);
  return padFromEdges(x, pads, mode);
}

/** Reflect, replicate or circular padding (see pad): per padded axis, an indexSelect of the source places. */
function padFromEdges(x: Tensor, pads: readonly number[], mode: Exclude<PadMode, 'constant'>): Tensor {
  const dims = pads.length / 2;
  if (dims < 1 || dims > 3 || x.rank < dims + 1 || x.rank > dims + 2) {
    throw opError('pad', `mode '${mode}' pads the last 1, 2 or 3 dimensions of a tensor with 1 or 2 more; got pads [${pads.join(', ')}] for rank ${x.rank}`, [x]);
  }
  const sources: [number, Int32Array][] = [];
  for (let k = 0; k < dims; k++) {
    const axis = x.rank - 1 - k;
    const [before, after] = [pads[2 * k], pads[2 * k + 1]];
    const places = sourcePlaces(x, axis, before, after, mode);
    if (before !== 0 || after !== 0) sources.push([axis, places]);
  }
  // Without any amount, a view (as slice gives for the whole tensor).
  if (sources.length === 0) return reshape(x, x.shape);
  return composite([x], () => sources.reduce((y, [axis, places]) => indexSelect(y, axis, tensor(places)), x));
}

/** For each output place along `axis`, the input place that reflect, replicate or circular padding reads. */
function sourcePlaces(x: Tensor, axis: number, before: number, after: number, mode: Exclude<PadMode, 'constant'>): Int32Array {
  const n = x.shape[axis];
  const out = n + before + after;
  const amounts = `[${before}, ${after}] on dimension ${axis} (size ${n})`;
  if (n === 0) throw opError('pad', `mode '${mode}' has no places to read on dimension ${axis} of size 0`, [x]);
  if (out < 1) throw opError('pad', `mode '${mode}' with ${amounts} leaves no places`, [x]);
  if (mode === 'reflect' && (before >= n || after >= n)) {
    throw opError('pad', `reflect padding ${amounts} must be less than the size`, [x]);
  }
  // Circular padding wraps around what is left after the crop of a negative amount.
  const keptStart = Math.max(-before, 0);
  const kept = n - keptStart - Math.max(-after, 0);
  if (mode === 'circular' && (before > kept || after > kept)) {
    throw opError('pad', `circular padding ${amounts} must be at most the size${kept < n ? ` after the crop (${kept})` : ''}`, [x]);
  }
  return Int32Array.from({ length: out }, (_, o) => {
    const at = o - before;
    switch (mode) {
      case 'reflect':
        return at < 0 ? -at : at >= n ? 2 * (n - 1) - at : at;
      case 'replicate':
        return Math.min(Math.max(at, 0), n - 1);
      case 'circular':
        return keptStart + ((((o - Math.max(before, 0)) % kept) + kept) % kept);
    }
  });
}

// ---- joining and splitting -----------------------------------------------------------------------

/** Writes each tensor, viewed as [rows, width_i], into columns of `out` viewed as [rows, sum of widths]. */
function placeBlocks(tensors: readonly Tensor[], out: Tensor, widths: readonly number[]): void {
  const outRow = widths.reduce((a, b) => a + b, 0);
  let offset = 0;
  tensors.forEach((t, i) => {
    if (t.size > 0) {
      runtime().dispatch({
        shader: wgsl.place,
        params: { n: t.size, x_row: widths[i], out_row: outRow, offset },
        buffers: { x: t.buffer, out: out.buffer },
        workgroups: grid1d(t.size),
      });
    }
    offset += widths[i];
  });
}

function checkJoinable(op: string, tensors: readonly Tensor[]): void {
  if (tensors.length === 0) throw new Error(`${op}: needs at least one tensor, got an empty list`);
  for (const t of tensors) t.assertAlive(op);
  assertSameDtype(op, [...tensors]);
  for (const t of tensors) assertRank(op, t);
}

/** Joins tensors along an existing axis (torch.cat). Shapes must match except along `axis`. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  checkJoinable('concat', tensors);
  assertNotScalar('concat', [...tensors]);
  const first = tensors[0];
  const a = normalizeAxis('concat', axis, first.rank, first.shape);
  if (tensors.some((t) => t.rank !== first.rank || t.shape.some((d, k) => k !== a && d !== first.shape[k]))) {
    throw opError('concat', `shapes must match except along axis ${a}`, [...tensors]);
  }
  const sizes = tensors.map((t) => t.shape[a]);
  const shape = [...first.shape];
  shape[a] = sizes.reduce((s, d) => s + d, 0);
  const out = Tensor.empty(shape, first.dtype, 'concat');
  const inner = shapeSize(shape.slice(a + 1));
  placeBlocks(tensors, out, sizes.map((d) => d * inner));
  return record('concat', [...tensors], out, (g) => {
    let start = 0;
    return tensors.map((t, i) => {
      const piece = t.requiresGrad ? narrow(g, a, start, sizes[i]) : null;
      start += sizes[i];
      return piece;
    });
  });
}

/** Joins tensors along an existing axis: PyTorch's name for {@link concat}. */
export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  return concat(tensors, axis);
}

/** The method form of concat and cat: this tensor, then `others`, joined along `axis`. */
function concatOnto(self: Tensor, others: Tensor | readonly Tensor[], axis = 0): Tensor {
  return concat([self, ...(others instanceof Tensor ? [others] : others)], axis);
}

/** Joins tensors of one shape along a new axis (torch.stack). */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  checkJoinable('stack', tensors);
  const first = tensors[0];
  if (tensors.some((t) => !sameShape(t.shape, first.shape))) throw opError('stack', 'all tensors must have the same shape', [...tensors]);
  const a = normalizeAxis('stack', axis, first.rank + 1, first.shape);
  const shape = [...first.shape];
  shape.splice(a, 0, tensors.length);
  const out = Tensor.empty(shape, first.dtype, 'stack');
  const inner = shapeSize(first.shape.slice(a));
  placeBlocks(tensors, out, tensors.map(() => inner));
  return record('stack', [...tensors], out, (g) => tensors.map((t, i) => (t.requiresGrad ? reshape(narrow(g, a, i, 1), t.shape) : null)));
}

/**
 * Splits along `axis` into pieces of `sizes` (a list summing to the axis size), or of one size
 * (the last piece takes what is left), as torch.split. Each piece is a copy recorded as a slice, so
 * each piece's backward pads its gradient to x's shape and autograd adds them: for k pieces that
 * is k full-size passes rather than one concat (autograd has no multi-output ops).
 */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  x.assertAlive('split');
  assertNotScalar('split', [x]);
  const a = normalizeAxis('split', axis, x.rank, x.shape);
  const n = x.shape[a];
  let pieces: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 0 || (sizes === 0 && n > 0)) {
      throw opError('split', `piece size must be a positive integer, got ${sizes}`, [x]);
    }
    pieces = n === 0 ? [0] : Array.from({ length: Math.ceil(n / sizes) }, (_, i) => Math.min(sizes, n - i * sizes));
  } else {
    if (!sizes.every((s) => Number.isInteger(s) && s >= 0) || sizes.reduce((s, d) => s + d, 0) !== n) {
      throw opError('split', `sizes [${sizes.join(', ')}] must be integers >= 0 summing to ${n}, the size of axis ${a}`, [x]);
    }
    pieces = [...sizes];
  }
  let start = 0;
  return pieces.map((length) => {
    const piece = narrow(x, a, start, length);
    start += length;
    return piece;
  });
}

/** Splits into `chunks` pieces of ceil(size / chunks) along `axis` (fewer when they run out), as torch.chunk. */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  x.assertAlive('chunk');
  assertNotScalar('chunk', [x]);
  if (!Number.isInteger(chunks) || chunks < 1) throw opError('chunk', `chunks must be a positive integer, got ${chunks}`, [x]);
  const a = normalizeAxis('chunk', axis, x.rank, x.shape);
  const n = x.shape[a];
  return n === 0 ? split(x, new Array<number>(chunks).fill(0), a) : split(x, Math.ceil(n / chunks), a);
}

// ---- gather, indexSelect and their transposes ----------------------------------------------------

/**
 * How an op built on gather or indexSelect (crossEntropy, Embedding) names an out-of-range index in
 * the error the GPU check reports at the next read (see `Runtime.checkIndices`).
 */
export interface IndexCheckText {
  /** The op the error names. */
  op: string;
  /** What follows `op: `, with `{value}` where the bad index goes (default: "index {value} is out of range for dimension d of size n"). */
  message?: string;
  /** The tensors whose shapes and dtypes the error lists (default: x and the index). */
  inputs?: Tensor[];
}

/** The error an index check reports for an index outside [0, size) along `axis` (`{value}` is the index). */
function indexErrorText(op: string, x: Tensor, index: Tensor, axis: number, text?: IndexCheckText): string {
  const message = text?.message ?? `index {value} is out of range for dimension ${axis} of size ${x.shape[axis]}`;
  return opError(text?.op ?? op, message, text?.inputs ?? [x, index]).message;
}

function checkIndexed(op: string, x: Tensor, index: Tensor, axis: number): number {
  x.assertAlive(op);
  index.assertAlive(op);
  assertDtype(op, index, ['i32']);
  assertRank(op, x);
  assertNotScalar(op, [x]);
  return normalizeAxis(op, axis, x.rank, x.shape);
}

/**
 * out[c] = x[c with c[axis] = index[c . indexStrides]] over the output `shape` (shaders/gather.wgsl),
 * with the index check of Runtime.checkIndices.
 */
function gatherKernel(op: string, x: Tensor, axis: number, index: Tensor, shape: readonly number[], indexStrides: readonly number[], text?: IndexCheckText): Tensor {
  // Checked before the output is allocated, so the error leaks nothing.
  if (x.shape[axis] === 0 && shapeSize(shape) > 0) throw opError(text?.op ?? op, `cannot pick from axis ${axis} of size 0`, text?.inputs ?? [x, index]);
  const out = Tensor.empty(shape, x.dtype, text?.op ?? op);
  if (out.size === 0) return out;
  const check = runtime().indexCheck(() => indexErrorText(op, x, index, axis, text));
  runtime().dispatch({
    shader: wgsl.gather,
    params: {
      n: out.size,
      rank: shape.length,
      axis,
      axis_size: x.shape[axis],
      site: check.site,
      shape,
      x_strides: stridesOf(x.shape),
      index_strides: indexStrides,
    },
    buffers: { x: x.buffer, index: index.buffer, out: out.buffer, check_flag: check.flag },
    workgroups: grid1d(out.size),
  });
  return out;
}

/**
 * torch.gather: out[i][j][k] = x[index[i][j][k]][j][k] for axis 0 (likewise for other axes). The i32
 * index has x's rank, is no larger than x off the axis, and gives the output's shape. Indices must
 * lie in [0, x.shape[axis]): the GPU cannot throw, so it reads a clamped index and records the bad
 * one, and the next read of any tensor throws an error naming it (see `Runtime.checkIndices`, which
 * turns the check off). `text` is for ops built on gather, to name themselves in that error.
 * Backward: a deterministic scatter-add of the gradient into zeros of x's shape.
 */
export function gather(x: Tensor, axis: number, index: Tensor, text?: IndexCheckText): Tensor {
  const a = checkIndexed('gather', x, index, axis);
  if (index.rank !== x.rank || index.shape.some((d, k) => k !== a && d > x.shape[k])) {
    throw opError('gather', `index must have x's rank and no larger sizes than x off axis ${a}`, [x, index]);
  }
  const out = gatherKernel('gather', x, a, index, index.shape, stridesOf(index.shape), text);
  return record('gather', [x], out, (g) => [scatterAdd(g, a, index, x.shape)]);
}

/** The transpose of gather: zeros of `shape` plus src[s] at s's position with its axis coordinate replaced by index[s]. */
function scatterAdd(src: Tensor, axis: number, index: Tensor, shape: readonly number[]): Tensor {
  assertDtype('gather backward', src, ['f32']);
  const out = Tensor.empty(shape, 'f32');
  if (out.size > 0) {
    const check = runtime().indexCheck(() => indexErrorText('gather backward', out, index, axis));
    runtime().dispatch({
      shader: wgsl.scatter,
      params: { n: out.size, rank: shape.length, axis, count: src.shape[axis], site: check.site, shape, src_shape: src.shape },
      buffers: { src: src.buffer, index: index.buffer, out: out.buffer, check_flag: check.flag },
      workgroups: grid1d(out.size),
    });
  }
  return record('scatterAdd', [src], out, (g) => [gather(g, axis, index)]);
}

/**
 * torch.index_select: the entries of x at the positions of a 1-D i32 index along `axis`; with
 * axis 0 and x a [vocabulary, dim] table this is an embedding lookup. Indices must lie in
 * [0, x.shape[axis]); one outside is reported at the next read, as in {@link gather}. Backward: a
 * deterministic index-add of the gradient rows (sorted segments, see indexAdd).
 */
export function indexSelect(x: Tensor, axis: number, index: Tensor, text?: IndexCheckText): Tensor {
  const a = checkIndexed('indexSelect', x, index, axis);
  if (index.rank !== 1) throw opError('indexSelect', `index must be 1-D, got rank ${index.rank}`, [x, index]);
  const shape = [...x.shape];
  shape[a] = index.size;
  const out = gatherKernel('indexSelect', x, a, index, shape, shape.map((_, k) => (k === a ? 1 : 0)), text);
  return record('indexSelect', [x], out, (g) => [indexAdd(g, a, index, x.shape[a])]);
}

/**
 * The transpose of indexSelect: src's shape with `rows` along axis, where row v is the sum of the
 * src slices l with index[l] = v. The positions are sorted by (row, position) with a bitonic sort,
 * then each output element sums its row's segment in increasing position order: bit-identical run
 * to run, each src value read once. Dispatches for L indices (P = next power of two >= L, B =
 * SORT_BLOCK = 2048 keys sorted in one workgroup's memory): 2 for P <= B (sort, sum); beyond,
 * 2 + s(s+3)/2 with s = log2(P / B), a global pass for each distance >= B and one in-memory merge
 * per stage (11 for L = 16384). Work: O(P log^2 P) compare-exchanges, a binary search per output
 * element, one pass over src.
 */
function indexAdd(src: Tensor, axis: number, index: Tensor, rows: number): Tensor {
  assertDtype('indexSelect backward', src, ['f32']);
  const shape = [...src.shape];
  shape[axis] = rows;
  const out = Tensor.empty(shape, 'f32');
  if (out.size > 0) sortedIndexAdd(src, index, out, axis, rows, shapeSize(shape.slice(axis + 1)));
  return record('indexAdd', [src], out, (g) => [indexSelect(g, axis, index)]);
}

/**
 * Up to how many reads (output elements x positions) indexAdd scans instead of sorting: one dispatch
 * instead of two or more. A GPU makes the reads of a small model's embedding gradient in less time
 * than the sort's dispatches cost; the software adapter runs each invocation's loop serially, so
 * there the scan pays only for tiny tables.
 */
function scanIndexAddReads(): number {
  return runtime().adapterInfo.isFallbackAdapter ? 1 << 16 : 1 << 24;
}

/**
 * The dispatches of indexAdd (shaders/index_add.wgsl): sort the keys, block by block in workgroup
 * memory, then the stages that cross blocks (a global pass per distance >= SORT_BLOCK, the rest in
 * workgroup memory again); sum each row's segment. Or, for few reads, one scan (the same sums).
 */
function sortedIndexAdd(src: Tensor, index: Tensor, out: Tensor, axis: number, rows: number, inner: number): void {
  const count = index.size;
  const padded = 2 ** Math.ceil(Math.log2(Math.max(count, 1)));
  const check = runtime().indexCheck(() => indexErrorText('indexSelect backward', out, index, axis));
  const launch = (
    entryPoint: string,
    buffers: BuffersOf<typeof wgsl.index_add>,
    workgroups: [number, number],
    constants: Record<string, number> = {},
    k = 0,
    j = 0,
  ) =>
    runtime().dispatch({
      shader: wgsl.index_add,
      entryPoint,
      params: { n: out.size, count, padded, rows, inner, k, j, site: entryPoint === 'sort_blocks' || entryPoint === 'accumulate_scan' ? check.site : 0 },
      buffers,
      workgroups,
      constants,
    });
  if (out.size * count <= scanIndexAddReads()) {
    launch('accumulate_scan', { scan_src: src.buffer, scan_index: index.buffer, check_flag: check.flag, scan_out: out.buffer }, grid1d(out.size));
    return;
  }
  const keys = Tensor.empty([padded, 2], 'u32');
  const blocks = grid1d(Math.ceil(padded / SORT_BLOCK), 1);
  const inWorkgroup = { BLOCK: SORT_BLOCK, WG: sortWorkgroupSize() };
  launch('sort_blocks', { sort_keys: keys.buffer, index: index.buffer, check_flag: check.flag }, blocks, inWorkgroup);
  for (let k = 2 * SORT_BLOCK; k <= padded; k *= 2) {
    for (let j = k / 2; j >= SORT_BLOCK; j /= 2) launch('bitonic_step', { sort_keys: keys.buffer }, grid1d(padded / 2), {}, k, j);
    launch('merge_blocks', { sort_keys: keys.buffer }, blocks, inWorkgroup, k);
  }
  launch('accumulate', { src: src.buffer, keys: keys.buffer, out: out.buffer }, grid1d(out.size));
  keys.dispose();
}

/** Options of {@link oneHot}. */
export interface OneHotOptions {
  /** The result's dtype: 'f32' (the default, ready to multiply into a loss), or 'i32' / 'u32' as PyTorch's integer one-hot. */
  dtype?: DType;
}

/**
 * One-hot encoding: a tensor with a new last axis of `numClasses`, 1 where the class equals the i32
 * index (f32 unless `options.dtype` says otherwise). An index outside [0, numClasses) gives a row of
 * zeros. Not differentiable.
 */
export function oneHot(index: Tensor, numClasses: number, options: OneHotOptions = {}): Tensor {
  index.assertAlive('oneHot');
  assertDtype('oneHot', index, ['i32']);
  const dtype = options.dtype ?? 'f32';
  checkDtype('oneHot', dtype);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw opError('oneHot', `numClasses must be a positive integer, got ${numClasses}`, [index]);
  }
  checkFitsDevice('oneHot', [...index.shape, numClasses], dtype);
  const classes = arange(0, numClasses, 1, { dtype: 'i32' });
  const column = unsqueeze(index, -1);
  const mask = eq(column, classes);
  classes.dispose();
  column.dispose();
  if (dtype === 'f32') return mask;
  const out = cast(mask, dtype);
  mask.dispose();
  return out;
}

declare module '../tensor.js' {
  interface Tensor {
    /** Python slicing of one axis: `x[..., start:end:step, ...]`. */
    slice(axis: number, start?: number | null, end?: number | null, step?: number): Tensor;
    /** Python slicing of the leading axes: one `[start, end, step]` or null per axis. */
    slice(ranges: readonly (SliceRange | null)[]): Tensor;
    /** Constant padding in torch.nn.functional.pad's order. See {@link pad}. */
    pad(pads: readonly number[], value?: number): Tensor;
    /** Constant, reflect, replicate or circular padding in torch.nn.functional.pad's order. See {@link pad}. */
    pad(pads: readonly number[], mode: PadMode, value?: number): Tensor;
    /** Splits along `axis` into pieces of the given sizes. See {@link split}. */
    split(sizes: number | readonly number[], axis?: number): Tensor[];
    /** Splits into `chunks` near-equal pieces. See {@link chunk}. */
    chunk(chunks: number, axis?: number): Tensor[];
    /** torch.gather along `axis` with an i32 index. See {@link gather}. */
    gather(axis: number, index: Tensor): Tensor;
    /** The entries at a 1-D i32 index along `axis`. See {@link indexSelect}. */
    indexSelect(axis: number, index: Tensor): Tensor;
    /** One-hot encoding of this i32 tensor (f32 unless `options.dtype` says otherwise). See {@link oneHot}. */
    oneHot(numClasses: number, options?: OneHotOptions): Tensor;
    /** This tensor and `others` joined along `axis` (default 0). See {@link concat}. */
    concat(others: Tensor | readonly Tensor[], axis?: number): Tensor;
    /** This tensor and `others` joined along `axis` (default 0): PyTorch's name for `concat`. See {@link cat}. */
    cat(others: Tensor | readonly Tensor[], axis?: number): Tensor;
  }
}

defineMethods({ slice, pad, split, chunk, gather, indexSelect, oneHot, concat: concatOnto, cat: concatOnto });
