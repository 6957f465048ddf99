// clipGradNorm against the float64 reference of clip_grad_norm_: the global 2-norm and infinity norm
// over gradients of odd sizes (one folded by several partial-norm invocations), below and above the
// threshold, all-zero gradients, parameters without a gradient, gradients that share a buffer, and
// no readback until the caller asks for the norm; clipGradValue against an elementwise clamp.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { expectClose } from '../helpers/check.js';
import { rng } from '../helpers/reference.js';
import { clipRef } from './reference.js';

/** 2500 elements = 625 vec4s: three invocations of the partial-norm kernel. */
const SIZES = [1, 3, 17, 65, 2500];

function parametersWithGrads(seed: number, scale: number): { params: gg.Tensor[]; grads: Float64Array[] } {
  const next = rng(seed);
  const grads = SIZES.map((n) => Float64Array.from({ length: n }, () => Math.fround(scale * (2 * next() - 1))));
  const params = SIZES.map((n, k) => {
    const p = gg.zeros([n]).requiresGrad_();
    p.grad = gg.tensor(Float32Array.from(grads[k]));
    return p;
  });
  return { params, grads };
}

async function expectClipped(params: gg.Tensor[], grads: Float64Array[], maxNorm: number, normType: number): Promise<void> {
  const rt = gg.runtime();
  const expected = clipRef(grads, maxNorm, normType);
  const readbacks = rt.counters.readbacks;
  const norm = gg.optim.clipGradNorm(params, maxNorm, { normType });
  expect(rt.counters.readbacks, 'clipGradNorm reads nothing back').toBe(readbacks);
  expect(norm.shape).toEqual([]);
  expectClose([await norm.item()], [expected.norm], 1e-6, 1e-5, 'norm');
  for (const [k, p] of params.entries()) {
    expectClose(await p.grad!.data(), grads[k].map((g) => g * expected.coefficient), 1e-7, 1e-5, `gradient ${k}`);
  }
  norm.dispose();
}

describe('clipGradNorm', () => {
  for (const normType of [2, Infinity]) {
    it(`leaves gradients below the threshold unchanged and returns the ${normType}-norm`, async () => {
      const { params, grads } = parametersWithGrads(1, 0.1);
      const { norm } = clipRef(grads, 0, normType);
      await expectClipped(params, grads, norm * 1.5, normType);
      for (const p of params) p.dispose();
    });

    it(`scales gradients above the threshold by maxNorm / (norm + 1e-6) (${normType}-norm)`, async () => {
      const { params, grads } = parametersWithGrads(2, 3);
      await expectClipped(params, grads, 0.5, normType);
      for (const p of params) p.dispose();
    });
  }

  it('returns 0 and leaves all-zero gradients at 0', async () => {
    const { params, grads } = parametersWithGrads(3, 0);
    await expectClipped(params, grads, 1, 2);
    for (const p of params) p.dispose();
  });

  it('skips parameters without a gradient, and returns 0 when none has one', async () => {
    const { params, grads } = parametersWithGrads(4, 2);
    params[1].grad!.dispose();
    params[1].grad = null;
    await expectClipped([params[0], ...params.slice(2)], [grads[0], ...grads.slice(2)], 1, 2);
    const alone = gg.optim.clipGradNorm(params[1], 1);
    expect(await alone.item()).toBe(0);
    alone.dispose();
    for (const p of params) p.dispose();
  });

  it('counts gradients that share a buffer in the norm but scales that buffer once', async () => {
    const a = gg.zeros([2, 3]).requiresGrad_();
    const b = gg.zeros([6]).requiresGrad_();
    a.grad = gg.tensor([[3, 0, 0], [0, 0, 0]]);
    b.grad = a.grad.reshape([6]);
    const norm = gg.optim.clipGradNorm([a, b], 1);
    expectClose([await norm.item()], [Math.sqrt(18)], 1e-6, 1e-6, 'norm');
    expectClose(await b.grad.data(), [3 / (Math.sqrt(18) + 1e-6), 0, 0, 0, 0, 0], 1e-7, 1e-6, 'shared gradient');
    for (const t of [norm, a, b]) t.dispose();
  });

  it('frees its temporaries', () => {
    const rt = gg.runtime();
    const { params } = parametersWithGrads(5, 1);
    const before = rt.memory().liveBuffers;
    gg.optim.clipGradNorm(params, 1).dispose();
    expect(rt.memory().liveBuffers).toBe(before);
    for (const p of params) p.dispose();
  });

  it('names bad arguments', () => {
    const p = gg.zeros([3]).requiresGrad_();
    p.grad = gg.ones([3]);
    expect(() => gg.optim.clipGradNorm([p], 1, { normType: 1 })).toThrow(/clipGradNorm: normType 1 is not supported/);
    expect(() => gg.optim.clipGradNorm([p], -1)).toThrow(/clipGradNorm: maxNorm must be a number >= 0, got -1/);
    p.dispose();
  });
});

describe('clipGradValue', () => {
  it('clamps every gradient in place into [-clipValue, clipValue], NaN staying NaN, reading nothing back', async () => {
    const rt = gg.runtime();
    const { params, grads } = parametersWithGrads(6, 2);
    grads[2][5] = NaN;
    params[2].grad!.dispose();
    params[2].grad = gg.tensor(Float32Array.from(grads[2]));
    // A gradient shared with another parameter (a reshape view) is clamped once, with the same result.
    const view = gg.zeros([1, 3]).requiresGrad_();
    view.grad = params[1].grad!.reshape([1, 3]);
    const before = rt.memory().liveBuffers;
    const readbacks = rt.counters.readbacks;
    gg.optim.clipGradValue([...params, view], 0.75);
    expect(rt.counters.readbacks, 'clipGradValue reads nothing back').toBe(readbacks);
    expect(rt.memory().liveBuffers, 'no temporaries left').toBe(before);
    for (const [k, p] of params.entries()) {
      expectClose(await p.grad!.data(), grads[k].map((g) => (Number.isNaN(g) ? NaN : Math.min(0.75, Math.max(-0.75, g)))), 0, 0, `gradient ${k}`);
    }
    expectClose(await view.grad.data(), grads[1].map((g) => Math.min(0.75, Math.max(-0.75, g))), 0, 0, 'shared gradient');
    for (const p of [...params, view]) p.dispose();
  });

  it('skips parameters without a gradient and names a bad clipValue', () => {
    const p = gg.zeros([3]).requiresGrad_();
    gg.optim.clipGradValue(p, 1);
    expect(p.grad).toBe(null);
    expect(() => gg.optim.clipGradValue([p], -1)).toThrow('clipGradValue: clipValue must be a number >= 0, got -1');
    expect(() => gg.optim.clipGradValue([p], NaN)).toThrow('clipGradValue: clipValue must be a number >= 0, got NaN');
    p.dispose();
  });
});
