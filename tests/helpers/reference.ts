// A plain-JS float64 reference for checking kernels: n-d arrays as (shape, Float64Array), with the
// few generic operations (map, broadcast, reduce, permute) that reference implementations of the
// ops are written with. Deliberately simple and slow: it is the ground truth.

export interface Ref {
  shape: number[];
  data: Float64Array;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function ref(shape: readonly number[], data: ArrayLike<number> | ((i: number) => number)): Ref {
  const n = size(shape);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = typeof data === 'function' ? data(i) : data[i];
  return { shape: [...shape], data: values };
}

/** Coordinates of flat index i in shape. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return coords;
}

export function ravel(coords: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + coords[d];
  return i;
}

export function map(a: Ref, f: (v: number) => number): Ref {
  return { shape: [...a.shape], data: a.data.map(f) };
}

export function broadcastShape(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/** Value of `a` at output coordinates `coords` under broadcasting. */
export function at(a: Ref, coords: readonly number[]): number {
  const lead = coords.length - a.shape.length;
  let i = 0;
  for (let d = 0; d < a.shape.length; d++) i = i * a.shape[d] + (a.shape[d] === 1 ? 0 : coords[d + lead]);
  return a.data[i];
}

export function zip(arrays: Ref[], f: (...v: number[]) => number): Ref {
  const shape = broadcastShape(...arrays.map((a) => a.shape));
  return ref(shape, (i) => {
    const c = unravel(i, shape);
    return f(...arrays.map((a) => at(a, c)));
  });
}

/** Reduces over `axes` (all when undefined) with f(accumulator, value), starting from init. */
export function reduce(a: Ref, axes: number[] | undefined, keepdims: boolean, f: (acc: number, v: number) => number, init: number): Ref {
  const rank = a.shape.length;
  const red = (axes ?? [...Array(rank).keys()]).map((x) => (x < 0 ? x + rank : x));
  const keptShape = a.shape.map((d, i) => (red.includes(i) ? 1 : d));
  const out = ref(keptShape, () => init);
  for (let i = 0; i < a.data.length; i++) {
    const c = unravel(i, a.shape).map((v, d) => (red.includes(d) ? 0 : v));
    const o = ravel(c, keptShape);
    out.data[o] = f(out.data[o], a.data[i]);
  }
  return keepdims ? out : { shape: a.shape.filter((_, i) => !red.includes(i)), data: out.data };
}

export function permute(a: Ref, axes: number[]): Ref {
  const shape = axes.map((x) => a.shape[x]);
  return ref(shape, (i) => {
    const c = unravel(i, shape);
    const src = new Array<number>(axes.length);
    axes.forEach((x, k) => (src[x] = c[k]));
    return a.data[ravel(src, a.shape)];
  });
}

/** Deterministic uniform generator for test data (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random reference array with values in [lo, hi), rounded to f32 so GPU and reference see the same input. */
export function random(shape: readonly number[], next: () => number, lo = -1, hi = 1): Ref {
  return ref(shape, () => Math.fround(lo + (hi - lo) * next()));
}

/**
 * erfc in float64 to ~1e-14 relative: the Maclaurin series of erf for |x| < 2.5, the continued
 * fraction erfc(x) = exp(-x^2)/sqrt(pi) / (x + 1/2 / (x + 1 / (x + 3/2 / (x + ...)))) beyond.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) return 1 - erf(x);
  let fraction = x;
  for (let k = 60; k >= 1; k--) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}

/** erf in float64 (see erfc). */
export function erf(x: number): number {
  if (Math.abs(x) >= 2.5) return Math.sign(x) * (1 - erfc(Math.abs(x)));
  // 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
  let term = x;
  let sum = x;
  for (let n = 1; n < 80 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** The standard normal CDF, from erfc so the lower tail keeps its relative accuracy. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}
