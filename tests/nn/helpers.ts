// Test helpers for src/nn: float64 references of the layers (linear and batch norm here; conv2d,
// convTranspose2d and layer norm from tests/helpers/op-references.ts, the conv ones taking square
// geometry) and checkModule, which checks a module the way checkOp checks an op: its forward pass
// against the reference, and the gradients of its inputs and of every parameter against central
// finite differences of that reference, then that no GPU buffer leaked.

import { expect } from 'vitest';
import * as gg from '../../src/index.js';
import { expectClose } from '../helpers/check.js';
import { conv2dRef as pairConv2dRef, convTranspose2dRef as pairConvTranspose2dRef, type Geometry } from '../helpers/op-references.js';
import { random, ref, rng, unravel, type Ref } from '../helpers/reference.js';

export { layerNormRef } from '../helpers/op-references.js';

export type Params = Record<string, Ref>;

export interface ModuleCheck {
  module: gg.nn.Module;
  /** Inputs: shapes (random values in range) or explicit arrays; `indexInputs` marks i32 ones. */
  inputs: (readonly number[] | Ref)[];
  indexInputs?: number[];
  /** The layer in float64, from the inputs and the module's parameters by key. */
  ref: (inputs: Ref[], params: Params) => Ref;
  seed?: number;
  range?: [number, number];
  atol?: number;
  rtol?: number;
  gradAtol?: number;
  gradRtol?: number;
  eps?: number;
}

/** A reference array's values read from a GPU tensor. */
export async function toRef(t: gg.Tensor): Promise<Ref> {
  return ref(t.shape, await t.data());
}

function weightedSum(out: Ref, weights: Float64Array): number {
  let s = 0;
  for (let i = 0; i < out.data.length; i++) s += out.data[i] * weights[i];
  return s;
}

/** Central differences of sum(f() * weights) with respect to every value of `x` (changed in place, then restored). */
function numericGradient(x: Float64Array, f: () => Ref, weights: Float64Array, eps: number): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + eps;
    const up = weightedSum(f(), weights);
    x[i] = saved - eps;
    const down = weightedSum(f(), weights);
    x[i] = saved;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

export async function checkModule(spec: ModuleCheck): Promise<void> {
  const next = rng(spec.seed ?? 99);
  const [lo, hi] = spec.range ?? [-1, 1];
  const indexInputs = spec.indexInputs ?? [];
  const inputs = spec.inputs.map((s) => ('data' in s ? s : random(s as number[], next, lo, hi)));
  const named = spec.module.namedParameters();
  const params: Params = Object.fromEntries(await Promise.all(named.map(async ([k, p]) => [k, await toRef(p)] as const)));
  const expected = spec.ref(inputs, params);
  const weights = new Float64Array(expected.data.length).map(() => Math.fround(next() * 2 - 1));

  const before = gg.runtime().memory().liveBuffers;
  const gpuInputs = inputs.map((r, i) =>
    indexInputs.includes(i)
      ? gg.tensor(Int32Array.from(r.data), r.shape)
      : gg.tensor(Float32Array.from(r.data), r.shape, { requiresGrad: true }),
  );
  const out = gg.scope(() => {
    const y = spec.module.forward(...gpuInputs);
    y.mul(gg.tensor(Float32Array.from(weights), y.shape)).sum().backward();
    return y;
  });
  expect([...out.shape], 'output shape').toEqual(expected.shape);
  expectClose(await out.data(), expected.data, spec.atol ?? 1e-5, spec.rtol ?? 1e-4, 'forward');
  const eps = spec.eps ?? 1e-6;
  const gradAtol = spec.gradAtol ?? 1e-4;
  const gradRtol = spec.gradRtol ?? 1e-3;
  for (const [i, t] of gpuInputs.entries()) {
    if (indexInputs.includes(i)) continue;
    const numeric = numericGradient(inputs[i].data, () => spec.ref(inputs, params), weights, eps);
    expectClose(await t.grad!.data(), numeric, gradAtol, gradRtol, `gradient of input ${i}`);
  }
  for (const [key, p] of named) {
    if (!p.grad) expect.fail(`parameter '${key}' received no gradient`);
    const numeric = numericGradient(params[key].data, () => spec.ref(inputs, params), weights, eps);
    expectClose(await p.grad.data(), numeric, gradAtol, gradRtol, `gradient of '${key}'`);
  }
  out.dispose();
  for (const t of gpuInputs) t.dispose();
  spec.module.zeroGrad();
  expect(gg.runtime().memory().liveBuffers, 'live GPU buffers after the check').toBe(before);
}

// ---- float64 references --------------------------------------------------------------------------

export function linearRef(x: Ref, w: Ref, b?: Ref): Ref {
  const [outF, inF] = w.shape;
  return ref([...x.shape.slice(0, -1), outF], (i) => {
    const r = Math.floor(i / outF);
    const o = i % outF;
    let s = b ? b.data[o] : 0;
    for (let k = 0; k < inF; k++) s += x.data[r * inF + k] * w.data[o * inF + k];
    return s;
  });
}

export interface ConvGeometry {
  stride: number;
  padding: number;
  dilation: number;
  groups: number;
  outputPadding?: number;
}

/** The square geometry as the (height, width) pairs of tests/helpers/op-references.ts. */
const pairs = (g: ConvGeometry): Geometry => ({
  stride: [g.stride, g.stride],
  padding: [g.padding, g.padding],
  dilation: [g.dilation, g.dilation],
  groups: g.groups,
});

export const conv2dRef = (x: Ref, w: Ref, b: Ref | undefined, g: ConvGeometry): Ref => pairConv2dRef(x, w, b ?? null, pairs(g));

export const convTranspose2dRef = (x: Ref, w: Ref, b: Ref | undefined, g: ConvGeometry): Ref =>
  pairConvTranspose2dRef(x, w, b ?? null, pairs(g), [g.outputPadding ?? 0, g.outputPadding ?? 0]);

/** Per-channel statistics of x [N, C, ...]: mean and biased variance over every axis but 1. */
export function channelStats(x: Ref): { mean: number[]; variance: number[]; count: number } {
  const channels = x.shape[1];
  const count = x.data.length / channels;
  const mean = new Array<number>(channels).fill(0);
  const variance = new Array<number>(channels).fill(0);
  const channelOf = (i: number) => unravel(i, x.shape)[1];
  x.data.forEach((v, i) => (mean[channelOf(i)] += v / count));
  x.data.forEach((v, i) => (variance[channelOf(i)] += (v - mean[channelOf(i)]) ** 2 / count));
  return { mean, variance, count };
}

/** Batch norm of x [N, C, ...] with the given per-channel mean and variance, weight and bias. */
export function batchNormRef(x: Ref, mean: ArrayLike<number>, variance: ArrayLike<number>, w: Ref | undefined, b: Ref | undefined, eps: number): Ref {
  return ref(x.shape, (i) => {
    const c = unravel(i, x.shape)[1];
    return ((x.data[i] - mean[c]) / Math.sqrt(variance[c] + eps)) * (w ? w.data[c] : 1) + (b ? b.data[c] : 0);
  });
}
