// The differential fuzzer's case generator: `fuzzCase(seed, index)` draws one deterministic case
// (an op, random shapes and options, explicit f32 input values) from its own generator seeded by
// (seed, index), so any case can be rebuilt alone from those two numbers; `fuzzCases(seed, count)`
// is cases 0..count-1. Each case is a tests/helpers/check.ts `checkOp` spec (the op on the GPU,
// the same op in float64 from ./references.ts, the inputs, which inputs get a gradient check, the
// tolerances) plus a one-line description naming family, op, shapes and options.
//
// Families (FAMILY_WEIGHTS sets how often each is drawn):
//   unary     neg exp log sqrt rsqrt abs sin cos square reciprocal tanh sigmoid silu relu leakyRelu
//             softplus (beta, threshold) erf gelu (both forms) clamp (either bound optional)
//   binary    add sub mul div pow maximum minimum, two tensors broadcast together (ranks 0-4,
//             dropped leading dims, size-1 dims) or a tensor and a number
//   where     where(c > 0, a, b) broadcast three ways, or with a number operand
//   reduce    sum mean max min logsumexp var std (correction 0, 1, 2) over no / one / several
//             axes (negative, unsorted), keepdims both ways, long lines that split into chunks;
//             argmax argmin (values only: no gradient)
//   softmax   softmax logSoftmax on a random (possibly negative or default) axis
//   matmul    1-D . 1-D, 1-D . n-D, n-D . 1-D, 2-D, batched with broadcast batch dims; transA /
//             transB; sometimes a forced kernel variant
//   movement  reshape (-1) permute transpose expand squeeze unsqueeze flatten slice concat stack
//             split chunk (pieces joined back in reverse order) pad (negative amounts crop; the
//             constant, reflect, replicate and circular modes)
//   indexing  gather indexSelect (repeated indices) oneHot (values only; out-of-range classes)
//   conv      conv2d convTranspose2d: stride, padding, dilation, groups, outputPadding, bias,
//             sometimes a forced variant
//   pool      maxPool2d avgPool2d: stride, padding, ceilMode, countIncludePad; maxPool2d's dilation
//   layerNorm nn.functional.layerNorm over the last 1-2 dims, weight and bias optional, eps
//   groupNorm nn.functional.groupNorm over ranks 2-4, 1-3 groups of 1-3 channels, weight and bias
//             optional, eps
//   attention scaledDotProductAttention (causal, scale, kvLength) and packedSelfAttention
//
// Input values keep each op inside its domain and away from its kinks by construction, so that
// central differences (step 1e-6 on the float64 reference) are valid wherever a gradient is
// checked: log / sqrt / rsqrt see [0.1, 5]; reciprocal and divisors have |v| >= 0.25; abs, relu
// and leakyRelu see |v| >= 0.01; clamp's input and softplus's beta x stay 0.01 from the bounds and
// the threshold; max / min / argmax / argmin / maxPool2d and maximum / minimum draw every value of
// the case from a jittered grid with gaps of at least (range / count) / 2 (>= 3e-3), so there are
// no ties and no winner changes within a step; var / std reduce at least two values, drawn from
// such a grid too (std's gradient grows as 1 / std); layerNorm's rows and groupNorm's groups have a
// standard deviation of at least 0.1 (a row of nearly equal values is ill-conditioned in f32). Some cases
// shift the values by a common offset (softmax, logSoftmax and logsumexp by up to 100, var, std
// and layerNorm and groupNorm by up to 10: stability of the max-shifted and two-pass forms; the description
// then says "values c+-r").
//
// Tolerances (|gpu - ref| <= atol + rtol |ref|), float32 against float64, per family:
//   family      atol   rtol   gradAtol gradRtol  why
//   unary       2e-5   2e-4   1e-4     1e-3      a few ulps of f32 transcendental functions
//   binary      2e-5   2e-4   1e-4     1e-3      as unary (pow is exp2(b log2 a))
//   where       1e-6   0      1e-4     1e-3      a copy; gradients are sums of f32 weights
//   reduce      1e-4   1e-4   1e-4     1e-3      f32 sums of up to 300 values of |v| <= 2
//   softmax     2e-5   2e-4   1e-4     1e-3      exp and a sum per line
//   matmul      1e-4   1e-4   2e-4     1e-3      f32 dot products of length <= 33, batches summed
//   movement    1e-6   0      1e-4     1e-3      copies; gradients are sums of f32 weights
//   indexing    1e-6   0      1e-4     1e-3      as movement (scatter-adds of repeated indices)
//   conv        1e-4   1e-4   3e-4     1e-3      dot products of C k k terms; weight gradients sum N OH OW
//   pool        2e-5   1e-4   1e-4     1e-3      max is exact; average divides a short sum
//   layerNorm   1e-4   2e-4   5e-4     2e-3      1/std amplifies f32 rounding of short rows
//   groupNorm   1e-4   2e-4   5e-4     2e-3      as layerNorm (a group is a row)
//   attention   5e-5   2e-4   2e-4     1e-3      scores, online softmax and weighted sums, in f32
// A case's op may widen these (noted in its description when it does).

import * as gg from '../../src/index.js';
import { packedSelfAttention, scaledDotProductAttention, type AttentionOptions } from '../../src/ops/attention.js';
import type { OpCheck } from '../helpers/check.js';
import { ref, rng, size, type Ref } from '../helpers/reference.js';
import * as R from './references.js';

export const FAMILIES = ['unary', 'binary', 'where', 'reduce', 'softmax', 'matmul', 'movement', 'indexing', 'conv', 'pool', 'layerNorm', 'groupNorm', 'attention'] as const;
export type Family = (typeof FAMILIES)[number];

/** Relative frequency of each family (unary and binary have the most ops). */
export const FAMILY_WEIGHTS: Readonly<Record<Family, number>> = {
  unary: 3, binary: 2, where: 1, reduce: 2, softmax: 1, matmul: 1.5, movement: 2, indexing: 1, conv: 1.5, pool: 1, layerNorm: 1, groupNorm: 1, attention: 1,
};

export interface Tolerance {
  atol: number;
  rtol: number;
  gradAtol: number;
  gradRtol: number;
}

/** Per-family float32 tolerances (see the table above). */
export const TOLERANCES: Readonly<Record<Family, Tolerance>> = {
  unary: { atol: 2e-5, rtol: 2e-4, gradAtol: 1e-4, gradRtol: 1e-3 },
  binary: { atol: 2e-5, rtol: 2e-4, gradAtol: 1e-4, gradRtol: 1e-3 },
  where: { atol: 1e-6, rtol: 0, gradAtol: 1e-4, gradRtol: 1e-3 },
  reduce: { atol: 1e-4, rtol: 1e-4, gradAtol: 1e-4, gradRtol: 1e-3 },
  softmax: { atol: 2e-5, rtol: 2e-4, gradAtol: 1e-4, gradRtol: 1e-3 },
  matmul: { atol: 1e-4, rtol: 1e-4, gradAtol: 2e-4, gradRtol: 1e-3 },
  movement: { atol: 1e-6, rtol: 0, gradAtol: 1e-4, gradRtol: 1e-3 },
  indexing: { atol: 1e-6, rtol: 0, gradAtol: 1e-4, gradRtol: 1e-3 },
  conv: { atol: 1e-4, rtol: 1e-4, gradAtol: 3e-4, gradRtol: 1e-3 },
  pool: { atol: 2e-5, rtol: 1e-4, gradAtol: 1e-4, gradRtol: 1e-3 },
  layerNorm: { atol: 1e-4, rtol: 2e-4, gradAtol: 5e-4, gradRtol: 2e-3 },
  groupNorm: { atol: 1e-4, rtol: 2e-4, gradAtol: 5e-4, gradRtol: 2e-3 },
  attention: { atol: 5e-5, rtol: 2e-4, gradAtol: 2e-4, gradRtol: 1e-3 },
};

export interface FuzzCase {
  seed: number;
  index: number;
  family: Family;
  op: string;
  /** One line: seed, index, family, op, input shapes, options. */
  description: string;
  /** What checkOp runs (inputs are explicit float64 arrays holding f32 values). */
  spec: OpCheck;
}

/** Largest number of elements of one input (finite differences run the reference twice per element). */
export const MAX_ELEMENTS = 300;

// ---- drawing -------------------------------------------------------------------------------------

/** Sizes drawn for dimensions: 1 often (broadcasting, squeezing), odd sizes, and a few multiples of 4 (vec4 paths). */
const DIMS = [1, 1, 1, 2, 2, 3, 3, 4, 5, 5, 7, 8, 12, 17];

class Draw {
  private readonly next: () => number;
  constructor(next: () => number) {
    this.next = next;
  }
  float(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
  weighted<T extends string>(weights: Readonly<Record<T, number>>): T {
    const entries = Object.entries(weights) as [T, number][];
    let u = this.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [key, w] of entries) if ((u -= w) < 0) return key;
    return entries[entries.length - 1][0];
  }
  dim(): number {
    return this.pick(DIMS);
  }
  /** A shape of `rank` drawn dims, the largest ones halved until it has at most `max` elements. */
  shape(rank: number, max = MAX_ELEMENTS): number[] {
    const s = Array.from({ length: rank }, () => this.dim());
    while (size(s) > max) {
      const i = s.indexOf(Math.max(...s));
      s[i] = Math.max(1, Math.floor(s[i] / 2));
    }
    return s;
  }
  /** An axis of a rank-`rank` tensor, negative (counted from the end) with probability 0.4. */
  axis(rank: number): number {
    const a = this.int(0, rank - 1);
    return this.chance(0.4) ? a - rank : a;
  }

  // ---- values (f32-rounded, as checkOp's tensors will hold them) ----

  uniform(shape: number[], lo: number, hi: number): Ref {
    return ref(shape, () => Math.fround(this.float(lo, hi)));
  }
  /** |v| in [lo, hi], either sign. */
  away(shape: number[], lo: number, hi: number): Ref {
    return ref(shape, () => Math.fround((this.chance(0.5) ? -1 : 1) * this.float(lo, hi)));
  }
  /** Uniform in [lo, hi] but at least `gap` from each of `avoid`. */
  avoiding(shape: number[], lo: number, hi: number, avoid: number[], gap = 0.01): Ref {
    return ref(shape, () => {
      for (;;) {
        const v = Math.fround(this.float(lo, hi));
        if (avoid.every((a) => Math.abs(v - a) >= gap)) return v;
      }
    });
  }
  /** Arrays of the given shapes whose values are all distinct: a shuffled grid over [lo, hi], jittered by a fifth of a step. */
  spaced(shapes: number[][], lo: number, hi: number): Ref[] {
    const n = shapes.reduce((s, sh) => s + size(sh), 0);
    const step = (hi - lo) / Math.max(n, 1);
    const values = this.shuffle(Array.from({ length: n }, (_, j) => Math.fround(lo + step * (j + 0.5 + this.float(-0.2, 0.2)))));
    let at = 0;
    return shapes.map((sh) => ref(sh, () => values[at++]));
  }
  /**
   * Uniform in [lo, hi], each run of `width` consecutive values (a row) redrawn until its standard
   * deviation is at least `minStd`: rows of nearly equal values are ill-conditioned for
   * normalisation in f32 (x - mean loses the digits a common offset holds).
   */
  rows(shape: number[], width: number, lo: number, hi: number, minStd: number): Ref {
    const out = ref(shape, () => 0);
    for (let start = 0; start < out.data.length; start += width) {
      for (;;) {
        const row = Array.from({ length: width }, () => Math.fround(this.float(lo, hi)));
        const m = row.reduce((a, v) => a + v, 0) / width;
        if (width === 1 || Math.sqrt(row.reduce((a, v) => a + (v - m) ** 2, 0) / width) >= minStd) {
          out.data.set(row, start);
          break;
        }
      }
    }
    return out;
  }
  /** Shapes that broadcast together: one drawn output shape, each operand dropping leading dims and setting some to 1. */
  broadcastShapes(n: number, maxRank = 4): number[][] {
    const out = this.shape(this.int(0, maxRank));
    return Array.from({ length: n }, () => {
      const drop = this.chance(0.3) ? this.int(0, out.length) : 0;
      return out.slice(drop).map((d) => (this.chance(0.3) ? 1 : d));
    });
  }
}

/** Mixes (seed, index) into one 32-bit seed for the case's own generator. */
function caseSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

const fmt = (shape: readonly number[]) => `[${shape.join(',')}]`;
const json = (v: unknown) => JSON.stringify(v);

/** What a family's generator returns: the op, a description of its inputs and options, and the check. */
interface Body {
  op: string;
  detail: string;
  spec: Omit<OpCheck, 'seed'>;
}

// ---- unary ---------------------------------------------------------------------------------------

const UNARY_OPS = [
  'neg', 'exp', 'log', 'sqrt', 'rsqrt', 'abs', 'sin', 'cos', 'square', 'reciprocal', 'tanh', 'sigmoid', 'silu', 'relu', 'leakyRelu', 'softplus', 'erf', 'gelu', 'gelu tanh', 'clamp',
] as const;

function unaryCase(d: Draw): Body {
  const op = d.pick(UNARY_OPS);
  const shape = d.shape(d.int(0, 4));
  const u = R.unaryRefs;
  let x: Ref;
  let gpu: (x: gg.Tensor) => gg.Tensor;
  let f: (v: number) => number;
  let options = '';
  switch (op) {
    case 'log': case 'sqrt': case 'rsqrt':
      x = d.uniform(shape, 0.1, 5);
      gpu = (t) => t[op]();
      f = u[op];
      break;
    case 'abs': case 'relu':
      x = d.away(shape, 0.01, 3);
      gpu = (t) => t[op]();
      f = u[op];
      break;
    case 'reciprocal':
      x = d.away(shape, 0.25, 3);
      gpu = (t) => t.reciprocal();
      f = u.reciprocal;
      break;
    case 'leakyRelu': {
      const slope = d.pick([undefined, 0.2, 0.5, Math.fround(d.float(0, 1)), 1.5]);
      options = slope === undefined ? '' : ` slope=${slope}`;
      x = d.away(shape, 0.01, 3);
      gpu = (t) => (slope === undefined ? t.leakyRelu() : t.leakyRelu(slope));
      f = R.leakyReluRef(slope ?? 0.01);
      break;
    }
    case 'softplus': {
      const beta = d.pick([undefined, 1, 0.5, 2, 3]);
      const threshold = d.pick([undefined, 20, 1, 3]);
      options = ` ${json({ beta, threshold })}`;
      const b = beta ?? 1;
      const t0 = threshold ?? 20;
      x = d.avoiding(shape, -6 / b, 6 / b, [t0 / b], 0.01);
      gpu = (t) => t.softplus({ beta, threshold });
      f = R.softplusRef(b, t0);
      break;
    }
    case 'clamp': {
      const form = d.pick(['both', 'low', 'high']);
      const low = form === 'high' ? undefined : Math.fround(d.float(-1.5, 0.5));
      const high = form === 'low' ? undefined : Math.fround((low ?? -1) + d.float(0.05, 2));
      options = ` low=${low} high=${high}`;
      x = d.avoiding(shape, -2, 2, [low, high].filter((v): v is number => v !== undefined));
      gpu = (t) => gg.clamp(t, low, high);
      f = R.clampRef(low, high);
      break;
    }
    case 'sigmoid': case 'silu':
      x = d.uniform(shape, -6, 6);
      gpu = (t) => t[op]();
      f = u[op];
      break;
    case 'sin': case 'cos': case 'tanh':
      x = d.uniform(shape, -4, 4);
      gpu = (t) => t[op]();
      f = u[op];
      break;
    case 'gelu': case 'gelu tanh':
      x = d.uniform(shape, -4, 4);
      gpu = op === 'gelu' ? (t) => t.gelu() : (t) => t.gelu('tanh');
      f = op === 'gelu' ? u.gelu : u.geluTanh;
      break;
    default: // neg exp square erf
      x = d.uniform(shape, -3, 3);
      gpu = (t) => t[op]();
      f = u[op];
  }
  return { op, detail: `x=${fmt(shape)}${options}`, spec: { inputs: [x], gpu, ref: (a) => R.zip([a], f) } };
}

// ---- binary --------------------------------------------------------------------------------------

const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
type BinaryOp = (typeof BINARY_OPS)[number];
const binaryRefs: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: Math.max,
  minimum: Math.min,
};

/** Values of a and b for op (shapes given), domains and gaps as the header says. */
function binaryValues(d: Draw, op: BinaryOp, a: number[], b: number[]): [Ref, Ref] {
  switch (op) {
    case 'div': return [d.uniform(a, -2, 2), d.away(b, 0.25, 2)];
    case 'pow': return [d.uniform(a, 0.5, 2), d.uniform(b, -2, 2)];
    case 'maximum': case 'minimum': {
      const [x, y] = d.spaced([a, b], -2, 2);
      return [x, y];
    }
    default: return [d.uniform(a, -2, 2), d.uniform(b, -2, 2)];
  }
}

function binaryCase(d: Draw): Body {
  const op = d.pick(BINARY_OPS);
  const f = binaryRefs[op];
  if (d.chance(0.15)) {
    // A number operand: addScalar, mulScalar, powScalar (exact for 2, 3, -1, -2, 0.5, -0.5), maxScalar, ...
    const shape = d.shape(d.int(0, 4));
    let c: number;
    let x: Ref;
    if (op === 'pow') {
      c = d.pick([2, 3, -1, -2, 0.5, -0.5, 1, 0, Math.fround(d.float(-2, 3))]);
      x = d.uniform(shape, 0.5, 2);
    } else if (op === 'div') {
      c = Math.fround(d.pick([-1, 1]) * d.float(0.25, 3));
      x = d.uniform(shape, -2, 2);
    } else if (op === 'maximum' || op === 'minimum') {
      c = Math.fround(d.float(-1, 1));
      x = d.avoiding(shape, -2, 2, [c], 3e-3);
    } else {
      c = Math.fround(d.float(-3, 3));
      x = d.uniform(shape, -2, 2);
    }
    return {
      op: `${op} number`,
      detail: `a=${fmt(shape)} b=${c}`,
      spec: { inputs: [x], gpu: (t) => gg[op](t, c), ref: (t) => R.zip([t], (v) => f(v, c)) },
    };
  }
  const [sa, sb] = d.broadcastShapes(2);
  const [a, b] = binaryValues(d, op, sa, sb);
  const useMethod = d.chance(0.5);
  return {
    op,
    detail: `a=${fmt(sa)} b=${fmt(sb)}`,
    spec: {
      inputs: [a, b],
      gpu: (x, y) => (useMethod ? x[op](y) : gg[op](x, y)),
      ref: (x, y) => R.zip([x, y], f),
    },
  };
}

// ---- where ---------------------------------------------------------------------------------------

function whereCase(d: Draw): Body {
  const [sc, sa, sb] = d.broadcastShapes(3);
  const c = d.uniform(sc, -1, 1);
  const form = d.pick(['tensors', 'tensors', 'tensors', 'number a', 'number b']);
  if (form === 'tensors') {
    return {
      op: 'where',
      detail: `cond=${fmt(sc)} a=${fmt(sa)} b=${fmt(sb)}`,
      spec: {
        inputs: [c, d.uniform(sa, -2, 2), d.uniform(sb, -2, 2)],
        gradInputs: [1, 2],
        gpu: (cond, a, b) => gg.where(cond.gt(0), a, b),
        ref: (cond, a, b) => R.zip([cond, a, b], (cv, av, bv) => (cv > 0 ? av : bv)),
      },
    };
  }
  const k = Math.fround(d.float(-2, 2));
  const numberA = form === 'number a';
  return {
    op: `where ${form}`,
    detail: numberA ? `cond=${fmt(sc)} a=${k} b=${fmt(sb)}` : `cond=${fmt(sc)} a=${fmt(sa)} b=${k}`,
    spec: {
      inputs: [c, d.uniform(numberA ? sb : sa, -2, 2)],
      gradInputs: [1],
      gpu: (cond, t) => (numberA ? gg.where(cond.gt(0), k, t) : gg.where(cond.gt(0), t, k)),
      ref: (cond, t) => R.zip([cond, t], (cv, tv) => (cv > 0 ? (numberA ? k : tv) : numberA ? tv : k)),
    },
  };
}

// ---- reductions ----------------------------------------------------------------------------------

const REDUCE_OPS = ['sum', 'mean', 'max', 'min', 'logsumexp', 'var', 'std', 'argmax', 'argmin'] as const;

/** Axes: none (all), one (maybe negative), or several in random order. */
function drawAxes(d: Draw, rank: number): R.Axes {
  if (rank === 0 || d.chance(0.2)) return undefined;
  if (d.chance(0.5)) return d.axis(rank);
  const count = d.int(1, rank);
  return d.shuffle([...Array(rank).keys()]).slice(0, count).map((a) => (d.chance(0.4) ? a - rank : a));
}

function reduceCase(d: Draw): Body {
  const op = d.pick(REDUCE_OPS);
  const keepdims = d.chance(0.5);
  let shape: number[];
  let axes: R.Axes;
  if (d.chance(0.1)) {
    // A long line (257..300 values): reduced in two chunks, then again.
    shape = d.chance(0.5) ? [d.int(257, MAX_ELEMENTS)] : [1, d.int(257, MAX_ELEMENTS)];
    axes = d.pick([undefined, -1]);
  } else {
    shape = d.shape(d.int(0, 4));
    axes = drawAxes(d, shape.length);
  }
  if (op === 'argmax' || op === 'argmin') {
    const axis = shape.length === 0 || d.chance(0.3) ? undefined : d.axis(shape.length);
    const [x] = d.spaced([shape], -2, 2);
    const f = R.reductionRefs[op];
    return {
      op,
      detail: `x=${fmt(shape)} axis=${axis} keepdims=${keepdims}`,
      spec: { inputs: [x], grad: false, gpu: (t) => t[op](axis, keepdims), ref: (t) => R.argReduceRef(t, axis, keepdims, f) },
    };
  }
  if (op === 'var' || op === 'std') {
    const correction = d.pick([1, 1, 0, 2]);
    // At least two values per group, and more than `correction`.
    let count = size(R.axisList(shape.length, axes).map((a) => shape[a]));
    while (count < 2 || count <= correction) {
      shape = [...shape, d.int(2, 5)];
      axes = -1;
      count = shape[shape.length - 1];
      if (size(shape) > MAX_ELEMENTS) shape = [shape[shape.length - 1]];
    }
    const f = R.reductionRefs[op](correction);
    // Sometimes a common offset, which a one-pass variance would cancel digits of.
    const shift = d.chance(0.25) ? d.pick([-10, 10]) : 0;
    const options = correction === 1 && d.chance(0.5) ? { keepdims } : { correction, keepdims };
    return {
      op,
      detail: `x=${fmt(shape)} axes=${json(axes)} ${json(options)}${shift ? ` values ${shift}+-2` : ''}`,
      spec: { inputs: d.spaced([shape], shift - 2, shift + 2), gpu: (t) => t[op](axes, options), ref: (t) => R.reduceRef(t, axes, options.keepdims, f) },
    };
  }
  // logsumexp sometimes sees large values, which only a max-shifted sum keeps finite and exact.
  const shift = op === 'logsumexp' && d.chance(0.25) ? d.pick([-30, 30, 100]) : 0;
  const x = op === 'max' || op === 'min' ? d.spaced([shape], -2, 2)[0] : d.uniform(shape, shift - 2, shift + 2);
  const f = R.reductionRefs[op];
  const viaFunction = d.chance(0.3);
  return {
    op,
    detail: `x=${fmt(shape)} axes=${json(axes)} keepdims=${keepdims}${shift ? ` values ${shift}+-2` : ''}`,
    spec: {
      inputs: [x],
      gpu: (t) => (viaFunction ? gg[op](t, axes, keepdims) : t[op](axes, keepdims)),
      ref: (t) => R.reduceRef(t, axes, keepdims, f),
    },
  };
}

// ---- softmax -------------------------------------------------------------------------------------

function softmaxCase(d: Draw): Body {
  const op = d.pick(['softmax', 'logSoftmax'] as const);
  const shape = d.shape(d.int(1, 4));
  const axis = d.chance(0.2) ? undefined : d.axis(shape.length);
  const line = op === 'softmax' ? R.softmaxLine : R.logSoftmaxLine;
  // Sometimes large logits, which only a max-shifted exponent keeps finite.
  const shift = d.chance(0.25) ? d.pick([-20, 20, 50]) : 0;
  return {
    op,
    detail: `x=${fmt(shape)} axis=${axis}${shift ? ` values ${shift}+-3` : ''}`,
    spec: {
      inputs: [d.uniform(shape, shift - 3, shift + 3)],
      gpu: (t) => (axis === undefined ? t[op]() : t[op](axis)),
      ref: (t) => R.mapLines(t, axis ?? -1, line),
    },
  };
}

// ---- matmul --------------------------------------------------------------------------------------

function matmulCase(d: Draw): Body {
  const form = d.pick(['dot', 'vec.mat', 'mat.vec', 'mat.mat', 'mat.mat', 'batched', 'batched', 'batched.vec', 'vec.batched']);
  const small = () => d.pick([1, 2, 3, 4, 5, 7, 8, 12, 17]);
  const depth = () => d.pick([1, 2, 3, 4, 5, 7, 8, 12, 17, 33]);
  let [M, K, N] = [small(), depth(), small()];
  // Batch dims of the output, and each operand's (dropping leading ones and setting some to 1).
  const batch = form === 'batched' || form === 'batched.vec' || form === 'vec.batched' ? d.shape(d.int(1, 2), 6).map((v) => Math.min(v, 3)) : [];
  const own = () => {
    const drop = d.chance(0.3) ? d.int(0, batch.length) : 0;
    return batch.slice(drop).map((v) => (d.chance(0.3) ? 1 : v));
  };
  const aBatch = form === 'batched' || form === 'batched.vec' ? own() : [];
  const bBatch = form === 'batched' || form === 'vec.batched' ? own() : [];
  const aVec = form === 'dot' || form === 'vec.mat' || form === 'vec.batched';
  const bVec = form === 'dot' || form === 'mat.vec' || form === 'batched.vec';
  // Keep every operand within MAX_ELEMENTS.
  const fits = () => size(aBatch) * (aVec ? 1 : M) * K <= MAX_ELEMENTS && size(bBatch) * K * (bVec ? 1 : N) <= MAX_ELEMENTS;
  while (!fits()) {
    if (K >= M && K >= N) K = Math.max(1, Math.floor(K / 2));
    else if (M >= N) M = Math.max(1, Math.floor(M / 2));
    else N = Math.max(1, Math.floor(N / 2));
  }
  const transA = !aVec && d.chance(0.3);
  const transB = !bVec && d.chance(0.3);
  const aShape = aVec ? [K] : [...aBatch, ...(transA ? [K, M] : [M, K])];
  const bShape = bVec ? [K] : [...bBatch, ...(transB ? [N, K] : [K, N])];
  const variant = d.chance(0.3) ? d.pick(gg.matmulVariants) : undefined;
  const options: gg.MatmulOptions = {};
  if (transA) options.transA = true;
  if (transB) options.transB = true;
  if (variant) options.variant = variant;
  return {
    op: form === 'mat.mat' || form === 'batched' ? 'matmul' : `matmul ${form}`,
    detail: `a=${fmt(aShape)} b=${fmt(bShape)} ${json(options)}`,
    spec: {
      inputs: [d.uniform(aShape, -1, 1), d.uniform(bShape, -1, 1)],
      gpu: (a, b) => {
        // quad needs the adapter's subgroups; without them the case runs blocked.
        const o = variant === 'quad' && !gg.runtime().hasSubgroups ? { ...options, variant: 'blocked' as const } : options;
        return gg.matmul(a, b, o);
      },
      ref: (a, b) => R.matmulRef(a, b, transA, transB),
    },
  };
}

// ---- movement ------------------------------------------------------------------------------------

const MOVEMENT_OPS = ['reshape', 'permute', 'transpose', 'expand', 'squeeze', 'unsqueeze', 'flatten', 'slice', 'concat', 'stack', 'split', 'chunk', 'pad'] as const;

function primeFactors(n: number): number[] {
  const out: number[] = [];
  for (let p = 2; n > 1; p++) for (; n % p === 0; n /= p) out.push(p);
  return out;
}

function movementCase(d: Draw): Body {
  const op = d.pick(MOVEMENT_OPS);
  const u = (shape: number[]) => d.uniform(shape, -1, 1);
  switch (op) {
    case 'reshape': {
      const from = d.shape(d.int(0, 4));
      const rank = d.int(from.length === 0 || size(from) === 1 ? 0 : 1, 4);
      const to = Array.from({ length: rank }, () => 1);
      for (const p of primeFactors(size(from))) if (rank > 0) to[d.int(0, rank - 1)] *= p;
      if (rank === 0 && size(from) !== 1) to.push(size(from));
      const inferred = rank > 0 && d.chance(0.5) ? d.int(0, rank - 1) : -1;
      const target = to.map((v, i) => (i === inferred ? -1 : v));
      return { op, detail: `x=${fmt(from)} shape=${fmt(target)}`, spec: { inputs: [u(from)], gpu: (t) => t.reshape(target), ref: (t) => R.reshapedRef(t, to) } };
    }
    case 'permute': {
      const shape = d.shape(d.int(1, 4));
      const axes = d.shuffle([...shape.keys()]);
      const given = axes.map((a) => (d.chance(0.3) ? a - shape.length : a));
      return { op, detail: `x=${fmt(shape)} axes=${json(given)}`, spec: { inputs: [u(shape)], gpu: (t) => t.permute(given), ref: (t) => R.permute(t, axes) } };
    }
    case 'transpose': {
      const shape = d.shape(d.int(1, 4));
      const rank = shape.length;
      const byDefault = rank >= 2 && d.chance(0.3);
      const [d0, d1] = byDefault ? [-2, -1] : [d.axis(rank), d.axis(rank)];
      const axes = [...shape.keys()];
      const [n0, n1] = [(d0 + rank) % rank, (d1 + rank) % rank];
      [axes[n0], axes[n1]] = [axes[n1], axes[n0]];
      return {
        op,
        detail: `x=${fmt(shape)} dims=${byDefault ? 'default' : json([d0, d1])}`,
        spec: { inputs: [u(shape)], gpu: (t) => (byDefault ? t.transpose() : t.transpose(d0, d1)), ref: (t) => R.permute(t, axes) },
      };
    }
    case 'expand': {
      const target = d.shape(d.int(1, 4), 240);
      const drop = d.int(0, target.length);
      const shape = target.slice(drop).map((v) => (d.chance(0.5) ? 1 : v));
      const lead = target.length - shape.length;
      const given = target.map((v, i) => (i >= lead && d.chance(0.2) ? -1 : v));
      const actual = target.map((v, i) => (i >= lead && given[i] === -1 ? shape[i - lead] : v));
      return { op, detail: `x=${fmt(shape)} shape=${fmt(given)}`, spec: { inputs: [u(shape)], gpu: (t) => t.expand(given), ref: (t) => R.expandRef(t, actual) } };
    }
    case 'squeeze': {
      const shape = d.shape(d.int(1, 4)).map((v) => (d.chance(0.4) ? 1 : v));
      const ones = [...shape.keys()].filter((i) => shape[i] === 1);
      const rank = shape.length;
      let axes: number | number[] | undefined;
      if (ones.length === 0 || d.chance(0.3)) axes = undefined;
      else if (d.chance(0.5)) axes = d.pick(ones) - (d.chance(0.4) ? rank : 0);
      else axes = d.shuffle([...ones]).slice(0, d.int(1, ones.length)).map((a) => (d.chance(0.4) ? a - rank : a));
      const drop = R.axisList(rank, axes === undefined ? ones : axes);
      const out = shape.filter((_, i) => !drop.includes(i));
      return { op, detail: `x=${fmt(shape)} axes=${json(axes)}`, spec: { inputs: [u(shape)], gpu: (t) => t.squeeze(axes), ref: (t) => R.reshapedRef(t, out) } };
    }
    case 'unsqueeze': {
      const shape = d.shape(d.int(0, 4));
      const rank = shape.length + 1;
      const axis = d.axis(rank);
      const out = [...shape];
      out.splice((axis + rank) % rank, 0, 1);
      return { op, detail: `x=${fmt(shape)} axis=${axis}`, spec: { inputs: [u(shape)], gpu: (t) => t.unsqueeze(axis), ref: (t) => R.reshapedRef(t, out) } };
    }
    case 'flatten': {
      const shape = d.shape(d.int(0, 4));
      const rank = shape.length;
      if (rank === 0) return { op, detail: `x=[]`, spec: { inputs: [u(shape)], gpu: (t) => t.flatten(), ref: (t) => R.reshapedRef(t, [1]) } };
      const form = d.pick(['default', 'start', 'both']);
      const s = d.int(0, rank - 1);
      const e = d.int(s, rank - 1);
      const [start, end] = [d.chance(0.4) ? s - rank : s, d.chance(0.4) ? e - rank : e];
      const [ns, ne] = form === 'default' ? [0, rank - 1] : form === 'start' ? [s, rank - 1] : [s, e];
      const out = [...shape.slice(0, ns), size(shape.slice(ns, ne + 1)), ...shape.slice(ne + 1)];
      return {
        op,
        detail: `x=${fmt(shape)} ${form === 'default' ? '' : `start=${start}`}${form === 'both' ? ` end=${end}` : ''}`,
        spec: {
          inputs: [u(shape)],
          gpu: (t) => (form === 'default' ? t.flatten() : form === 'start' ? t.flatten(start) : t.flatten(start, end)),
          ref: (t) => R.reshapedRef(t, out),
        },
      };
    }
    case 'slice': {
      const shape = d.shape(d.int(1, 4));
      const rank = shape.length;
      /** A non-empty Python range over n, with negative and out-of-range bounds. */
      const range = (n: number): [number | null, number | null, number] => {
        for (;;) {
          const start = d.chance(0.2) ? null : d.int(-n - 2, n + 1);
          const end = d.chance(0.2) ? null : d.int(-n - 1, n + 2);
          const step = d.pick([1, 1, 2, 3]);
          if (R.pythonIndices(n, [start, end, step]).length > 0) return [start, end, step];
        }
      };
      if (d.chance(0.4)) {
        const axis = d.axis(rank);
        const r = range(shape[(axis + rank) % rank]);
        const ranges: R.Range[] = shape.map(() => null);
        ranges[(axis + rank) % rank] = r;
        return {
          op,
          detail: `x=${fmt(shape)} axis=${axis} range=${json(r)}`,
          spec: { inputs: [u(shape)], gpu: (t) => gg.slice(t, axis, r[0], r[1], r[2]), ref: (t) => R.sliceRef(t, ranges) },
        };
      }
      const count = d.int(1, rank);
      const ranges: R.Range[] = shape.slice(0, count).map((n) => (d.chance(0.25) ? null : range(n)));
      return {
        op,
        detail: `x=${fmt(shape)} ranges=${json(ranges)}`,
        spec: { inputs: [u(shape)], gpu: (t) => t.slice(ranges), ref: (t) => R.sliceRef(t, ranges) },
      };
    }
    case 'concat': case 'stack': {
      const parts = d.int(1, 4);
      const base = d.shape(d.int(op === 'concat' ? 1 : 0, op === 'concat' ? 4 : 3), Math.floor(MAX_ELEMENTS / 4));
      const rank = op === 'concat' ? base.length : base.length + 1;
      const axis = d.axis(rank);
      const a = (axis + rank) % rank;
      const shapes = Array.from({ length: parts }, () => (op === 'concat' ? base.map((v, k) => (k === a ? d.int(1, 5) : v)) : base));
      return {
        op,
        detail: `parts=${shapes.map(fmt).join(',')} axis=${axis}`,
        spec: {
          inputs: shapes.map(u),
          gpu: (...ts) => (op === 'concat' ? gg.concat(ts, axis) : gg.stack(ts, axis)),
          ref: (...rs) => (op === 'concat' ? R.concatRef(rs, a) : R.stackRef(rs, a)),
        },
      };
    }
    case 'split': case 'chunk': {
      const shape = d.shape(d.int(1, 4));
      const rank = shape.length;
      const axis = d.axis(rank);
      const n = shape[(axis + rank) % rank];
      let pieces: number[];
      let arg: number | number[];
      if (op === 'chunk') {
        arg = d.int(1, n + 1);
        pieces = R.chunkSizes(n, arg);
      } else if (d.chance(0.5)) {
        arg = d.int(1, n);
        pieces = R.splitSizes(n, arg);
      } else {
        const cuts = [...new Set(Array.from({ length: d.int(0, 3) }, () => d.int(1, n - 1)).filter((c) => c > 0 && c < n))].sort((p, q) => p - q);
        arg = [0, ...cuts, n].slice(1).map((c, i, all) => c - (i === 0 ? 0 : all[i - 1]));
        pieces = arg;
      }
      const piecesArg = arg;
      return {
        op: `${op} (pieces concatenated in reverse)`,
        detail: `x=${fmt(shape)} ${op === 'chunk' ? 'chunks' : 'sizes'}=${json(arg)} axis=${axis}`,
        spec: {
          inputs: [u(shape)],
          gpu: (t) => gg.concat((op === 'chunk' ? gg.chunk(t, piecesArg as number, axis) : gg.split(t, piecesArg, axis)).reverse(), axis),
          ref: (t) => R.concatRef(R.splitRef(t, pieces, axis).reverse(), axis),
        },
      };
    }
    case 'pad': {
      const shape = d.shape(d.int(1, 4));
      const rank = shape.length;
      const padded = d.int(0, rank);
      // The other modes pad the last 1-3 dimensions of a tensor with 1 or 2 more.
      const modes = padded >= 1 && padded <= 3 && rank >= padded + 1 && rank <= padded + 2 ? (['reflect', 'replicate', 'circular'] as const) : [];
      const mode = modes.length && d.chance(0.4) ? d.pick(modes) : 'constant';
      const pads: number[] = [];
      for (let k = 0; k < padded; k++) {
        const n = shape[rank - 1 - k];
        let before = d.int(-1, 3);
        let after = d.int(-1, 3);
        if (before < 0 && -before >= n) before = 0;
        if (after < 0 && n + before + after < 1) after = 0;
        // Reflect pads less than the size; circular at most the size left after the crops.
        const limit = mode === 'reflect' ? n - 1 : mode === 'circular' ? n - Math.max(-before, 0) - Math.max(-after, 0) : Infinity;
        pads.push(Math.min(before, limit), Math.min(after, limit));
      }
      const value = d.pick([0, 0, Math.fround(d.float(-2, 2))]);
      const out = shape.map((v, k) => (rank - 1 - k < padded ? v + pads[2 * (rank - 1 - k)] + pads[2 * (rank - 1 - k) + 1] : v));
      if (size(out) > 2 * MAX_ELEMENTS) pads.fill(0);
      if (mode !== 'constant') {
        return {
          op,
          detail: `x=${fmt(shape)} pads=${json(pads)} mode=${mode}`,
          spec: { inputs: [u(shape)], gpu: (t) => t.pad(pads, mode), ref: (t) => R.padModeRef(t, pads, mode) },
        };
      }
      return {
        op,
        detail: `x=${fmt(shape)} pads=${json(pads)} value=${value}`,
        spec: { inputs: [u(shape)], gpu: (t) => t.pad(pads, value), ref: (t) => R.padRef(t, pads, value) },
      };
    }
  }
}

// ---- indexing ------------------------------------------------------------------------------------

function indexingCase(d: Draw): Body {
  const op = d.pick(['gather', 'indexSelect', 'oneHot'] as const);
  if (op === 'oneHot') {
    const shape = d.shape(d.int(0, 3), 60);
    const classes = d.int(1, 9);
    const outside = d.chance(0.2);
    const index = ref(shape, () => d.int(outside ? -1 : 0, outside ? classes : classes - 1));
    return {
      op,
      detail: `index=${fmt(shape)} classes=${classes}${outside ? ' (some outside [0, classes))' : ''}`,
      spec: { inputs: [index], grad: false, gpu: (t) => gg.oneHot(gg.cast(t, 'i32'), classes), ref: (t) => R.oneHotRef(t, classes) },
    };
  }
  const shape = d.shape(d.int(1, 4));
  const rank = shape.length;
  const axis = d.axis(rank);
  const a = (axis + rank) % rank;
  const n = shape[a];
  if (op === 'gather') {
    const indexShape = shape.map((v, k) => (k === a ? d.int(1, 7) : d.int(1, v)));
    const index = Int32Array.from({ length: size(indexShape) }, () => d.int(0, n - 1));
    return {
      op,
      detail: `x=${fmt(shape)} axis=${axis} index=${fmt(indexShape)}`,
      spec: {
        inputs: [d.uniform(shape, -1, 1)],
        gpu: (t) => gg.gather(t, axis, gg.tensor(index, indexShape)),
        ref: (t) => R.gatherRef(t, axis, index, indexShape),
      },
    };
  }
  const index = Int32Array.from({ length: d.int(1, 9) }, () => d.int(0, n - 1));
  return {
    op,
    detail: `x=${fmt(shape)} axis=${axis} index=${json([...index])}`,
    spec: {
      inputs: [d.uniform(shape, -1, 1)],
      gpu: (t) => gg.indexSelect(t, axis, gg.tensor(index, [index.length])),
      ref: (t) => R.indexSelectRef(t, axis, index),
    },
  };
}

// ---- convolution and pooling ---------------------------------------------------------------------

const pairOption = (d: Draw, p: R.Pair): gg.Size2d => (p[0] === p[1] && d.chance(0.6) ? p[0] : p);

function convCase(d: Draw): Body {
  const transposed = d.chance(0.45);
  const groups = d.pick([1, 1, 1, 2, 3]);
  const perGroupIn = d.int(1, 3);
  const perGroupOut = d.int(1, 3);
  const kernel: R.Pair = [d.int(1, 3), d.int(1, 3)];
  const stride: R.Pair = [d.int(1, transposed ? 3 : 2), d.int(1, transposed ? 3 : 2)];
  const dilation: R.Pair = d.chance(0.6) ? [1, 1] : [d.int(1, 2), d.int(1, 2)];
  const padding: R.Pair = d.chance(0.3) ? [0, 0] : [d.int(0, 2), d.int(0, 2)];
  const N = d.int(1, 2);
  const C = groups * perGroupIn;
  const spatial = [d.int(1, 7), d.int(1, 7)];
  const geometry: R.Geometry = { stride, padding, dilation, groups };
  const variant = d.chance(0.4) ? (groups === 1 ? d.pick(gg.convVariants) : 'direct') : undefined;
  const options: gg.ConvTranspose2dOptions = {};
  if (stride[0] !== 1 || stride[1] !== 1 || d.chance(0.3)) options.stride = pairOption(d, stride);
  if (padding[0] !== 0 || padding[1] !== 0) options.padding = pairOption(d, padding);
  if (dilation[0] !== 1 || dilation[1] !== 1) options.dilation = pairOption(d, dilation);
  if (groups !== 1) options.groups = groups;
  let outputPadding: R.Pair = [0, 0];
  if (transposed) {
    outputPadding = [0, 1].map((k) => (d.chance(0.4) ? d.int(0, Math.max(stride[k], dilation[k]) - 1) : 0)) as R.Pair;
    if (outputPadding[0] || outputPadding[1]) options.outputPadding = pairOption(d, outputPadding);
    // Output size (H - 1) s - 2 p + d (k - 1) + op + 1 must be at least 1.
    for (const k of [0, 1]) while ((spatial[k] - 1) * stride[k] - 2 * padding[k] + dilation[k] * (kernel[k] - 1) + outputPadding[k] + 1 < 1) spatial[k]++;
  } else {
    // Input H + 2 p must hold the dilated kernel d (k - 1) + 1.
    for (const k of [0, 1]) spatial[k] = Math.max(spatial[k], dilation[k] * (kernel[k] - 1) + 1 - 2 * padding[k]);
  }
  if (variant) options.variant = variant;
  // Within MAX_ELEMENTS: one image, then smaller images down to the smallest valid size.
  const smallest = [0, 1].map((k) =>
    transposed
      ? Math.max(1, Math.ceil((2 * padding[k] - dilation[k] * (kernel[k] - 1) - outputPadding[k]) / stride[k]) + 1)
      : Math.max(1, dilation[k] * (kernel[k] - 1) + 1 - 2 * padding[k]),
  );
  const x = [N, C, ...spatial];
  while (size(x) > MAX_ELEMENTS && x[0] > 1) x[0]--;
  while (size(x) > MAX_ELEMENTS && (x[2] > smallest[0] || x[3] > smallest[1])) x[2] - smallest[0] >= x[3] - smallest[1] ? x[2]-- : x[3]--;
  const w = transposed ? [C, perGroupOut, ...kernel] : [groups * perGroupOut, perGroupIn, ...kernel];
  const outChannels = groups * perGroupOut;
  const bias = d.chance(0.5);
  const shapes = bias ? [x, w, [outChannels]] : [x, w];
  const op = transposed ? 'convTranspose2d' : 'conv2d';
  return {
    op,
    detail: `x=${fmt(x)} w=${fmt(w)}${bias ? ` bias=[${outChannels}]` : ''} ${json(options)}`,
    spec: {
      inputs: shapes.map((s) => d.uniform(s, -1, 1)),
      gpu: (t, wt, b) => (transposed ? gg.convTranspose2d(t, wt, b ?? null, options) : gg.conv2d(t, wt, b ?? null, options)),
      ref: (t, wt, b) => (transposed ? R.convTranspose2dRef(t, wt, b ?? null, geometry, outputPadding) : R.conv2dRef(t, wt, b ?? null, geometry)),
    },
  };
}

function poolCase(d: Draw): Body {
  const op = d.pick(['maxPool2d', 'avgPool2d'] as const);
  const kernel: R.Pair = [d.int(1, 3), d.int(1, 3)];
  const stride: R.Pair = d.chance(0.4) ? kernel : [d.int(1, 3), d.int(1, 3)];
  const padding: R.Pair = d.chance(0.5) ? [0, 0] : [d.int(0, Math.floor(kernel[0] / 2)), d.int(0, Math.floor(kernel[1] / 2))];
  const dilation: R.Pair = op === 'maxPool2d' && d.chance(0.3) ? [d.int(1, 3), d.int(1, 3)] : [1, 1];
  const ceilMode = d.chance(0.3);
  // An input at least as large as the dilated kernel: no window then lies in the padding alone.
  const extent = [0, 1].map((k) => dilation[k] * (kernel[k] - 1) + 1);
  const smallest = [0, 1].map((k) => Math.max(1, dilation[k] > 1 ? extent[k] : extent[k] - 2 * padding[k]));
  const spatial = [0, 1].map((k) => Math.max(d.int(1, 9), smallest[k]));
  const x = [d.int(1, 2), d.int(1, 3), ...spatial];
  while (size(x) > MAX_ELEMENTS && (x[2] > smallest[0] || x[3] > smallest[1])) x[2] - smallest[0] >= x[3] - smallest[1] ? x[2]-- : x[3]--;
  const options: gg.AvgPool2dOptions & { dilation?: gg.Size2d } = {};
  if (stride !== kernel) options.stride = pairOption(d, stride);
  if (padding[0] || padding[1]) options.padding = pairOption(d, padding);
  if (dilation[0] > 1 || dilation[1] > 1) options.dilation = pairOption(d, dilation);
  if (ceilMode) options.ceilMode = true;
  if (op === 'avgPool2d' && d.chance(0.4)) options.countIncludePad = d.chance(0.5);
  const kernelArg = pairOption(d, kernel);
  const values = op === 'maxPool2d' ? d.spaced([x], -2, 2)[0] : d.uniform(x, -2, 2);
  return {
    op,
    detail: `x=${fmt(x)} kernel=${json(kernelArg)} ${json(options)}`,
    spec: {
      inputs: [values],
      gpu: (t) => (op === 'maxPool2d' ? gg.maxPool2d(t, kernelArg, options) : gg.avgPool2d(t, kernelArg, options)),
      ref: (t) => R.poolRef(t, op === 'maxPool2d' ? 'max' : 'avg', kernel, stride, padding, options.countIncludePad ?? true, { dilation, ceilMode }),
    },
  };
}

// ---- layer norm ----------------------------------------------------------------------------------

function layerNormCase(d: Draw): Body {
  const shape = d.shape(d.int(1, 4)).map((v, i, all) => (i === all.length - 1 && v === 1 ? d.int(2, 17) : v));
  while (size(shape) > MAX_ELEMENTS) {
    const i = shape.indexOf(Math.max(...shape));
    shape[i] = Math.max(2, Math.floor(shape[i] / 2));
  }
  const normalized = shape.slice(shape.length - d.int(1, Math.min(2, shape.length)));
  const width = size(normalized);
  const hasWeight = d.chance(0.6);
  const hasBias = d.chance(0.6);
  const eps = d.pick([undefined, 1e-5, 1e-3]);
  const asNumber = normalized.length === 1 && d.chance(0.5);
  // Sometimes a common offset, which a one-pass variance would cancel digits of.
  const shift = d.chance(0.25) ? d.pick([-5, 5, 10]) : 0;
  const inputs = [d.rows(shape, width, shift - 2, shift + 2, 0.1)];
  if (hasWeight) inputs.push(d.uniform(normalized, 0.5, 1.5));
  if (hasBias) inputs.push(d.uniform(normalized, -1, 1));
  const normalizedArg = asNumber ? normalized[0] : normalized;
  return {
    op: 'layerNorm',
    detail: `x=${fmt(shape)} normalizedShape=${json(normalizedArg)} weight=${hasWeight} bias=${hasBias} eps=${eps}${shift ? ` values ${shift}+-2` : ''}`,
    spec: {
      inputs,
      gpu: (t, ...rest) => {
        const weight = hasWeight ? rest[0] : null;
        const bias = hasBias ? rest[hasWeight ? 1 : 0] : null;
        return eps === undefined ? gg.nn.functional.layerNorm(t, normalizedArg, weight, bias) : gg.nn.functional.layerNorm(t, normalizedArg, weight, bias, eps);
      },
      ref: (t, ...rest) => R.layerNormRef(t, width, hasWeight ? rest[0] : null, hasBias ? rest[hasWeight ? 1 : 0] : null, eps ?? 1e-5),
    },
  };
}

// ---- group norm ----------------------------------------------------------------------------------

function groupNormCase(d: Draw): Body {
  const groups = d.int(1, 3);
  const channels = groups * d.int(1, 3);
  const shape = [d.int(1, 3), channels, ...d.shape(d.int(0, 2), Math.floor(MAX_ELEMENTS / (3 * channels)))];
  // A group of one value has no spread to normalise (its output is 0, its gradient 1/sqrt(eps) noise).
  if (size(shape) === shape[0] * groups) shape.push(2);
  const width = size(shape) / (shape[0] * groups);
  const hasWeight = d.chance(0.6);
  const hasBias = d.chance(0.6);
  const eps = d.pick([undefined, 1e-5, 1e-3]);
  const shift = d.chance(0.25) ? d.pick([-5, 5, 10]) : 0;
  const inputs = [d.rows(shape, width, shift - 2, shift + 2, 0.1)];
  if (hasWeight) inputs.push(d.uniform([channels], 0.5, 1.5));
  if (hasBias) inputs.push(d.uniform([channels], -1, 1));
  return {
    op: 'groupNorm',
    detail: `x=${fmt(shape)} numGroups=${groups} weight=${hasWeight} bias=${hasBias} eps=${eps}${shift ? ` values ${shift}+-2` : ''}`,
    spec: {
      inputs,
      gpu: (t, ...rest) => {
        const weight = hasWeight ? rest[0] : null;
        const bias = hasBias ? rest[hasWeight ? 1 : 0] : null;
        return eps === undefined ? gg.nn.functional.groupNorm(t, groups, weight, bias) : gg.nn.functional.groupNorm(t, groups, weight, bias, eps);
      },
      ref: (t, ...rest) => R.groupNormRef(t, groups, hasWeight ? rest[0] : null, hasBias ? rest[hasWeight ? 1 : 0] : null, eps ?? 1e-5),
    },
  };
}

// ---- attention -----------------------------------------------------------------------------------

function attentionCase(d: Draw): Body {
  const causal = d.chance(0.5);
  const Dh = d.pick([1, 2, 3, 4, 4, 5, 8, 8]);
  if (d.chance(0.3)) {
    const [B, T, heads] = [d.int(1, 2), d.int(1, 7), d.int(1, 3)];
    const shape = [B, T, 3 * heads * Dh];
    while (size(shape) > MAX_ELEMENTS) shape[1] = Math.max(1, shape[1] - 1);
    const settings = { causal };
    return {
      op: 'packedSelfAttention',
      detail: `qkv=${fmt(shape)} heads=${heads} ${json(settings)}`,
      spec: {
        inputs: [d.uniform(shape, -2, 2)],
        gpu: (t) => packedSelfAttention(t, heads, settings),
        ref: (t) => R.packedAttentionRef(t, heads, settings),
      },
    };
  }
  const [B, H] = [d.int(1, 2), d.int(1, 2)];
  const Tq = d.int(1, 7);
  let Tk = causal ? Tq + d.pick([0, 0, 1, 3]) : d.int(1, 9);
  while (B * H * Math.max(Tq, Tk) * Dh > MAX_ELEMENTS) Tk = Math.max(causal ? Tq : 1, Tk - 1);
  const kvLength = d.chance(0.3) ? d.int(causal ? Tq : 1, Tk) : undefined;
  const scale = d.chance(0.3) ? Math.fround(d.float(0.2, 1.5)) : undefined;
  const options: AttentionOptions = { causal };
  if (scale !== undefined) options.scale = scale;
  if (kvLength !== undefined) options.kvLength = kvLength;
  const q = [B, H, Tq, Dh];
  const kv = [B, H, Tk, Dh];
  return {
    op: 'scaledDotProductAttention',
    detail: `q=${fmt(q)} k=v=${fmt(kv)} ${json(options)}`,
    spec: {
      inputs: [d.uniform(q, -2, 2), d.uniform(kv, -2, 2), d.uniform(kv, -2, 2)],
      gpu: (a, b, c) => scaledDotProductAttention(a, b, c, options),
      ref: (a, b, c) => R.attentionRef(a, b, c, { ...options, causal }),
    },
  };
}

// ---- the cases -----------------------------------------------------------------------------------

const GENERATORS: Record<Family, (d: Draw) => Body> = {
  unary: unaryCase,
  binary: binaryCase,
  where: whereCase,
  reduce: reduceCase,
  softmax: softmaxCase,
  matmul: matmulCase,
  movement: movementCase,
  indexing: indexingCase,
  conv: convCase,
  pool: poolCase,
  layerNorm: layerNormCase,
  groupNorm: groupNormCase,
  attention: attentionCase,
};

/** Case `index` of the run seeded `seed` (deterministic; independent of every other case). */
export function fuzzCase(seed: number, index: number, only?: readonly Family[]): FuzzCase {
  const s = caseSeed(seed, index);
  const d = new Draw(rng(s));
  const weights = only ? Object.fromEntries(only.map((f) => [f, FAMILY_WEIGHTS[f]])) as Record<Family, number> : FAMILY_WEIGHTS;
  const family = d.weighted(weights);
  const body = GENERATORS[family](d);
  return {
    seed,
    index,
    family,
    op: body.op,
    description: `seed=${seed} index=${index} [${family}] ${body.op} ${body.detail}`.trimEnd(),
    spec: { ...TOLERANCES[family], ...body.spec, seed: s },
  };
}

/** Cases 0..count-1 of the run seeded `seed`. */
export function fuzzCases(seed: number, count: number, only?: readonly Family[]): FuzzCase[] {
  return Array.from({ length: count }, (_, i) => fuzzCase(seed, i, only));
}
