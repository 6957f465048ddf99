// conv1d and nn.Conv1d against a float64 1-D convolution: stride, padding, dilation, groups, bias or
// none, batched and unbatched inputs; gradients of the input, the weight and the bias by finite
// differences (checkOp for the function, checkModule for the layer); PyTorch's weight layout and
// init bound; and the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { ref, type Ref } from '../helpers/reference.js';
import { checkModule } from './helpers.js';

const { nn } = gg;

interface Geometry1d {
  stride: number;
  padding: number;
  dilation: number;
  groups: number;
}

/** out[n, o, t] = b[o] + sum over c in o's group, k of x[n, c, t stride - padding + k dilation] w[o, c, k]. */
function conv1dRef(x: Ref, w: Ref, bias: Ref | null, { stride, padding, dilation, groups }: Geometry1d): Ref {
  const unbatched = x.shape.length === 2;
  const [n, c, length] = unbatched ? [1, ...x.shape] : x.shape;
  const [o, cg, k] = w.shape;
  const outLength = Math.floor((length + 2 * padding - dilation * (k - 1) - 1) / stride) + 1;
  const og = o / groups;
  const out = ref(unbatched ? [o, outLength] : [n, o, outLength], (i) => {
    const t = i % outLength;
    const oc = Math.floor(i / outLength) % o;
    const b = Math.floor(i / (outLength * o));
    const g = Math.floor(oc / og);
    let s = bias ? bias.data[oc] : 0;
    for (let ci = 0; ci < cg; ci++) {
      for (let j = 0; j < k; j++) {
        const at = t * stride - padding + j * dilation;
        if (at >= 0 && at < length) s += x.data[(b * c + g * cg + ci) * length + at] * w.data[(oc * cg + ci) * k + j];
      }
    }
    return s;
  });
  return out;
}

const cases: { input: number[]; weight: number[]; geometry: Geometry1d; bias: boolean }[] = [
  { input: [2, 3, 11], weight: [4, 3, 3], geometry: { stride: 1, padding: 0, dilation: 1, groups: 1 }, bias: true },
  { input: [1, 4, 13], weight: [6, 2, 3], geometry: { stride: 2, padding: 1, dilation: 1, groups: 2 }, bias: true },
  { input: [2, 3, 9], weight: [2, 3, 2], geometry: { stride: 1, padding: 2, dilation: 3, groups: 1 }, bias: false },
  { input: [3, 7], weight: [5, 3, 4], geometry: { stride: 3, padding: 1, dilation: 1, groups: 1 }, bias: true },
];

describe('conv1d', () => {
  for (const c of cases) {
    it(`${JSON.stringify(c.input)} * ${JSON.stringify(c.weight)} ${JSON.stringify(c.geometry)} bias ${c.bias}`, async () => {
      await checkOp({
        inputs: c.bias ? [c.input, c.weight, [c.weight[0]]] : [c.input, c.weight],
        gpu: (x, w, b) => gg.conv1d(x, w, b ?? null, c.geometry),
        ref: (x, w, b) => conv1dRef(x, w, b ?? null, c.geometry),
      });
    });
  }

  it('names the op and the shapes on bad input', () => {
    const x = gg.zeros([2, 3, 5]);
    const w = gg.zeros([4, 2, 3]);
    expect(() => gg.conv1d(x, w)).toThrow('conv1d: weight expects 2 input channels per group x 1 groups = 2 channels, but the input has 3 (inputs: [2, 3, 5] f32, [4, 2, 3] f32)');
    expect(() => x.conv1d(gg.zeros([4, 3]))).toThrow(/conv1d: weight must be \[O, C\/groups, k\], got rank 2/);
    expect(() => gg.conv1d(gg.zeros([5]), w)).toThrow(/conv1d: input must be \[N, C, L\] or unbatched \[C, L\], got rank 1/);
    x.dispose();
    w.dispose();
  });
});

describe('nn.Conv1d', () => {
  it('matches the reference for its input and every parameter, keys weight and bias', async () => {
    for (const [i, c] of cases.entries()) {
      const layer = new nn.Conv1d(c.weight[1] * c.geometry.groups, c.weight[0], c.weight[2], { ...c.geometry, bias: c.bias, generator: new gg.Generator(i) });
      expect(layer.weight.shape).toEqual(c.weight);
      expect(Object.keys(layer.stateDict())).toEqual(c.bias ? ['weight', 'bias'] : ['weight']);
      await checkModule({ module: layer, inputs: [c.input], seed: i, ref: ([x], p) => conv1dRef(x, p.weight, p.bias ?? null, c.geometry) });
      layer.dispose();
    }
  });

  it('uses PyTorch default init: bound 1/sqrt(in / groups * kernelSize)', async () => {
    const layer = new nn.Conv1d(8, 4, 5, { groups: 2, generator: new gg.Generator(2) });
    const bound = 1 / Math.sqrt((8 / 2) * 5);
    for (const p of [layer.weight, layer.bias!]) expect(Math.max(...(await p.data()).map(Math.abs))).toBeLessThanOrEqual(bound);
    // 80 weights drawn from U(-bound, bound): the largest is near the bound.
    expect(Math.max(...(await layer.weight.data()).map(Math.abs))).toBeGreaterThan(bound * 0.8);
    expect(String(layer)).toBe('Conv1d(8, 4, kernelSize=5, stride=1, padding=0, dilation=1, groups=2, bias=true)');
    expect(() => new nn.Conv1d(3, 4, 3, { groups: 2 })).toThrow(/Conv1d: inChannels 3 and outChannels 4 must both be divisible by groups 2/);
    expect(() => new nn.Conv1d(3, 4, 3, { padding: 0.5 })).toThrow('Conv1d: padding must be an integer >= 0, got 0.5');
    layer.dispose();
  });
});
