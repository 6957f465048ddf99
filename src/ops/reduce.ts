// Reductions over any set of axes (shaders/reduce.wgsl): sum, mean, max, min, plus sumTo, the
// reduction that every broadcasting op's backward rule uses to bring a gradient back to its input's
// shape. The reduced axes are moved last (a strided copy, skipped when they already are), so the
// kernel only ever sees contiguous rows.

import { record } from '../autograd.js';
import { runtime } from '../context.js';
import { ParamWriter } from '../gpu/runtime.js';
import { Tensor, shapeSize } from '../tensor.js';
import { defineMethods } from './methods.js';
import { assertDtype, grid1d, normalizeAxes, sameShape } from './shape.js';
import { expand, permute, reshape } from './movement.js';
import { div, eq, mul } from './elementwise.js';
import { full } from './creation.js';

export type ReduceOp = 'sum' | 'max' | 'min';

/** Below this many outputs, long rows are split into chunks reduced in a second pass. */
const TARGET_INVOCATIONS = 4096;
const MIN_CHUNK = 256;

/** Reduces each row of `x` viewed as [rows, cols] to one value (times `scale`). Returns [rows]. */
export function reduceRows(x: Tensor, rows: number, cols: number, op: ReduceOp, scale = 1): Tensor {
  const chunks = Math.max(1, Math.min(Math.floor(TARGET_INVOCATIONS / Math.max(rows, 1)), Math.ceil(cols / MIN_CHUNK)));
  const chunkLen = Math.ceil(cols / chunks);
  const used = Math.max(1, Math.ceil(cols / Math.max(chunkLen, 1)));
  const out = Tensor.empty([rows * used], 'f32');
  if (rows === 0) return out;
  const launch = (input: Tensor, output: Tensor, c: number, nChunks: number, len: number, s: number) =>
    runtime().dispatch({
      shader: 'reduce',
      template: { OP: op },
      constants: { WG: 64 },
      params: new ParamWriter().u32(rows).u32(c).u32(nChunks).u32(len).f32(s).finish(),
      buffers: [input.buffer, output.buffer],
      workgroups: grid1d(rows * nChunks, 64),
    });
  if (used === 1) {
    launch(x, out, cols, 1, Math.max(cols, 1), scale);
    return out;
  }
  launch(x, out, cols, used, chunkLen, 1);
  const final = Tensor.empty([rows], 'f32');
  launch(out, final, used, 1, used, scale);
  out.dispose();
  return final;
}

function reduce(name: string, op: ReduceOp, x: Tensor, axes: number | readonly number[] | undefined, keepdims: boolean, mean: boolean): Tensor {
  x.assertAlive(name);
  assertDtype(name, x, ['f32']);
  const reduced = normalizeAxes(name, axes, x.shape);
  const kept = [...Array(x.rank).keys()].filter((a) => !reduced.includes(a));
  const rows = shapeSize(kept.map((a) => x.shape[a]));
  const cols = shapeSize(reduced.map((a) => x.shape[a]));
  if (op !== 'sum' && cols === 0) throw new Error(`${name}: cannot reduce over an empty dimension (shape [${x.shape.join(', ')}])`);
  const keptShape = x.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
  const outShape = keepdims ? keptShape : kept.map((a) => x.shape[a]);
  const trailing = reduced.every((a, i) => a === x.rank - reduced.length + i);
  const rowsView = trailing ? x : permute(x, [...kept, ...reduced]);
  const flat = reduceRows(rowsView, rows, cols, op, mean ? 1 / cols : 1);
  if (rowsView !== x) rowsView.dispose();
  const out = Tensor.view(flat, outShape);
  flat.dispose();
  return out;
}

export function sum(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const out = reduce('sum', 'sum', x, axes, keepdims, false);
  return record('sum', [x], out, (g) => [expand(reshape(g, keepShape(x, axes)), x.shape)]);
}

export function mean(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const out = reduce('mean', 'sum', x, axes, keepdims, true);
  const count = x.size / Math.max(out.size, 1);
  return record('mean', [x], out, (g) => [expand(reshape(mul(g, 1 / count), keepShape(x, axes)), x.shape)]);
}

/** Largest value over the axes; the gradient is shared equally among tied maxima. */
export function max(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const out = reduce('max', 'max', x, axes, keepdims, false);
  return record('max', [x], out, (g) => [extremumGrad(x, out, g, axes)]);
}

export function min(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const out = reduce('min', 'min', x, axes, keepdims, false);
  return record('min', [x], out, (g) => [extremumGrad(x, out, g, axes)]);
}

function extremumGrad(x: Tensor, out: Tensor, g: Tensor, axes: number | readonly number[] | undefined): Tensor {
  const shape = keepShape(x, axes);
  const hits = eq(x, reshape(out, shape));
  const share = div(hits, sum(hits, axes, true));
  return mul(share, reshape(g, shape));
}

/** x's shape with the reduced axes kept as size 1 (how a reduced gradient is broadcast back). */
function keepShape(x: Tensor, axes: number | readonly number[] | undefined): number[] {
  const reduced = normalizeAxes('reduce', axes, x.shape);
  return x.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
}

/** Sums a broadcast gradient back down to `shape` (the inverse of NumPy broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes = g.shape.flatMap((d, i) => (i < lead || (shape[i - lead] === 1 && d !== 1) ? [i] : []));
  if (axes.length === 0) return reshape(g, shape);
  if (g.size === 0) return full(shape, 0);
  return reshape(sum(g, axes), shape);
}

declare module '../tensor.js' {
  interface Tensor {
    sum(axes?: number | readonly number[], keepdims?: boolean): Tensor;
    mean(axes?: number | readonly number[], keepdims?: boolean): Tensor;
    max(axes?: number | readonly number[], keepdims?: boolean): Tensor;
    min(axes?: number | readonly number[], keepdims?: boolean): Tensor;
  }
}

defineMethods({ sum, mean, max, min });
