// Nearest-neighbour upsampling (nn.functional.interpolate, nn.Upsample) against a float64 reference:
// values and finite-difference gradients over 1 to 3 spatial dimensions with odd sizes, factors
// given per dimension or as a size; the gradient exactly the sum over each block; integer inputs;
// the module form; errors naming the op, the shapes and the dtype; live buffers back to baseline.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { ref, unravel, type Ref } from '../helpers/reference.js';

const { nn } = gg;
const { interpolate } = nn.functional;

/** out[n, c, i, j, ..] = x[n, c, floor(i / s0), floor(j / s1), ..]. */
function nearestRef(x: Ref, factors: number[]): Ref {
  const shape = x.shape.map((d, i) => (i < 2 ? d : d * factors[i - 2]));
  return ref(shape, (i) => {
    const source = unravel(i, shape).map((c, d) => (d < 2 ? c : Math.floor(c / factors[d - 2])));
    return x.data[source.reduce((flat, c, d) => flat * x.shape[d] + c, 0)];
  });
}

describe('interpolate (nearest)', () => {
  // [input shape, options, factors the reference uses]
  const cases: [number[], gg.nn.functional.InterpolateOptions, number[]][] = [
    [[1, 2, 3, 4], { scaleFactor: 2 }, [2, 2]],
    [[3, 1, 5, 7], { scaleFactor: [3, 2], mode: 'nearest' }, [3, 2]],
    [[1, 3, 5, 7], { size: [10, 7] }, [2, 1]],
    [[2, 3, 5], { scaleFactor: 3 }, [3]],
    [[2, 2, 3], { size: 6 }, [2]],
    [[1, 2, 2, 3, 2], { scaleFactor: [2, 1, 3] }, [2, 1, 3]],
    [[1, 1, 2, 2], { scaleFactor: 1 }, [1, 1]],
  ];
  it('values and gradients against float64', async () => {
    for (const [i, [shape, options, factors]] of cases.entries()) {
      await checkOp({ inputs: [shape], seed: i, gpu: (x) => interpolate(x, options), ref: (x) => nearestRef(x, factors) });
    }
  });

  it('the gradient of each input value is exactly the sum of its block', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = gg.zeros([2, 3, 5, 7], { requiresGrad: true });
    // Integer gradients: their block sums are exact in f32, whatever the order of summation.
    const g = ref([2, 3, 10, 21], (i) => (i * 7919) % 23 - 11);
    const sums = new Float64Array(x.size);
    g.data.forEach((v, i) => {
      const [n, c, h, w] = unravel(i, g.shape);
      sums[((n * 3 + c) * 5 + Math.floor(h / 2)) * 7 + Math.floor(w / 3)] += v;
    });
    const gradient = gg.tensor(Float32Array.from(g.data), g.shape);
    gg.scope(() => interpolate(x, { scaleFactor: [2, 3] }).backward(gradient));
    expect([...(await x.grad!.data())]).toEqual([...sums]);
    for (const t of [x, gradient]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('upsamples integer tensors too (a label map)', async () => {
    const labels = gg.tensor(Int32Array.from([1, 2, 3, 4]), [1, 1, 2, 2]);
    const up = interpolate(labels, { scaleFactor: 2 });
    expect(up.dtype).toBe('i32');
    expect([...(await up.data())]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    for (const t of [labels, up]) t.dispose();
  });

  it('names the op, the shapes and the dtype in its errors', () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = gg.zeros([2, 3, 4, 5]);
    const flat = gg.zeros([3, 4]);
    expect(() => interpolate(x, { scaleFactor: 1.5 })).toThrow(/^interpolate: scaleFactor must be a positive integer or a list of them \(mode 'nearest' upsamples by whole factors\), got 1\.5$/);
    expect(() => interpolate(x, { size: [6, 10] })).toThrow(/^interpolate: size \[6, 10\] must be a whole multiple of the input's spatial size \[4, 5\] .*\(inputs: \[2, 3, 4, 5\] f32\)$/);
    expect(() => interpolate(x, { scaleFactor: [2, 2, 2] })).toThrow(/^interpolate: scaleFactor \[2, 2, 2\] must have one entry per spatial dimension \(2\) \(inputs: \[2, 3, 4, 5\] f32\)$/);
    expect(() => interpolate(x, { scaleFactor: 2, size: 8 })).toThrow(/^interpolate: give exactly one of size and scaleFactor$/);
    expect(() => interpolate(x, {})).toThrow(/^interpolate: give exactly one of size and scaleFactor$/);
    expect(() => interpolate(x, { scaleFactor: 2, mode: 'bilinear' as 'nearest' })).toThrow(/^interpolate: mode 'bilinear' is not supported \(only 'nearest'\)$/);
    expect(() => interpolate(flat, { scaleFactor: 2 })).toThrow(/^interpolate: expected an input of shape \[N, C, \.\.\.spatial\] with 1 to 3 spatial dimensions, got rank 2 \(inputs: \[3, 4\] f32\)$/);
    for (const t of [x, flat]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});

describe('Upsample', () => {
  it('is interpolate as a module, with no parameters', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = gg.tensor(Float32Array.from({ length: 12 }, (_, i) => i), [1, 2, 2, 3]);
    const bySize = new nn.Upsample({ size: [4, 6] });
    const byFactor = new nn.Upsample({ scaleFactor: 2, mode: 'nearest' });
    expect(bySize.parameters()).toHaveLength(0);
    expect(String(bySize)).toBe("Upsample(size=[4, 6], mode='nearest')");
    expect(String(byFactor)).toBe("Upsample(scaleFactor=2, mode='nearest')");
    const outs = gg.scope(() => [bySize.forward(x), byFactor.forward(x)]);
    const expected = nearestRef(ref([1, 2, 2, 3], (i) => i), [2, 2]);
    for (const out of outs) {
      expect(out.shape).toEqual([1, 2, 4, 6]);
      expect([...(await out.data())]).toEqual([...expected.data]);
    }
    for (const t of [x, ...outs]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('checks its options when it is built', () => {
    expect(() => new nn.Upsample({})).toThrow(/^Upsample: give exactly one of size and scaleFactor$/);
    expect(() => new nn.Upsample({ scaleFactor: 0 })).toThrow(/^Upsample: scaleFactor must be a positive integer or a list of them .*got 0$/);
    expect(() => new nn.Upsample({ size: [4, 2.5] })).toThrow(/^Upsample: size must be a positive integer or a list of them .*got \[4, 2\.5\]$/);
    expect(() => new nn.Upsample({ scaleFactor: 2, mode: 'bicubic' as 'nearest' })).toThrow(/^Upsample: mode 'bicubic' is not supported/);
  });
});
