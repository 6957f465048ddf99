// Float64 references for the differential fuzzer (tests/fuzz/cases.ts), one per op family, written
// as plain loops over tests/helpers/reference.ts's Ref arrays. The references the op tests check
// against too (reductions, softmax lines, matmul, slicing, joining, indexing, convolution, pooling,
// layer norm, attention) live in tests/helpers/op-references.ts and are re-exported from here; this
// file adds the fuzzer's own. None of them mutates its inputs: the finite-difference gradient calls
// each one hundreds of times on perturbed copies.

import { argOf, average, logSumExp, reduceRef, sliceRef, total, variance, type Range } from '../helpers/op-references.js';
import { erf, normalCdf, permute, ravel, ref, unravel, zip, type Ref } from '../helpers/reference.js';

export * from '../helpers/op-references.js';
export { erf, normalCdf, permute, zip };

// ---- unary ---------------------------------------------------------------------------------------

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export const unaryRefs = {
  neg: (v: number) => -v,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (v: number) => 1 / Math.sqrt(v),
  abs: Math.abs,
  sin: Math.sin,
  cos: Math.cos,
  square: (v: number) => v * v,
  reciprocal: (v: number) => 1 / v,
  tanh: Math.tanh,
  sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
  silu: (v: number) => v / (1 + Math.exp(-v)),
  relu: (v: number) => (v > 0 ? v : 0),
  erf,
  gelu: (v: number) => v * normalCdf(v),
  geluTanh: (v: number) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v ** 3))),
} satisfies Record<string, (v: number) => number>;

export const leakyReluRef = (slope: number) => (v: number) => (v > 0 ? v : slope * v);

/** torch.nn.functional.softplus: x itself where beta x > threshold, else log(1 + e^(beta x)) / beta. */
export const softplusRef = (beta: number, threshold: number) => (v: number) => {
  const z = beta * v;
  return z > threshold ? v : (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))) / beta;
};

export const clampRef = (low: number | undefined, high: number | undefined) => (v: number) => {
  let r = v;
  if (low !== undefined) r = Math.max(r, low);
  if (high !== undefined) r = Math.min(r, high);
  return r;
};

// ---- reductions ----------------------------------------------------------------------------------

export const reductionRefs = {
  sum: total,
  mean: average,
  max: (v: number[]) => Math.max(...v),
  min: (v: number[]) => Math.min(...v),
  logsumexp: logSumExp,
  var: (correction: number) => variance(correction),
  std: (correction: number) => (v: number[]) => Math.sqrt(variance(correction)(v)),
  argmax: argOf((a, b) => a > b),
  argmin: argOf((a, b) => a < b),
};

/** argmax / argmin with one axis or over the flattened tensor (axis undefined), as PyTorch shapes them. */
export function argReduceRef(a: Ref, axis: number | undefined, keepdims: boolean, f: (v: number[]) => number): Ref {
  if (axis === undefined || a.shape.length === 0) {
    return ref(keepdims ? a.shape.map(() => 1) : [], [f([...a.data])]);
  }
  return reduceRef(a, axis, keepdims, f);
}

// ---- movement, joining and indexing ---------------------------------------------------------------

/** x broadcast to `shape` (NumPy rules). */
export function expandRef(x: Ref, shape: number[]): Ref {
  const lead = shape.length - x.shape.length;
  return ref(shape, (i) => {
    const c = unravel(i, shape).slice(lead).map((v, k) => (x.shape[k] === 1 ? 0 : v));
    return x.data[ravel(c, x.shape)];
  });
}

/** Piece sizes of torch.split (one size: the last piece takes the rest) and torch.chunk. */
export function splitSizes(n: number, sizes: number | number[]): number[] {
  if (typeof sizes !== 'number') return sizes;
  return Array.from({ length: Math.ceil(n / sizes) }, (_, i) => Math.min(sizes, n - i * sizes));
}
export const chunkSizes = (n: number, chunks: number): number[] => splitSizes(n, Math.ceil(n / chunks));

/** The pieces of x along axis, of the given sizes. */
export function splitRef(x: Ref, pieces: number[], axis: number): Ref[] {
  const a = axis < 0 ? axis + x.shape.length : axis;
  let start = 0;
  return pieces.map((len) => {
    const ranges: Range[] = x.shape.map(() => null);
    ranges[a] = [start, start + len, 1];
    start += len;
    return sliceRef(x, ranges);
  });
}

/** One-hot rows along a new last axis; an index outside [0, classes) gives a row of zeros. */
export function oneHotRef(index: Ref, classes: number): Ref {
  return ref([...index.shape, classes], (i) => (index.data[Math.floor(i / classes)] === i % classes ? 1 : 0));
}

