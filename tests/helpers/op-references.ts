// Float64 references of the ops, written as plain loops over tests/helpers/reference.ts's Ref
// arrays: reductions, softmax lines, matmul, slicing, padding and joining, gather and indexSelect,
// convolution (with its weight gradient) and pooling, layer norm and attention. The one copy that the op tests
// (tests/ops/*.test.ts), the layer tests (tests/nn/helpers.ts), the differential fuzzer
// (tests/fuzz/references.ts) and the benchmark's checks (bench/kernels/, bench/models/steps.ts) all
// check against. None of them mutates its inputs: finite-difference gradients call each one
// hundreds of times on perturbed copies.

import { broadcastShape, ravel, ref, size, unravel, type Ref } from './reference.js';

/**
 * An op's float64 output defined one element at a time: `whole` computes all of it, `atPositions`
 * only some flat positions, which is how the benchmark checks products too large to compute whole.
 */
export interface Elements {
  shape: number[];
  at(i: number): number;
}

export const whole = (e: Elements): Ref => ref(e.shape, (i) => e.at(i));
export const atPositions = (e: Elements, positions: readonly number[]): Float64Array => Float64Array.from(positions, (i) => e.at(i));

// ---- reductions ----------------------------------------------------------------------------------

export type Axes = number | number[] | undefined;

/** Normalised, sorted axis list (all axes when undefined). */
export function axisList(rank: number, axes: Axes): number[] {
  const list = axes === undefined ? [...Array(rank).keys()] : typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/** f applied to the values of each group that `axes` collapses. */
export function reduceRef(a: Ref, axes: Axes, keepdims: boolean, f: (values: number[]) => number): Ref {
  const rank = a.shape.length;
  const reduced = axisList(rank, axes);
  const keptShape = a.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
  const groups = Array.from({ length: size(keptShape) }, () => [] as number[]);
  for (let i = 0; i < a.data.length; i++) {
    const coords = unravel(i, a.shape).map((c, d) => (reduced.includes(d) ? 0 : c));
    groups[ravel(coords, keptShape)].push(a.data[i]);
  }
  const shape = keepdims ? keptShape : a.shape.filter((_, i) => !reduced.includes(i));
  return ref(shape, groups.map(f));
}

// The per-group functions for reduceRef.
export const total = (v: number[]) => v.reduce((s, x) => s + x, 0);
export const average = (v: number[]) => total(v) / v.length;
/** Variance with the divisor n - correction (NaN where that is 0 or less, as PyTorch). */
export const variance = (correction: number) => (v: number[]) => {
  const m = average(v);
  return total(v.map((x) => (x - m) ** 2)) / Math.max(0, v.length - correction);
};
/** log(sum(e^v)), shifted by the maximum; -Infinity for a group that is all -Infinity. */
export const logSumExp = (v: number[]) => {
  const m = Math.max(...v);
  return m === -Infinity ? -Infinity : m + Math.log(total(v.map((x) => Math.exp(x - m))));
};
/** First position of the winner, as PyTorch. */
export const argOf = (beats: (a: number, b: number) => boolean) => (v: number[]) => v.reduce((best, x, i) => (beats(x, v[best]) ? i : best), 0);

// ---- softmax -------------------------------------------------------------------------------------

/**
 * Applies f to every line of `a` along `axis`, in place of that line; f's lines have `length` values
 * (by default the line's own length), which becomes the result's size along `axis`.
 */
export function mapLines(a: Ref, axis: number, f: (line: number[]) => number[], length?: number): Ref {
  const rank = a.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  const shape = a.shape.map((d, k) => (k === ax ? (length ?? d) : d));
  const out = ref(shape, () => 0);
  for (let i = 0; i < a.data.length; i++) {
    const start = unravel(i, a.shape);
    if (start[ax] !== 0) continue;
    const along = (j: number, of: readonly number[]) => ravel(start.map((c, d) => (d === ax ? j : c)), of);
    const line = Array.from({ length: a.shape[ax] }, (_, j) => a.data[along(j, a.shape)]);
    f(line).forEach((v, j) => (out.data[along(j, shape)] = v));
  }
  return out;
}

export const softmaxLine = (v: number[]) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = total(e);
  return e.map((x) => x / s);
};
export const logSoftmaxLine = (v: number[]) => {
  const lse = logSumExp(v);
  return v.map((x) => x - lse);
};

// ---- matmul --------------------------------------------------------------------------------------

/** torch.matmul in float64 (1-D operands promoted and their axis dropped; batch dims broadcast), with transposed operands read in place. */
export function matmulElements(a: Ref, b: Ref, transA = false, transB = false): Elements {
  const aShape = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bShape = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const tA = a.shape.length > 1 && transA;
  const tB = b.shape.length > 1 && transB;
  const [aRows, aCols] = aShape.slice(-2);
  const [bRows, bCols] = bShape.slice(-2);
  const [M, K] = tA ? [aCols, aRows] : [aRows, aCols];
  const N = tB ? bRows : bCols;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const batch = broadcastShape(aBatch, bBatch);
  const batchIndex = (own: number[], coords: number[]) => ravel(own.map((d, i) => (d === 1 ? 0 : coords[coords.length - own.length + i])), own);
  return {
    shape: [...batch, ...(a.shape.length === 1 ? [] : [M]), ...(b.shape.length === 1 ? [] : [N])],
    at(i) {
      const n = i % N;
      const m = Math.floor(i / N) % M;
      const coords = unravel(Math.floor(i / (M * N)), batch);
      const aBase = batchIndex(aBatch, coords) * M * K;
      const bBase = batchIndex(bBatch, coords) * K * N;
      let s = 0;
      for (let k = 0; k < K; k++) s += a.data[aBase + (tA ? k * M + m : m * K + k)] * b.data[bBase + (tB ? n * K + k : k * N + n)];
      return s;
    },
  };
}

export const matmulRef = (a: Ref, b: Ref, transA = false, transB = false): Ref => whole(matmulElements(a, b, transA, transB));

// ---- movement, joining and indexing ---------------------------------------------------------------

/** The same values under another shape (reshape, squeeze, unsqueeze, flatten keep row-major order). */
export const reshapedRef = (x: Ref, shape: number[]): Ref => ({ shape: [...shape], data: Float64Array.from(x.data) });

export type Range = [number | null, number | null, number] | null;

/** The indices Python's `range(*slice(start, end, step).indices(n))` visits (step > 0). */
export function pythonIndices(n: number, range: Range): number[] {
  const [start, end, step] = range ?? [null, null, 1];
  const clampBound = (b: number) => (b < 0 ? Math.max(b + n, 0) : Math.min(b, n));
  const out: number[] = [];
  for (let i = clampBound(start ?? 0); i < clampBound(end ?? n); i += step) out.push(i);
  return out;
}

export function sliceRef(x: Ref, ranges: Range[]): Ref {
  const picks = x.shape.map((n, k) => pythonIndices(n, ranges[k] ?? null));
  const shape = picks.map((p) => p.length);
  return ref(shape, (i) => x.data[ravel(unravel(i, shape).map((c, k) => picks[k][c]), x.shape)]);
}

/** torch.nn.functional.pad's constant mode: pads = [lastBefore, lastAfter, secondLastBefore, ...]; negative amounts crop. */
export function padRef(x: Ref, pads: number[], value: number): Ref {
  const rank = x.shape.length;
  const padded = (k: number) => rank - 1 - k < pads.length / 2;
  const before = x.shape.map((_, k) => (padded(k) ? pads[2 * (rank - 1 - k)] : 0));
  const shape = x.shape.map((d, k) => (padded(k) ? d + pads[2 * (rank - 1 - k)] + pads[2 * (rank - 1 - k) + 1] : d));
  return ref(shape, (i) => {
    const src = unravel(i, shape).map((c, k) => c - before[k]);
    return src.every((c, k) => c >= 0 && c < x.shape[k]) ? x.data[ravel(src, x.shape)] : value;
  });
}

/**
 * Reflect, replicate or circular padding (torch.nn.functional.pad's modes), built one axis at a time
 * from lists of source places: the input's places with the mirrored, repeated or wrapped ones added at
 * each end, then any negative amount cropped (circular crops first and wraps what is left, as PyTorch
 * does for well-formed amounts).
 */
export function padModeRef(x: Ref, pads: number[], mode: 'reflect' | 'replicate' | 'circular'): Ref {
  let out = x;
  for (let k = 0; k < pads.length / 2; k++) {
    const axis = out.shape.length - 1 - k;
    const [before, after] = [pads[2 * k], pads[2 * k + 1]];
    const n = out.shape[axis];
    const range = (from: number, count: number, step: number) => Array.from({ length: Math.max(count, 0) }, (_, i) => from + i * step);
    let places: number[];
    if (mode === 'circular') {
      const kept = range(Math.max(-before, 0), n - Math.max(-before, 0) - Math.max(-after, 0), 1);
      places = [...kept.slice(kept.length - Math.max(before, 0)), ...kept, ...kept.slice(0, Math.max(after, 0))];
    } else {
      const left = mode === 'reflect' ? range(before, before, -1) : new Array<number>(Math.max(before, 0)).fill(0);
      const right = mode === 'reflect' ? range(n - 2, after, -1) : new Array<number>(Math.max(after, 0)).fill(n - 1);
      places = [...left, ...range(0, n, 1), ...right].slice(Math.max(-before, 0), n + Math.max(before, 0) + Math.max(after, 0) - Math.max(-after, 0));
    }
    const shape = out.shape.map((d, i) => (i === axis ? places.length : d));
    const source = out;
    out = ref(shape, (i) => {
      const c = unravel(i, shape);
      c[axis] = places[c[axis]];
      return source.data[ravel(c, source.shape)];
    });
  }
  return out;
}

export function concatRef(parts: Ref[], axis: number): Ref {
  const a = axis < 0 ? axis + parts[0].shape.length : axis;
  const shape = [...parts[0].shape];
  shape[a] = parts.reduce((s, p) => s + p.shape[a], 0);
  return ref(shape, (i) => {
    const c = unravel(i, shape);
    let part = 0;
    while (c[a] >= parts[part].shape[a]) c[a] -= parts[part++].shape[a];
    return parts[part].data[ravel(c, parts[part].shape)];
  });
}

export function stackRef(parts: Ref[], axis: number): Ref {
  const rank = parts[0].shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  const expanded = parts.map((p) => {
    const shape = [...p.shape];
    shape.splice(a, 0, 1);
    return reshapedRef(p, shape);
  });
  return concatRef(expanded, a);
}

/** An index clamped into [0, n), as the kernels read out-of-range indices when checkIndices is off. */
const clampIndex = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);

export function gatherRef(x: Ref, axis: number, index: Int32Array, indexShape: number[]): Ref {
  const a = axis < 0 ? axis + x.shape.length : axis;
  return ref(indexShape, (i) => {
    const c = unravel(i, indexShape);
    c[a] = clampIndex(index[i], x.shape[a]);
    return x.data[ravel(c, x.shape)];
  });
}

export function indexSelectRef(x: Ref, axis: number, index: Int32Array): Ref {
  const a = axis < 0 ? axis + x.shape.length : axis;
  const shape = [...x.shape];
  shape[a] = index.length;
  return ref(shape, (i) => {
    const c = unravel(i, shape);
    c[a] = clampIndex(index[c[a]], x.shape[a]);
    return x.data[ravel(c, x.shape)];
  });
}

// ---- sorting -------------------------------------------------------------------------------------

/** PyTorch's order of two values: NaN after +inf, -0 equal to +0 (so a stable sort keeps their order). */
export function compareValues(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The positions of a line in stable sorted order (ascending, or descending with NaN first). */
export function sortOrder(line: readonly number[], descending = false): number[] {
  const sign = descending ? -1 : 1;
  return line.map((_, i) => i).sort((i, j) => sign * compareValues(line[i], line[j]) || i - j);
}

// ---- einsum --------------------------------------------------------------------------------------

/**
 * torch.einsum by brute force: every assignment of every subscript, the product of the operands'
 * entries, added into the output's entry. '...' takes the dimensions no letter names, broadcast from
 * the right; a size-1 dimension broadcasts against its subscript's size; without '->' the output is the
 * ellipsis, then the letters that appear once, sorted.
 */
export function einsumRef(equation: string, ...operands: Ref[]): Ref {
  const [left, right] = equation.replace(/\s/g, '').split('->');
  const terms = left.split(',');
  const ellipsisRanks = terms.map((term, i) => (term.includes('...') ? operands[i].shape.length - (term.length - 3) : 0));
  const ellipsis = Array.from({ length: Math.max(0, ...ellipsisRanks) }, (_, k) => `...${k}`);
  const expand = (term: string, count: number) => {
    const [before, after] = term.split('...');
    return after === undefined ? [...before] : [...before, ...ellipsis.slice(ellipsis.length - count), ...after];
  };
  const inputs = terms.map((term, i) => expand(term, ellipsisRanks[i]));
  const letters = inputs.flat().filter((s) => !s.startsWith('...'));
  const output = right !== undefined ? expand(right, ellipsis.length) : [...ellipsis, ...[...new Set(letters)].filter((s) => letters.indexOf(s) === letters.lastIndexOf(s)).sort()];
  const sizes = new Map<string, number>();
  inputs.forEach((labels, i) => labels.forEach((label, axis) => sizes.set(label, Math.max(sizes.get(label) ?? 1, operands[i].shape[axis]))));
  const labels = [...sizes.keys()];
  const outShape = output.map((label) => sizes.get(label)!);
  const out = ref(outShape, () => 0);
  const value = new Map<string, number>();
  const visit = (depth: number): void => {
    if (depth < labels.length) {
      for (let v = 0; v < sizes.get(labels[depth])!; v++) {
        value.set(labels[depth], v);
        visit(depth + 1);
      }
      return;
    }
    let product = 1;
    operands.forEach((operand, i) => {
      product *= operand.data[ravel(inputs[i].map((label, axis) => (operand.shape[axis] === 1 ? 0 : value.get(label)!)), operand.shape)];
    });
    out.data[ravel(output.map((label) => value.get(label)!), outShape)] += product;
  };
  visit(0);
  return out;
}

// ---- convolution and pooling ---------------------------------------------------------------------

export type Pair = [number, number];
export interface Geometry {
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  groups: number;
}

/** Flat index of (a, b, c, d) in a 4-d shape. */
export const index4 = (shape: readonly number[], a: number, b: number, c: number, d: number) => ((a * shape[1] + b) * shape[2] + c) * shape[3] + d;

export function conv2dRef(x: Ref, w: Ref, bias: Ref | null, g: Geometry): Ref {
  const [n, , h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const oh = Math.floor((h + 2 * g.padding[0] - g.dilation[0] * (kh - 1) - 1) / g.stride[0]) + 1;
  const ow = Math.floor((wd + 2 * g.padding[1] - g.dilation[1] * (kw - 1) - 1) / g.stride[1]) + 1;
  const og = o / g.groups;
  const out = ref([n, o, oh, ow], () => 0);
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let y = 0; y < oh; y++)
        for (let z = 0; z < ow; z++) {
          let s = bias ? bias.data[oc] : 0;
          for (let c = 0; c < cg; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = y * g.stride[0] - g.padding[0] + i * g.dilation[0];
                const iz = z * g.stride[1] - g.padding[1] + j * g.dilation[1];
                if (iy < 0 || iy >= h || iz < 0 || iz >= wd) continue;
                const ic = Math.floor(oc / og) * cg + c;
                s += x.data[index4(x.shape, b, ic, iy, iz)] * w.data[index4(w.shape, oc, c, i, j)];
              }
          out.data[index4(out.shape, b, oc, y, z)] = s;
        }
  return out;
}

/** conv2d's weight gradient: each weight element's sum of dy times the input values it met. */
export function conv2dWeightGradElements(x: Ref, dy: Ref, kernel: Pair, g: Geometry): Elements {
  const [n, c, h, wd] = x.shape;
  const [, o, oh, ow] = dy.shape;
  const cg = c / g.groups;
  const og = o / g.groups;
  const shape = [o, cg, kernel[0], kernel[1]];
  return {
    shape,
    at(p) {
      const [oc, ci, i, j] = unravel(p, shape);
      let s = 0;
      for (let b = 0; b < n; b++)
        for (let y = 0; y < oh; y++)
          for (let z = 0; z < ow; z++) {
            const iy = y * g.stride[0] - g.padding[0] + i * g.dilation[0];
            const iz = z * g.stride[1] - g.padding[1] + j * g.dilation[1];
            if (iy < 0 || iy >= h || iz < 0 || iz >= wd) continue;
            s += dy.data[index4(dy.shape, b, oc, y, z)] * x.data[index4(x.shape, b, Math.floor(oc / og) * cg + ci, iy, iz)];
          }
      return s;
    },
  };
}

export const conv2dWeightGradRef = (x: Ref, dy: Ref, kernel: Pair, g: Geometry): Ref => whole(conv2dWeightGradElements(x, dy, kernel, g));

/** Written in scatter form (each input spreads into the output), unlike the kernel's gather form. */
export function convTranspose2dRef(x: Ref, w: Ref, bias: Ref | null, g: Geometry, outputPadding: Pair): Ref {
  const [n, c, h, wd] = x.shape;
  const [, og, kh, kw] = w.shape;
  const o = og * g.groups;
  const cg = c / g.groups;
  const oh = (h - 1) * g.stride[0] - 2 * g.padding[0] + g.dilation[0] * (kh - 1) + outputPadding[0] + 1;
  const ow = (wd - 1) * g.stride[1] - 2 * g.padding[1] + g.dilation[1] * (kw - 1) + outputPadding[1] + 1;
  const out = ref([n, o, oh, ow], (i) => (bias ? bias.data[Math.floor(i / (oh * ow)) % o] : 0));
  for (let b = 0; b < n; b++)
    for (let ic = 0; ic < c; ic++)
      for (let y = 0; y < h; y++)
        for (let z = 0; z < wd; z++)
          for (let oo = 0; oo < og; oo++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const ty = y * g.stride[0] - g.padding[0] + i * g.dilation[0];
                const tz = z * g.stride[1] - g.padding[1] + j * g.dilation[1];
                if (ty < 0 || ty >= oh || tz < 0 || tz >= ow) continue;
                const oc = Math.floor(ic / cg) * og + oo;
                out.data[index4(out.shape, b, oc, ty, tz)] += x.data[index4(x.shape, b, ic, y, z)] * w.data[index4(w.shape, ic, oo, i, j)];
              }
  return out;
}

/** Pooling's dilation and ceil mode (PyTorch's dilation and ceil_mode; average pooling takes no dilation). */
export interface PoolExtras {
  dilation?: Pair;
  ceilMode?: boolean;
}

/** PyTorch's pooling_output_shape: floor or ceil of (in + 2 pad - extent) / stride, plus 1, less a last window that starts past the input and the left padding. */
function pooledLength(size: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  const numerator = size + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0);
  let out = Math.floor(numerator / s) + 1;
  if (ceilMode && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * Max or average pooling as PyTorch's CPU loops write it: per window, the taps from hstart (moved
 * into the input by whole dilation steps) below min(hstart + extent, H); average pooling's divisor
 * is the window clipped to the padding's end (countIncludePad) or to the input. Each window's
 * value, and for max pooling where its first maximum is (ih * W + iw).
 */
function poolWindows(x: Ref, kind: 'max' | 'avg', kernel: Pair, stride: Pair, padding: Pair, countIncludePad: boolean, extras: PoolExtras): { out: Ref; at: Ref } {
  const [n, c, h, wd] = x.shape;
  const dilation = extras.dilation ?? [1, 1];
  const ceilMode = extras.ceilMode ?? false;
  const oh = pooledLength(h, kernel[0], stride[0], padding[0], dilation[0], ceilMode);
  const ow = pooledLength(wd, kernel[1], stride[1], padding[1], dilation[1], ceilMode);
  const out = ref([n, c, oh, ow], () => 0);
  const at = ref([n, c, oh, ow], () => -1);
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < oh; y++)
      for (let z = 0; z < ow; z++) {
        let hStart = y * stride[0] - padding[0];
        let wStart = z * stride[1] - padding[1];
        const o = (p * oh + y) * ow + z;
        if (kind === 'avg') {
          const hEnd = Math.min(hStart + kernel[0], h + padding[0]);
          const wEnd = Math.min(wStart + kernel[1], wd + padding[1]);
          const poolSize = (hEnd - hStart) * (wEnd - wStart);
          hStart = Math.max(hStart, 0);
          wStart = Math.max(wStart, 0);
          let sum = 0;
          for (let iy = hStart; iy < Math.min(hEnd, h); iy++) for (let iz = wStart; iz < Math.min(wEnd, wd); iz++) sum += x.data[(p * h + iy) * wd + iz];
          out.data[o] = sum / (countIncludePad ? poolSize : (Math.min(hEnd, h) - hStart) * (Math.min(wEnd, wd) - wStart));
          continue;
        }
        const hEnd = Math.min(hStart + (kernel[0] - 1) * dilation[0] + 1, h);
        const wEnd = Math.min(wStart + (kernel[1] - 1) * dilation[1] + 1, wd);
        while (hStart < 0) hStart += dilation[0];
        while (wStart < 0) wStart += dilation[1];
        let best = -Infinity;
        let bestAt = hStart * wd + wStart;
        for (let iy = hStart; iy < hEnd; iy += dilation[0])
          for (let iz = wStart; iz < wEnd; iz += dilation[1]) {
            const v = x.data[(p * h + iy) * wd + iz];
            if (v > best || Number.isNaN(v)) [best, bestAt] = [v, iy * wd + iz];
          }
        out.data[o] = best;
        at.data[o] = bestAt;
      }
  return { out, at };
}

export function poolRef(x: Ref, kind: 'max' | 'avg', kernel: Pair, stride: Pair, padding: Pair, countIncludePad = true, extras: PoolExtras = {}): Ref {
  return poolWindows(x, kind, kernel, stride, padding, countIncludePad, extras).out;
}

/** Where max pooling finds each window's first maximum: ih * W + iw in its plane (PyTorch's return_indices). */
export function maxPoolIndicesRef(x: Ref, kernel: Pair, stride: Pair, padding: Pair, extras: PoolExtras = {}): Ref {
  return poolWindows(x, 'max', kernel, stride, padding, true, extras).at;
}

// ---- layer norm ----------------------------------------------------------------------------------

/** (x - mean) / sqrt(biased var + eps) over the trailing `width` values of each row, then * weight + bias. */
export function layerNormRef(x: Ref, width: number, weight: Ref | null | undefined, bias: Ref | null | undefined, eps: number): Ref {
  const out = ref(x.shape, () => 0);
  for (let r = 0; r < x.data.length / width; r++) {
    const row = x.data.subarray(r * width, (r + 1) * width);
    const m = row.reduce((s, v) => s + v, 0) / width;
    const v = row.reduce((s, u) => s + (u - m) ** 2, 0) / width;
    const inv = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < width; j++) {
      out.data[r * width + j] = (row[j] - m) * inv * (weight ? weight.data[j] : 1) + (bias ? bias.data[j] : 0);
    }
  }
  return out;
}

// ---- group norm ----------------------------------------------------------------------------------

/**
 * x [N, C, ...] in numGroups groups of channels: each (n, group) block normalised with its mean and
 * biased variance, then * weight[c] + bias[c].
 */
export function groupNormRef(x: Ref, numGroups: number, weight: Ref | null | undefined, bias: Ref | null | undefined, eps: number): Ref {
  const channels = x.shape[1];
  const spatial = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const width = (channels / numGroups) * spatial;
  const normalized = layerNormRef(x, width, null, null, eps);
  return ref(x.shape, (i) => {
    const c = Math.floor(i / spatial) % channels;
    return normalized.data[i] * (weight ? weight.data[c] : 1) + (bias ? bias.data[c] : 0);
  });
}

// ---- attention -----------------------------------------------------------------------------------

export interface AttentionSettings {
  causal: boolean;
  scale?: number;
  kvLength?: number;
}

/** Per (batch, head): softmax over the visible keys of scale * q . k, times v; causal aligned to the last key. */
export function attentionRef(q: Ref, k: Ref, v: Ref, { causal, scale, kvLength }: AttentionSettings): Ref {
  const [B, H, Tq, Dh] = q.shape;
  const Tk = k.shape[2];
  const keys = kvLength ?? Tk;
  const s = scale ?? 1 / Math.sqrt(Dh);
  const offset = keys - Tq;
  const out = ref(q.shape, () => 0);
  for (let bh = 0; bh < B * H; bh++) {
    for (let i = 0; i < Tq; i++) {
      const last = causal ? Math.min(keys - 1, i + offset) : keys - 1;
      const scores: number[] = [];
      for (let j = 0; j <= last; j++) {
        let dot = 0;
        for (let d = 0; d < Dh; d++) dot += q.data[(bh * Tq + i) * Dh + d] * k.data[(bh * Tk + j) * Dh + d];
        scores.push(dot * s);
      }
      const weights = softmaxLine(scores);
      for (let d = 0; d < Dh; d++) {
        let acc = 0;
        for (let j = 0; j <= last; j++) acc += weights[j] * v.data[(bh * Tk + j) * Dh + d];
        out.data[(bh * Tq + i) * Dh + d] = acc;
      }
    }
  }
  return out;
}

/** Attention over packed qkv [B, T, 3C]: per head, q, k and v are columns h * Dh.. of each third; output [B, T, C]. */
export function packedAttentionRef(qkv: Ref, heads: number, settings: AttentionSettings): Ref {
  const [B, T, width] = qkv.shape;
  const C = width / 3;
  const Dh = C / heads;
  const part = (third: number) =>
    ref([B, heads, T, Dh], (i) => {
      const d = i % Dh;
      const t = Math.floor(i / Dh) % T;
      const h = Math.floor(i / (Dh * T)) % heads;
      const b = Math.floor(i / (Dh * T * heads));
      return qkv.data[(b * T + t) * width + third * C + h * Dh + d];
    });
  const y = attentionRef(part(0), part(1), part(2), settings);
  return ref([B, T, C], (i) => {
    const c = i % C;
    const t = Math.floor(i / C) % T;
    const b = Math.floor(i / (C * T));
    const h = Math.floor(c / Dh);
    return y.data[((b * heads + h) * T + t) * Dh + (c % Dh)];
  });
}

/** Settings of {@link sdpaRef}: PyTorch's F.scaled_dot_product_attention. */
export interface SdpaSettings {
  /** Broadcasts to [..., L, S]: added to the scores ('add') or non-zero = attend ('keep'). */
  mask?: Ref | null;
  maskKind?: 'add' | 'keep';
  /** Query i sees keys j <= i (aligned with the first key, as PyTorch). */
  causal?: boolean;
  scale?: number;
}

/** softmax(q kᵀ * scale + mask) v over q [..., L, E], k [..., S, E], v [..., S, Ev]; a query that sees no key gets NaN. */
export function sdpaRef(q: Ref, k: Ref, v: Ref, { mask = null, maskKind = 'add', causal = false, scale }: SdpaSettings = {}): Ref {
  const rank = q.shape.length;
  const [L, E] = q.shape.slice(-2);
  const S = k.shape[rank - 2];
  const Ev = v.shape[rank - 1];
  const lead = q.shape.slice(0, -2);
  const s = scale ?? 1 / Math.sqrt(E);
  const out = ref([...lead, L, Ev], () => 0);
  for (let p = 0; p < size(lead); p++) {
    const prefix = unravel(p, lead);
    for (let i = 0; i < L; i++) {
      const scores = Array.from({ length: S }, (_, j) => {
        let dot = 0;
        for (let d = 0; d < E; d++) dot += q.data[(p * L + i) * E + d] * k.data[(p * S + j) * E + d];
        let score = dot * s;
        if (mask) {
          const m = maskAt(mask, [...prefix, i, j]);
          score = maskKind === 'add' ? score + m : m !== 0 ? score : -Infinity;
        }
        return causal && j > i ? -Infinity : score;
      });
      const max = Math.max(...scores);
      const e = scores.map((x) => Math.exp(x - max));
      const total = e.reduce((a, b) => a + b, 0);
      for (let d = 0; d < Ev; d++) {
        let acc = 0;
        for (let j = 0; j < S; j++) acc += (e[j] / total) * v.data[(p * S + j) * Ev + d];
        out.data[(p * L + i) * Ev + d] = acc;
      }
    }
  }
  return out;
}

/** A mask's value at the scores' coordinates, under broadcasting. */
function maskAt(mask: Ref, coords: number[]): number {
  const lead = coords.length - mask.shape.length;
  return mask.data[ravel(mask.shape.map((d, i) => (d === 1 ? 0 : coords[lead + i])), mask.shape)];
}
