// Convolution and pooling against plain float64 loops: values on small odd shapes (stride, padding,
// dilation, groups, depthwise, 1x1, kernels larger than the input), finite-difference gradients for
// every input, second derivatives through the backward ops (as WGAN-GP's penalty needs), pooling
// ties, and the error messages.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { conv2dRef, conv2dWeightGradRef, convTranspose2dRef, maxPoolIndicesRef, poolRef, type Geometry, type Pair } from '../helpers/op-references.js';
import { map, ref, type Ref } from '../helpers/reference.js';

interface ConvCase {
  x: number[];
  w: number[];
  bias?: boolean;
  options?: gg.ConvTranspose2dOptions;
}

/** Values equal to a few float32 ulps. */
const expectCloseTo = (actual: number[], expected: number[]) => expectClose(actual, expected, 1e-6, 1e-6, 'values');

const pair = (v: gg.Size2d | undefined, fallback: number): Pair =>
  v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
const geometryOf = (o: gg.Conv2dOptions = {}): Geometry => ({
  stride: pair(o.stride, 1),
  padding: pair(o.padding, 0),
  dilation: pair(o.dilation, 1),
  groups: o.groups ?? 1,
});

// ---- float64 references of the backward ops (the others: ../helpers/op-references.ts) ------------

/** Pooling's input gradient for output gradient dy: to each window's first maximum, or shared evenly. */
function refPoolInputGrad(x: Ref, dy: Ref, kind: 'max' | 'avg', kernel: Pair, stride: Pair, padding: Pair): Ref {
  const [n, c, h, wd] = x.shape;
  const [, , oh, ow] = dy.shape;
  const out = ref(x.shape, () => 0);
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < oh; y++)
      for (let z = 0; z < ow; z++) {
        const g = dy.data[(p * oh + y) * ow + z];
        let best = -Infinity;
        let bestAt = -1;
        for (let i = 0; i < kernel[0]; i++)
          for (let j = 0; j < kernel[1]; j++) {
            const iy = y * stride[0] - padding[0] + i;
            const iz = z * stride[1] - padding[1] + j;
            if (iy < 0 || iy >= h || iz < 0 || iz >= wd) continue;
            const at = (p * h + iy) * wd + iz;
            if (kind === 'avg') out.data[at] += g / (kernel[0] * kernel[1]);
            else if (x.data[at] > best) [best, bestAt] = [x.data[at], at];
          }
        if (kind === 'max') out.data[bestAt] += g;
      }
  return out;
}

// ---- cases ---------------------------------------------------------------------------------------

const convCases: [string, ConvCase][] = [
  ['plain 3x3 with bias', { x: [2, 3, 7, 5], w: [4, 3, 3, 3], bias: true }],
  ['stride 2, padding 1', { x: [2, 3, 7, 5], w: [4, 3, 3, 3], bias: true, options: { stride: 2, padding: 1 } }],
  ['dilation 2, padding [2, 1]', { x: [1, 3, 7, 5], w: [5, 3, 3, 3], options: { dilation: 2, padding: [2, 1] } }],
  ['groups 3', { x: [2, 6, 7, 5], w: [6, 2, 3, 3], bias: true, options: { groups: 3, padding: 1 } }],
  ['depthwise, stride [2, 1]', { x: [2, 3, 7, 5], w: [3, 1, 3, 3], bias: true, options: { groups: 3, stride: [2, 1], padding: 1 } }],
  ['1x1', { x: [2, 3, 7, 5], w: [5, 3, 1, 1], bias: true }],
  ['kernel larger than the input, padded', { x: [1, 2, 2, 3], w: [3, 2, 5, 5], bias: true, options: { padding: 2 } }],
  ['2x4 kernel, stride [1, 3], no bias', { x: [2, 2, 5, 9], w: [3, 2, 2, 4], options: { stride: [1, 3], padding: [0, 2] } }],
  ['12 output channels from 10: a full and a partial block of 8', { x: [1, 10, 3, 5], w: [12, 10, 2, 2], bias: true, options: { padding: [1, 0] } }],
  ['DCGAN discriminator layer (k4 s2 p1)', { x: [2, 2, 10, 10], w: [8, 2, 4, 4], bias: true, options: { stride: 2, padding: 1 } }],
];

const transposeCases: [string, ConvCase][] = [
  ['plain 3x3 with bias', { x: [2, 3, 4, 5], w: [3, 4, 3, 3], bias: true }],
  ['stride 2, padding 1, outputPadding 1', { x: [2, 3, 4, 3], w: [3, 2, 3, 3], bias: true, options: { stride: 2, padding: 1, outputPadding: 1 } }],
  ['stride 3, dilation 2, outputPadding [2, 1]', { x: [1, 2, 3, 4], w: [2, 3, 3, 2], options: { stride: 3, dilation: 2, outputPadding: [2, 1] } }],
  ['dilation 2 with outputPadding 1 at stride 1', { x: [1, 2, 4, 3], w: [2, 3, 3, 3], bias: true, options: { dilation: 2, outputPadding: 1 } }],
  ['groups 3', { x: [2, 6, 3, 4], w: [6, 2, 3, 3], bias: true, options: { groups: 3, padding: 1 } }],
  ['depthwise, stride 2', { x: [1, 3, 4, 4], w: [3, 1, 3, 3], options: { groups: 3, stride: 2 } }],
  ['1x1, stride 2', { x: [2, 3, 3, 5], w: [3, 5, 1, 1], bias: true, options: { stride: 2 } }],
  ['12 output channels, stride [2, 3]', { x: [1, 5, 3, 2], w: [5, 12, 3, 3], bias: true, options: { stride: [2, 3], padding: 1 } }],
  ['DCGAN generator: latent to 4x4 (k4 s1 p0)', { x: [2, 6, 1, 1], w: [6, 8, 4, 4], bias: true }],
  ['DCGAN generator: 4x4 to 8x8 (k4 s2 p1)', { x: [2, 8, 4, 4], w: [8, 4, 4, 4], bias: true, options: { stride: 2, padding: 1 } }],
  ['DCGAN generator: 8x8 to one 16x16 channel (k4 s2 p1)', { x: [2, 4, 8, 8], w: [4, 1, 4, 4], options: { stride: 2, padding: 1 } }],
];

function inputsOf(c: ConvCase, outChannels: number): number[][] {
  return c.bias ? [c.x, c.w, [outChannels]] : [c.x, c.w];
}

/** The cases a variant serves (im2col needs groups = 1), with the variant forced. */
function forVariant(cases: [string, ConvCase][], variant: gg.ConvVariant): [string, ConvCase][] {
  return cases
    .filter(([, c]) => variant === 'direct' || (c.options?.groups ?? 1) === 1)
    .map(([name, c]) => [`${variant}: ${name}`, { ...c, options: { ...c.options, variant } }]);
}

describe('conv2d', () => {
  for (const [name, c] of gg.convVariants.flatMap((v) => forVariant(convCases, v))) {
    it(name, async () => {
      await checkOp({
        inputs: inputsOf(c, c.w[0]),
        gpu: (x, w, b) => gg.conv2d(x, w, b ?? null, c.options),
        ref: (x, w, b) => conv2dRef(x, w, b ?? null, geometryOf(c.options)),
      });
    });
  }
  it('is also a Tensor method', async () => {
    await checkOp({
      inputs: [[1, 2, 5, 4], [3, 2, 3, 3], [3]],
      gpu: (x, w, b) => x.conv2d(w, b, { padding: 1 }),
      ref: (x, w, b) => conv2dRef(x, w, b, geometryOf({ padding: 1 })),
    });
  });
});

describe('convTranspose2d', () => {
  for (const [name, c] of gg.convVariants.flatMap((v) => forVariant(transposeCases, v))) {
    it(name, async () => {
      const outputPadding = pair(c.options?.outputPadding, 0);
      await checkOp({
        inputs: inputsOf(c, c.w[1] * (c.options?.groups ?? 1)),
        gpu: (x, w, b) => gg.convTranspose2d(x, w, b ?? null, c.options),
        ref: (x, w, b) => convTranspose2dRef(x, w, b ?? null, geometryOf(c.options), outputPadding),
      });
    });
  }
  it('is also a Tensor method', async () => {
    await checkOp({
      inputs: [[1, 2, 3, 3], [2, 3, 4, 4]],
      gpu: (x, w) => x.convTranspose2d(w, null, { stride: 2, padding: 1 }),
      ref: (x, w) => convTranspose2dRef(x, w, null, geometryOf({ stride: 2, padding: 1 }), [0, 0]),
    });
  });
});

describe('conv2dWeightGrad', () => {
  const cases: [string, number[], number[], Pair, gg.Conv2dOptions][] = [
    ['stride 2, padding 1', [2, 3, 7, 5], [2, 4, 4, 3], [3, 3], { stride: 2, padding: 1 }],
    ['dilation 2, groups 3', [2, 6, 7, 5], [2, 3, 3, 1], [3, 3], { dilation: 2, groups: 3 }],
    ['10 input and 6 output channels: partial blocks', [2, 10, 4, 5], [2, 6, 4, 5], [3, 3], { padding: 1 }],
    ['few weights, long reduction: split in chunks summed after', [1, 1, 24, 23], [1, 2, 23, 22], [2, 2], {}],
  ];
  const variantCases = gg.convVariants.flatMap((variant) => cases
    .filter(([, , , , options]) => variant === 'direct' || (options.groups ?? 1) === 1)
    .map(([name, x, dy, kernel, options]) => [`${variant}: ${name}`, x, dy, kernel, { ...options, variant }] as const));
  for (const [name, x, dy, kernel, options] of variantCases) {
    it(name, async () => {
      await checkOp({
        inputs: [x, dy],
        gpu: (a, b) => gg.conv2dWeightGrad(a, b, kernel, options),
        ref: (a, b) => conv2dWeightGradRef(a, b, kernel, geometryOf(options)),
        atol: 1e-4,
      });
    });
  }
});

describe('second derivatives (gradient penalties)', () => {
  it('conv2d: d/dx and d/dw of the input gradient of sum(conv2d(x, w)^2)', async () => {
    const options = { stride: 2, padding: 1, groups: 2 };
    const g = geometryOf(options);
    await checkOp({
      inputs: [[2, 4, 5, 6], [4, 2, 3, 3]],
      gpu: (x, w) => gg.grad(gg.conv2d(x, w, null, options).square().sum(), [x], undefined, { createGraph: true })[0],
      // d/dx sum(y^2) = convTranspose(2 y, w), with outputPadding to land on x's size
      ref: (x, w) => convTranspose2dRef(map(conv2dRef(x, w, null, g), (v) => 2 * v), w, null, g, [0, 1]),
    });
  });
  it('convTranspose2d: d/dx and d/dw of the input gradient of sum(convTranspose2d(x, w)^2)', async () => {
    const options = { stride: 2, padding: 1 };
    const g = geometryOf(options);
    await checkOp({
      inputs: [[1, 3, 3, 4], [3, 2, 4, 4]],
      gpu: (x, w) => gg.grad(gg.convTranspose2d(x, w, null, options).square().sum(), [x], undefined, { createGraph: true })[0],
      ref: (x, w) => conv2dRef(map(convTranspose2dRef(x, w, null, g, [0, 0]), (v) => 2 * v), w, null, g),
    });
  });
  it('conv2d: d/dx and d/dw of the weight gradient', async () => {
    await checkOp({
      inputs: [[2, 2, 5, 5], [3, 2, 3, 3]],
      gpu: (x, w) => gg.grad(gg.conv2d(x, w).square().sum(), [w], undefined, { createGraph: true })[0],
      ref: (x, w) => conv2dWeightGradRef(x, map(conv2dRef(x, w, null, geometryOf()), (v) => 2 * v), [3, 3], geometryOf()),
      gradAtol: 2e-4,
    });
  });
  it('max and average pooling: the input gradient of sum(pool(x)^2)', async () => {
    for (const kind of ['max', 'avg'] as const) {
      const pool = (x: gg.Tensor) => (kind === 'max' ? gg.maxPool2d(x, 3, { stride: 2, padding: 1 }) : gg.avgPool2d(x, 3, { stride: 2, padding: 1 }));
      await checkOp({
        inputs: [[1, 2, 5, 6]],
        gpu: (x) => gg.grad(pool(x).square().sum(), [x], undefined, { createGraph: true })[0],
        ref: (x) => refPoolInputGrad(x, map(poolRef(x, kind, [3, 3], [2, 2], [1, 1]), (v) => 2 * v), kind, [3, 3], [2, 2], [1, 1]),
      });
    }
  });
  it('max pooling with dilation and ceil mode, average pooling in ceil mode: the input gradient of sum(pool(x)^2)', async () => {
    const settings: [Omit<gg.MaxPool2dOptions, 'returnIndices'>, 'max' | 'avg'][] = [
      [{ stride: 2, padding: 1, dilation: 2, ceilMode: true }, 'max'],
      [{ stride: 2, padding: 1, ceilMode: true }, 'avg'],
    ];
    for (const [options, kind] of settings) {
      const pool = (x: gg.Tensor) => (kind === 'max' ? gg.maxPool2d(x, 3, options) : gg.avgPool2d(x, 3, options));
      const poolOf = (x: Ref) => poolRef(x, kind, [3, 3], [2, 2], [1, 1], true, { dilation: kind === 'max' ? [2, 2] : [1, 1], ceilMode: true });
      await checkOp({
        inputs: [[1, 2, 6, 7]],
        gpu: (x) => gg.grad(pool(x).square().sum(), [x], undefined, { createGraph: true })[0],
        // d/dx sum(pool(x)^2) = pool'(x)^T (2 pool(x)), with pool' read off by finite differences of
        // the reference around x (exact: the window maxima are piecewise linear, the averages linear).
        ref: (x) => {
          const dy = map(poolOf(x), (v) => 2 * v);
          return ref(x.shape, (i) => {
            const step = 1e-3;
            const up = poolOf(ref(x.shape, (j) => x.data[j] + (j === i ? step : 0)));
            const down = poolOf(ref(x.shape, (j) => x.data[j] - (j === i ? step : 0)));
            return up.data.reduce((s, u, o) => s + ((u - down.data[o]) / (2 * step)) * dy.data[o], 0);
          });
        },
      });
    }
  });
});

describe('composed like a GAN', () => {
  const up = geometryOf({ stride: 2, padding: 1 });
  const leaky = (v: number) => (v > 0 ? v : 0.2 * v);
  it('generator layer into discriminator layer: gradients for the latent and both weights', async () => {
    await checkOp({
      inputs: [[2, 4, 3, 3], [4, 3, 4, 4], [5, 3, 4, 4]],
      gpu: (z, wg, wd) => gg.conv2d(gg.convTranspose2d(z, wg, null, up).tanh(), wd, null, up).leakyRelu(0.2),
      ref: (z, wg, wd) => map(conv2dRef(map(convTranspose2dRef(z, wg, null, up, [0, 0]), Math.tanh), wd, null, up), leaky),
    });
  });
  it("WGAN-GP: the gradient penalty sum(grad_x D(x)^2) differentiated by x and D's weights", async () => {
    const head = geometryOf();
    await checkOp({
      inputs: [[2, 2, 6, 6], [4, 2, 4, 4], [1, 4, 3, 3]],
      gpu: (x, w1, w2) => {
        // tanh rather than leakyRelu, so that the penalty depends on x smoothly (not only through w)
        const critic = gg.conv2d(gg.conv2d(x, w1, null, up).tanh(), w2).sum();
        const [gx] = gg.grad(critic, [x], undefined, { createGraph: true });
        return gx.square().sum();
      },
      ref: (x, w1, w2) => {
        const h = conv2dRef(x, w1, null, up);
        const ones = ref([2, 1, 1, 1], () => 1);
        const dA = convTranspose2dRef(ones, w2, null, head, [0, 0]);
        const dH = ref(h.shape, (i) => dA.data[i] * (1 - Math.tanh(h.data[i]) ** 2));
        const gx = convTranspose2dRef(dH, w1, null, up, [0, 0]);
        return ref([], () => gx.data.reduce((t, v) => t + v * v, 0));
      },
      gradAtol: 2e-4,
    });
  });
});

describe('pooling', () => {
  const poolCases: [string, number[], Pair, gg.AvgPool2dOptions][] = [
    ['2x2, default stride', [2, 3, 7, 5], [2, 2], {}],
    ['3x3, stride 2, padding 1', [2, 3, 7, 5], [3, 3], { stride: 2, padding: 1 }],
    ['overlapping 2x3, stride [1, 2]', [1, 2, 5, 7], [2, 3], { stride: [1, 2] }],
    ['3x3, stride 1, padding 1, no padding in the count', [1, 2, 4, 5], [3, 3], { stride: 1, padding: 1, countIncludePad: false }],
  ];
  for (const [name, shape, kernel, options] of poolCases) {
    const stride = options.stride === undefined ? kernel : pair(options.stride, 1);
    const padding = pair(options.padding, 0);
    it(`maxPool2d ${name}`, async () => {
      await checkOp({ inputs: [shape], gpu: (x) => gg.maxPool2d(x, kernel, options), ref: (x) => poolRef(x, 'max', kernel, stride, padding) });
    });
    it(`avgPool2d ${name}`, async () => {
      await checkOp({
        inputs: [shape],
        gpu: (x) => x.avgPool2d(kernel, options),
        ref: (x) => poolRef(x, 'avg', kernel, stride, padding, options.countIncludePad ?? true),
      });
    });
  }

  // Max pooling's dilation and ceil mode, odd sizes; ceil mode's last window reaches past the padding.
  const maxCases: [string, number[], Pair, Omit<gg.MaxPool2dOptions, 'returnIndices'>][] = [
    ['3x3, dilation 2', [2, 2, 9, 7], [3, 3], { stride: 1, dilation: 2 }],
    ['2x3, dilation [3, 2], padding 1, stride 2', [1, 3, 8, 9], [2, 3], { stride: 2, padding: 1, dilation: [3, 2] }],
    ['2x2, ceil mode', [2, 3, 7, 5], [2, 2], { ceilMode: true }],
    ['3x3, stride 2, padding 1, ceil mode', [1, 2, 6, 8], [3, 3], { stride: 2, padding: 1, ceilMode: true }],
    ['3x2, stride [2, 3], dilation 2, ceil mode', [1, 2, 9, 10], [3, 2], { stride: [2, 3], dilation: 2, ceilMode: true }],
  ];
  for (const [name, shape, kernel, options] of maxCases) {
    const stride = options.stride === undefined ? kernel : pair(options.stride, 1);
    const padding = pair(options.padding, 0);
    const extras = { dilation: pair(options.dilation, 1), ceilMode: options.ceilMode };
    it(`maxPool2d ${name}`, async () => {
      await checkOp({ inputs: [shape], gpu: (x) => gg.maxPool2d(x, kernel, options), ref: (x) => poolRef(x, 'max', kernel, stride, padding, true, extras) });
    });
    it(`maxPool2d ${name}: returnIndices gives the values (with their gradient) and i32 indices into each plane`, async () => {
      await checkOp({ inputs: [shape], gpu: (x) => gg.maxPool2d(x, kernel, { ...options, returnIndices: true })[0], ref: (x) => poolRef(x, 'max', kernel, stride, padding, true, extras) });
      const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.7));
      const x = gg.tensor(values, shape);
      const before = gg.runtime().memory().liveBuffers;
      const [maxima, indices] = x.maxPool2d(kernel, { ...options, returnIndices: true });
      expect(indices.dtype).toBe('i32');
      expect(Array.from(await indices.data())).toEqual(Array.from(maxPoolIndicesRef(ref(shape, values), kernel, stride, padding, extras).data));
      maxima.dispose();
      indices.dispose();
      expect(gg.runtime().memory().liveBuffers).toBe(before);
      x.dispose();
    });
  }

  const avgCases: [string, number[], Pair, gg.AvgPool2dOptions][] = [
    ['2x2, ceil mode', [2, 3, 7, 5], [2, 2], { ceilMode: true }],
    ['3x3, stride 2, padding 1, ceil mode', [1, 2, 6, 8], [3, 3], { stride: 2, padding: 1, ceilMode: true }],
    ['3x3, stride 2, padding 1, ceil mode, no padding in the count', [1, 2, 6, 7], [3, 3], { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
    ['2x3, stride [3, 2], padding [1, 1], ceil mode', [2, 1, 8, 9], [2, 3], { stride: [3, 2], padding: [1, 1], ceilMode: true }],
  ];
  for (const [name, shape, kernel, options] of avgCases) {
    const stride = options.stride === undefined ? kernel : pair(options.stride, 1);
    const padding = pair(options.padding, 0);
    it(`avgPool2d ${name}`, async () => {
      await checkOp({
        inputs: [shape],
        gpu: (x) => gg.avgPool2d(x, kernel, options),
        ref: (x) => poolRef(x, 'avg', kernel, stride, padding, options.countIncludePad ?? true, { ceilMode: options.ceilMode }),
      });
    });
  }

  it("gives PyTorch's ceil-mode sizes and divisors", async () => {
    // Printed by PyTorch: F.avg_pool2d(ones(1, 1, 6, 6), 3, stride=2, padding=1, ceil_mode=True), and
    // F.avg_pool2d / F.max_pool2d(..., return_indices=True) of arange(25).view(1, 1, 5, 5), 2, ceil_mode=True.
    const ones = gg.ones([1, 1, 6, 6]);
    const averaged = gg.avgPool2d(ones, 3, { stride: 2, padding: 1, ceilMode: true });
    expect(averaged.shape).toEqual([1, 1, 4, 4]);
    const t = 4 / 9;
    const u = 6 / 9;
    expectCloseTo(Array.from(await averaged.data()), [t, u, u, 1 / 3, u, 1, 1, 0.5, u, 1, 1, 0.5, 1 / 3, 0.5, 0.5, 0.25]);
    const grid = gg.arange(0, 25, 1, { dtype: 'f32' }).reshape([1, 1, 5, 5]);
    const corners = gg.avgPool2d(grid, 2, { ceilMode: true });
    expectCloseTo(Array.from(await corners.data()), [3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24]);
    const [maxima, at] = gg.maxPool2d(grid, 2, { ceilMode: true, returnIndices: true });
    expect(Array.from(await maxima.data())).toEqual([6, 8, 9, 16, 18, 19, 21, 23, 24]);
    expect(Array.from(await at.data())).toEqual([6, 8, 9, 16, 18, 19, 21, 23, 24]);
    for (const tensor of [ones, averaged, grid, corners, maxima, at]) tensor.dispose();
  });

  it('maxPool2d sends the gradient of a tie to the first maximum of each window', async () => {
    const x = gg.zeros([1, 1, 4, 4], { requiresGrad: true });
    gg.scope(() => gg.maxPool2d(x, 2).sum().backward());
    expect(Array.from(await x.grad!.data())).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    x.dispose();
    // Overlapping windows over a constant: every window picks its top-left tap, and they add up.
    const y = gg.full([1, 1, 3, 3], 2, { requiresGrad: true });
    gg.scope(() => gg.maxPool2d(y, 2, { stride: 1 }).sum().backward());
    expect(Array.from(await y.grad!.data())).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
    y.dispose();
  });
});

describe('argument errors name the op and the shapes', () => {
  const f32 = (shape: number[]) => gg.zeros(shape);
  const cases: [string, () => unknown, RegExp][] = [
    ['conv2d rank', () => gg.conv2d(f32([3, 7, 5]), f32([4, 3, 3, 3])), /^conv2d: expected input of rank 4 \(N, C, H, W\), got \[3, 7, 5\]/],
    ['conv2d weight rank', () => gg.conv2d(f32([2, 3, 7, 5]), f32([4, 3, 3])), /^conv2d: expected weight of rank 4 \(O, C\/groups, kH, kW\), got \[4, 3, 3\]/],
    ['conv2d channels', () => gg.conv2d(f32([2, 3, 7, 5]), f32([4, 2, 3, 3])), /^conv2d: weight expects 2 input channels .* but the input has 3 \(inputs: \[2, 3, 7, 5\] f32, \[4, 2, 3, 3\] f32\)/],
    ['conv2d groups', () => gg.conv2d(f32([2, 4, 7, 5]), f32([6, 2, 3, 3]), null, { groups: 3 }), /^conv2d: groups = 3 must divide the input channels \(4\) and the output channels \(6\)/],
    ['conv2d output size', () => gg.conv2d(f32([1, 1, 2, 2]), f32([1, 1, 3, 3])), /^conv2d: output size 0x0 is not positive \(input 2x2 with padding \[0, 0\] is smaller than the dilated kernel 3x3\)/],
    ['conv2d dtype', () => gg.conv2d(gg.zeros([1, 1, 3, 3], { dtype: 'i32' }), f32([1, 1, 3, 3])), /^conv2d: expected dtype f32, got i32 \(inputs: \[1, 1, 3, 3\] i32\)/],
    ['conv2d bias', () => gg.conv2d(f32([1, 2, 3, 3]), f32([4, 2, 1, 1]), f32([3])), /^conv2d: expected bias of shape \[4\] .* got \[3\]/],
    ['conv2d stride', () => gg.conv2d(f32([1, 2, 3, 3]), f32([4, 2, 1, 1]), null, { stride: 0 }), /^conv2d: stride must be an integer >= 1 .* got 0/],
    ['convTranspose2d rank', () => gg.convTranspose2d(f32([3, 4, 4]), f32([3, 2, 3, 3])), /^convTranspose2d: expected input of rank 4 \(N, C, H, W\), got \[3, 4, 4\]/],
    ['convTranspose2d channels', () => gg.convTranspose2d(f32([1, 3, 4, 4]), f32([2, 2, 3, 3])), /^convTranspose2d: weight has 2 input channels .* the input has 3/],
    ['convTranspose2d outputPadding', () => gg.convTranspose2d(f32([1, 2, 4, 4]), f32([2, 2, 3, 3]), null, { stride: 2, outputPadding: 2 }), /^convTranspose2d: outputPadding \[2, 2\] must be smaller than stride \[2, 2\] or dilation \[1, 1\]/],
    ['convTranspose2d output size', () => gg.convTranspose2d(f32([1, 2, 1, 1]), f32([2, 2, 1, 1]), null, { padding: 1 }), /^convTranspose2d: output size -1x-1 is not positive/],
    ['conv2dWeightGrad shapes', () => gg.conv2dWeightGrad(f32([1, 2, 5, 5]), f32([1, 3, 4, 4]), 3), /^conv2dWeightGrad: output gradient must have shape \[1, O, 3, 3\] .* got \[1, 3, 4, 4\]/],
    ['maxPool2d rank', () => gg.maxPool2d(f32([4, 4]), 2), /^maxPool2d: expected input of rank 4 \(N, C, H, W\), got \[4, 4\]/],
    ['maxPool2d padding', () => gg.maxPool2d(f32([1, 1, 4, 4]), 2, { padding: 2 }), /^maxPool2d: padding \[2, 2\] must be at most half the kernel size \[2, 2\]/],
    ['maxPool2d empty image', () => gg.maxPool2d(f32([1, 1, 0, 4]), 2, { padding: 1 }), /^maxPool2d: expected a non-empty image, got 0x4/],
    ['avgPool2d output size', () => gg.avgPool2d(f32([1, 1, 2, 2]), 3), /^avgPool2d: output size 0x0 is not positive/],
    ['maxPool2d dilated output size', () => gg.maxPool2d(f32([1, 1, 4, 4]), 2, { dilation: 4 }), /^maxPool2d: output size 0x0 is not positive \(input 4x4 with padding \[0, 0\] is smaller than the dilated kernel 5x5\)/],
    ['maxPool2d dilation 0', () => gg.maxPool2d(f32([1, 1, 4, 4]), 2, { dilation: 0 }), /^maxPool2d: dilation must be an integer >= 1/],
    ['maxPool2d window over padding only', () => gg.maxPool2d(f32([1, 1, 2, 2]), 2, { padding: 1, dilation: 3 }), /^maxPool2d: window 0 along the height has no tap inside the input \(padding \[1, 1\], dilation \[3, 3\]\)/],
  ];
  it('rejects bad arguments', () => {
    for (const [name, run, message] of cases) gg.scope(() => expect(run, name).toThrow(message));
  });
});
