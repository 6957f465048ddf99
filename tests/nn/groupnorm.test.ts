// The GroupNorm module against float64: forward values and the gradients of the input, weight and
// bias (finite differences) with random parameters, with and without affine; PyTorch's init
// (weight 1, bias 0) and state-dict keys; constructor and forward errors; and no buffer left behind.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { groupNormRef } from '../helpers/op-references.js';
import { checkModule } from './helpers.js';

const { nn } = gg;

describe('GroupNorm', () => {
  it('values and gradients of input, weight and bias with random parameters (rank 2, 3 and 4, N = 1 and 3)', async () => {
    const cases: [number, number, number[]][] = [[3, 6, [1, 6, 5, 7]], [3, 6, [3, 6, 2, 3]], [2, 4, [2, 4, 9]], [1, 5, [3, 5]]];
    for (const [i, [groups, channels, input]] of cases.entries()) {
      const layer = new nn.GroupNorm(groups, channels);
      const generator = new gg.Generator(i);
      for (const p of layer.parameters()) nn.init.uniform(p, -1, 1, { generator });
      await checkModule({ module: layer, inputs: [input], seed: i, ref: ([x], p) => groupNormRef(x, groups, p.weight, p.bias, 1e-5), gradAtol: 2e-4, gradRtol: 2e-3 });
      layer.dispose();
    }
  });

  it('without affine it has no parameters, and eps reaches the kernel', async () => {
    const layer = new nn.GroupNorm(2, 4, { affine: false, eps: 1e-2 });
    expect(layer.weight).toBeNull();
    expect(layer.bias).toBeNull();
    expect(layer.parameters()).toHaveLength(0);
    await checkModule({ module: layer, inputs: [[2, 4, 3]], range: [-0.2, 0.2], ref: ([x]) => groupNormRef(x, 2, null, null, 1e-2) });
    layer.dispose();
  });

  it("has PyTorch's init and parameter names", async () => {
    const layer = new nn.GroupNorm(3, 6);
    expect(layer.namedParameters().map(([k]) => k)).toEqual(['weight', 'bias']);
    expect(Object.keys(layer.stateDict())).toEqual(['weight', 'bias']);
    expect([...(await layer.weight!.data())]).toEqual([1, 1, 1, 1, 1, 1]);
    expect([...(await layer.bias!.data())]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(String(layer)).toBe('GroupNorm(3, 6, eps=0.00001, affine=true)');
    layer.dispose();
  });

  it('names the layer, the shapes and the dtype in its errors', () => {
    expect(() => new nn.GroupNorm(4, 6)).toThrow(/^GroupNorm: numChannels 6 must be divisible by numGroups 4$/);
    expect(() => new nn.GroupNorm(0, 6)).toThrow(/^GroupNorm: numGroups must be a positive integer, got 0$/);
    expect(() => new nn.GroupNorm(2, 4, { eps: NaN })).toThrow(/^GroupNorm: eps must be a finite number >= 0, got NaN$/);
    const layer = new nn.GroupNorm(2, 4);
    const wrongChannels = gg.zeros([2, 6, 3]);
    const integers = gg.zeros([2, 4, 3], { dtype: 'i32' });
    expect(() => layer.forward(wrongChannels)).toThrow(/^groupNorm: weight must have shape \[6\], got \[4\] \(inputs: \[2, 6, 3\] f32, \[4\] f32, \[4\] f32\)$/);
    expect(() => layer.forward(integers)).toThrow(/^groupNorm: expected dtype f32, got i32 \(inputs: \[2, 4, 3\] i32\)$/);
    for (const t of [wrongChannels, integers]) t.dispose();
    layer.dispose();
  });

  it('run without a graph outside any scope, leaves only its output', () => {
    const layer = new nn.GroupNorm(2, 4);
    const x = gg.randn([2, 4, 5, 5], { generator: new gg.Generator(3) });
    const before = gg.runtime().memory().liveBuffers;
    const out = gg.noGrad(() => layer.forward(x));
    expect(gg.runtime().memory().liveBuffers).toBe(before + 1);
    for (const t of [out, x]) t.dispose();
    layer.dispose();
  });
});
