// nn.MaxPool2d and nn.AvgPool2d against the float64 pooling reference: values and finite-difference
// gradients with stride, padding, dilation and ceil mode, forwardWithIndices, a pooling layer inside
// a Sequential, how they print, and the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { maxPoolIndicesRef, poolRef } from '../helpers/op-references.js';
import { ref } from '../helpers/reference.js';
import { checkModule } from './helpers.js';

const { nn } = gg;

describe('pooling layers', () => {
  it('MaxPool2d: stride, padding, dilation and ceil mode', async () => {
    await checkModule({
      module: new nn.MaxPool2d(3, { stride: 2, padding: 1, dilation: 2, ceilMode: true }),
      inputs: [[2, 3, 8, 7]],
      ref: ([x]) => poolRef(x, 'max', [3, 3], [2, 2], [1, 1], true, { dilation: [2, 2], ceilMode: true }),
    });
  });

  it('AvgPool2d: a [height, width] kernel, ceil mode, padding left out of the count', async () => {
    await checkModule({
      module: new nn.AvgPool2d([3, 2], { stride: [2, 1], padding: [1, 0], ceilMode: true, countIncludePad: false }),
      inputs: [[1, 2, 6, 5]],
      ref: ([x]) => poolRef(x, 'avg', [3, 2], [2, 1], [1, 0], false, { ceilMode: true }),
    });
  });

  it('MaxPool2d.forwardWithIndices: the values and the i32 index of each maximum in its plane', async () => {
    const layer = new nn.MaxPool2d(2, { ceilMode: true });
    const values = Float32Array.from({ length: 2 * 5 * 5 }, (_, i) => Math.cos(i * 2.3));
    const x = gg.tensor(values, [1, 2, 5, 5]);
    const before = gg.runtime().memory().liveBuffers;
    const [maxima, indices] = layer.forwardWithIndices(x);
    const expected = ref([1, 2, 5, 5], values);
    expect(Array.from(await maxima.data())).toEqual(Array.from(poolRef(expected, 'max', [2, 2], [2, 2], [0, 0], true, { ceilMode: true }).data, Math.fround));
    expect(Array.from(await indices.data())).toEqual(Array.from(maxPoolIndicesRef(expected, [2, 2], [2, 2], [0, 0], { ceilMode: true }).data));
    maxima.dispose();
    indices.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
    x.dispose();
  });

  it('sits in a Sequential between convolutions', async () => {
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3, { padding: 1 }), new nn.MaxPool2d(2), new nn.AvgPool2d(2, { ceilMode: true }));
    const x = gg.ones([1, 1, 6, 6]);
    const y = gg.noGrad(() => model.forward(x));
    expect(y.shape).toEqual([1, 2, 2, 2]);
    for (const t of [x, y]) t.dispose();
    model.dispose();
  });

  it("prints its settings as PyTorch's repr does", () => {
    expect(String(new nn.MaxPool2d(2))).toBe('MaxPool2d(kernelSize=2, stride=2, padding=0, dilation=1, ceilMode=false)');
    expect(String(new nn.MaxPool2d([3, 2], { stride: 1, padding: [1, 0], dilation: 2, ceilMode: true }))).toBe(
      'MaxPool2d(kernelSize=[3, 2], stride=1, padding=[1, 0], dilation=2, ceilMode=true)',
    );
    expect(String(new nn.AvgPool2d(3, { stride: 2, countIncludePad: false }))).toBe('AvgPool2d(kernelSize=3, stride=2, padding=0, ceilMode=false, countIncludePad=false)');
  });

  it('names the op and the shapes on bad input', () => {
    expect(() => new nn.MaxPool2d(2, { returnIndices: true } as gg.nn.MaxPool2dLayerOptions)).toThrow('MaxPool2d: returnIndices is not an option here; call forwardWithIndices(x)');
    gg.scope(() => {
      expect(() => new nn.MaxPool2d(2).forward(gg.ones([1, 4, 4]))).toThrow('maxPool2d: expected input of rank 4 (N, C, H, W), got [1, 4, 4]');
      expect(() => new nn.AvgPool2d(2, { padding: 2 }).forward(gg.ones([1, 1, 4, 4]))).toThrow('avgPool2d: padding [2, 2] must be at most half the kernel size [2, 2]');
    });
  });
});
