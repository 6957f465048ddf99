// The SR evaluation protocol's arithmetic: MATLAB's bicubic imresize (weights worked out by hand, a
// numpy rewrite of MATLAB's algorithm in tests/fixtures/matlab-imresize.json, and the GPU resize against
// the float64 one), rgb2ycbcr both ways, and PSNR and SSIM against values computed here by their formulas.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import {
  cubicKernel,
  imresize,
  psnr,
  resamplingMatrix,
  resizeBicubic,
  resizeWeights,
  rgbToY,
  rgbToYCbCr,
  rgbToYCbCrTensor,
  rgbToYTensor,
  roundToUint8,
  ssim,
  shave,
  yCbCrToRgb,
  yCbCrToRgbTensor,
  type Plane,
  type ResizeTarget,
} from '../../src/models/sr/index.js';
import { expectClose } from '../helpers/check.js';

interface ResizeCase {
  height: number;
  width: number;
  scale?: [number, number];
  size?: [number, number];
  antialiasing?: boolean;
  input: number[];
  output: number[];
  outHeight: number;
  outWidth: number;
}
interface Fixture {
  imresize: ResizeCase[];
  protocol: { height: number; width: number; hr: number[]; lr: number[]; psnr: number; ssim: number };
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/matlab-imresize.json', import.meta.url), 'utf8')) as Fixture;

const plane = (height: number, width: number, values: ArrayLike<number>): Plane => ({ height, width, data: Float64Array.from(values) });

function randomPlane(height: number, width: number, seed: number, scale = 255): Plane {
  const random = new gg.data.SeededRandom(seed);
  return plane(height, width, Array.from({ length: height * width }, () => random.random() * scale));
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('bicubic imresize (MATLAB)', () => {
  it('has the Keys kernel with a = -0.5', () => {
    expect([0, 0.25, 0.75, 1, 1.25, 1.75, 2, 2.5].map(cubicKernel)).toEqual([1, 0.8671875, 0.2265625, 0, -0.0703125, -0.0234375, 0, 0]);
    expect(cubicKernel(-0.75)).toBe(cubicKernel(0.75));
  });

  it('doubles [a, b] as the formula gives by hand', () => {
    // u = x/2 + 1/4 for x = 1..4 is 0.75, 1.25, 1.75, 2.25; taps outside [1, 2] mirror back onto them.
    const [a, b] = [10, 50];
    const out = imresize(plane(1, 2, [a, b]), [1, 2]);
    expect(out.width).toBe(4);
    const expected = [1.09375 * a - 0.09375 * b, 0.796875 * a + 0.203125 * b, 0.203125 * a + 0.796875 * b, 1.09375 * b - 0.09375 * a];
    expect(maxAbsDifference(out.data, expected)).toBeLessThan(1e-12);
    // Columns go through the same weights: the transpose resizes to the transpose.
    const column = imresize(plane(2, 1, [a, b]), [2, 1]);
    expect(maxAbsDifference(column.data, expected)).toBeLessThan(1e-12);
  });

  it('halves a row of 4 with the kernel stretched by 2 (antialiasing), as worked out by hand', () => {
    // u = 2x - 1/2 = 1.5 and 3.5; weights (1/2) cubic(d/2) over 8 taps, mirrored at both ends.
    const w = resizeWeights(4, 2, 0.5);
    expect(w.taps).toBe(10);
    const matrix = resamplingMatrix(4, 2, 0.5);
    expect(maxAbsDifference(matrix, [0.546875, 0.3984375, 0.1015625, -0.046875, -0.046875, 0.1015625, 0.3984375, 0.546875])).toBeLessThan(1e-15);
    // Without antialiasing the kernel keeps its width: cubic(0.5) = 0.5625 and cubic(1.5) = -0.0625 at
    // u = 1.5, the tap at 0 mirroring onto pixel 1.
    expect(resamplingMatrix(4, 2, 0.5, { antialiasing: false })).toEqual(Float64Array.from([0.5, 0.5625, -0.0625, 0, 0, -0.0625, 0.5625, 0.5]));
  });

  it('keeps a constant plane constant and is the identity at scale 1', () => {
    const constant = imresize(plane(5, 7, new Array(35).fill(42)), 1 / 3);
    expect(maxAbsDifference(constant.data, new Array(constant.data.length).fill(42))).toBeLessThan(1e-12);
    const x = randomPlane(6, 5, 1);
    expect(maxAbsDifference(imresize(x, 1).data, x.data)).toBeLessThan(1e-12);
  });

  it("matches the numpy rewrite of MATLAB's imresize to 1e-9", () => {
    let worst = 0;
    for (const c of fixture.imresize) {
      const target: ResizeTarget = c.size ? { height: c.size[0], width: c.size[1] } : c.scale![0] === c.scale![1] ? c.scale![0] : c.scale!;
      const out = imresize(plane(c.height, c.width, c.input), target, { antialiasing: c.antialiasing ?? true });
      expect([out.height, out.width], `${c.height} x ${c.width} to ${JSON.stringify(c.size ?? c.scale)}`).toEqual([c.outHeight, c.outWidth]);
      worst = Math.max(worst, maxAbsDifference(out.data, c.output));
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('resizes on the GPU as in float64, down and up, by scale and by size, and back-propagates', async () => {
    const cases: [number, number, ResizeTarget][] = [
      [13, 17, 1 / 2],
      [15, 11, 1 / 3],
      [17, 21, 1 / 4],
      [7, 9, 2],
      [5, 7, 3],
      [5, 3, 4],
      [9, 14, [0.7, 1.6]],
      [11, 9, { height: 6, width: 23 }],
    ];
    const before = gg.runtime().memory().liveBuffers;
    for (const [h, w, target] of cases) {
      const planes = [0, 1, 2, 3, 4, 5].map((c) => randomPlane(h, w, 10 + c, 1));
      const expected = planes.map((p) => imresize(p, target));
      const y = gg.scope(() => resizeBicubic(gg.tensor(Float32Array.from(planes.flatMap((p) => [...p.data])), [2, 3, h, w]), target));
      expect(y.shape).toEqual([2, 3, expected[0].height, expected[0].width]);
      const actual = await y.data();
      y.dispose();
      expectClose(actual, Float64Array.from(expected.flatMap((p) => [...p.data])), 2e-6, 1e-5, `resizeBicubic ${h} x ${w} to ${JSON.stringify(target)}`);
    }
    // The gradient of sum(resize(x) * g) is Rhᵀ g Rw: the adjoint resize, checked against the dense matrices.
    const [h, w, oh, ow] = [7, 6, 3, 11];
    const g = randomPlane(oh, ow, 4, 1);
    const x = gg.tensor(Float32Array.from(randomPlane(h, w, 3, 1).data), [1, 1, h, w], { requiresGrad: true });
    gg.scope(() => resizeBicubic(x, { height: oh, width: ow }).mul(gg.tensor(Float32Array.from(g.data), [1, 1, oh, ow])).sum().backward());
    const rh = resamplingMatrix(h, oh, oh / h);
    const rw = resamplingMatrix(w, ow, ow / w);
    const adjoint = new Float64Array(h * w);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let k = 0; k < oh; k++) for (let l = 0; l < ow; l++) adjoint[i * w + j] += rh[k * h + i] * g.data[k * ow + l] * rw[l * w + j];
      }
    }
    expectClose(await x.grad!.data(), adjoint, 1e-5, 1e-5, 'resizeBicubic gradient');
    x.grad!.dispose();
    x.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('names the function, the shape and the dtype on bad input', () => {
    expect(() => imresize(plane(2, 2, [1, 2, 3, 4]), 0)).toThrow(/imresize: scales must be finite numbers > 0/);
    expect(() => imresize({ height: 2, width: 2, data: new Float64Array(3) }, 2)).toThrow(/imresize: plane \(2 x 2\) needs a Float64Array of 4 values/);
    gg.scope(() => {
      expect(() => resizeBicubic(gg.zeros([4], { dtype: 'i32' }), 2)).toThrow(/resizeBicubic: expected f32 images \[\.\.\., H, W\].*\[4\] i32/);
    });
  });
});

describe('YCbCr (MATLAB rgb2ycbcr, BT.601 studio range)', () => {
  it('maps black, white and the primaries to the BT.601 values', () => {
    const colours = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255]];
    const planes = [0, 1, 2].map((c) => plane(1, colours.length, colours.map((rgb) => rgb[c])));
    const [y, cb, cr] = rgbToYCbCr(planes);
    expectClose(y.data, [16, 235, 16 + 65.481, 16 + 128.553, 16 + 24.966], 1e-12, 0, 'Y');
    expectClose(cb.data, [128, 128, 128 - 37.797, 128 - 74.203, 128 + 112], 1e-12, 0, 'Cb');
    expectClose(cr.data, [128, 128, 128 + 112, 128 - 93.786, 128 - 18.214], 1e-12, 0, 'Cr');
    expect(rgbToY(planes).data).toEqual(y.data);
  });

  it('inverts exactly, on planes and on the GPU', async () => {
    const rgb = [0, 1, 2].map((c) => randomPlane(4, 5, 30 + c));
    const back = yCbCrToRgb(rgbToYCbCr(rgb));
    for (let c = 0; c < 3; c++) expect(maxAbsDifference(back[c].data, rgb[c].data)).toBeLessThan(1e-11);

    const before = gg.runtime().memory().liveBuffers;
    const results = gg.scope(() => {
      const x = gg.tensor(Float32Array.from(rgb.flatMap((p) => [...p.data].map((v) => v / 255))), [1, 3, 4, 5]);
      const ycc = rgbToYCbCrTensor(x);
      return [x, ycc, rgbToYTensor(x), yCbCrToRgbTensor(ycc)];
    });
    const [x, ycc, y, rgbAgain] = await Promise.all(results.map((t) => t.data()));
    for (const t of results) t.dispose();
    const expected = rgbToYCbCr(rgb).flatMap((p) => [...p.data].map((v) => v / 255));
    expectClose(ycc, expected, 1e-6, 1e-6, 'rgbToYCbCrTensor');
    expectClose(y, expected.slice(0, 20), 1e-6, 1e-6, 'rgbToYTensor');
    expectClose(rgbAgain, x, 1e-5, 1e-5, 'yCbCrToRgbTensor');
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});

describe('PSNR and SSIM', () => {
  it('gives PSNR from the MSE, after shaving the border', () => {
    const a = randomPlane(8, 9, 5);
    // b differs by +3 inside a 1-pixel border and by 100 on it: shaving 1 leaves an MSE of exactly 9.
    const b = plane(8, 9, a.data.map((v, i) => v + (Math.floor(i / 9) % 7 === 0 || i % 9 % 8 === 0 ? 100 : 3)));
    expect(psnr(a, b, { border: 1 })).toBeCloseTo(10 * Math.log10((255 * 255) / 9), 12);
    expect(psnr(a, b, { border: 1, peak: 1 })).toBeCloseTo(10 * Math.log10(1 / 9), 12);
    expect(psnr(a, a)).toBe(Infinity);
    expect(shave(a, 2).data[0]).toBe(a.data[2 * 9 + 2]);
  });

  it('gives SSIM 1 for identical planes, the constant-image value, and the plain formula on a tiny case', () => {
    const a = randomPlane(13, 14, 6);
    expect(ssim(a, a)).toBeCloseTo(1, 14);
    // Constant planes: every variance is 0, so SSIM = (2 m1 m2 + C1) / (m1² + m2² + C1).
    const c1 = (0.01 * 255) ** 2;
    const constant = (v: number) => plane(12, 12, new Array(144).fill(v));
    expect(ssim(constant(100), constant(120))).toBeCloseTo((2 * 100 * 120 + c1) / (100 ** 2 + 120 ** 2 + c1), 12);

    // 13 x 14 with a 1-pixel border shaved: 11 x 12, so the valid region is 1 x 2 windows, computed here in 2-D.
    const b = plane(13, 14, a.data.map((v, i) => 0.7 * v + 30 * Math.sin(i)));
    const [x, y] = [shave(a, 1), shave(b, 1)];
    const r = (i: number) => i - 5;
    let total = 0;
    for (let i = 0; i < 11; i++) for (let j = 0; j < 11; j++) total += Math.exp(-(r(i) ** 2 + r(j) ** 2) / 4.5);
    const c2 = (0.03 * 255) ** 2;
    const values: number[] = [];
    for (let left = 0; left < x.width - 10; left++) {
      let [m1, m2, s11, s22, s12] = [0, 0, 0, 0, 0];
      for (let i = 0; i < 11; i++) {
        for (let j = 0; j < 11; j++) {
          const w = Math.exp(-(r(i) ** 2 + r(j) ** 2) / 4.5) / total;
          const [p, q] = [x.data[i * x.width + left + j], y.data[i * y.width + left + j]];
          [m1, m2, s11, s22, s12] = [m1 + w * p, m2 + w * q, s11 + w * p * p, s22 + w * q * q, s12 + w * p * q];
        }
      }
      const [v1, v2, v12] = [s11 - m1 * m1, s22 - m2 * m2, s12 - m1 * m2];
      values.push(((2 * m1 * m2 + c1) * (2 * v12 + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2)));
    }
    expect(values.length).toBe(2);
    expect(ssim(a, b, { border: 1 })).toBeCloseTo((values[0] + values[1]) / 2, 12);
    expect(() => ssim(a, b, { border: 2 })).toThrow(/ssim: needs at least 11 x 11 pixels after shaving 2, got 9 x 10/);
  });

  it('reproduces the protocol end to end: modcrop, uint8 bicubic low-res, bicubic x3, Y, shave, PSNR and SSIM', () => {
    const { height, width, hr, lr, psnr: expectedPsnr, ssim: expectedSsim } = fixture.protocol;
    const hrPlanes = [0, 1, 2].map((c) => plane(height, width, hr.slice(c * height * width, (c + 1) * height * width)));
    const lrPlanes = hrPlanes.map((p) => roundToUint8(imresize(p, 1 / 3)));
    expect(lrPlanes.flatMap((p) => [...p.data])).toEqual(lr);
    const srPlanes = lrPlanes.map((p) => imresize(p, 3));
    expect(psnr(rgbToY(hrPlanes), rgbToY(srPlanes), { border: 3 })).toBeCloseTo(expectedPsnr, 9);
    expect(ssim(rgbToY(hrPlanes), rgbToY(srPlanes), { border: 3 })).toBeCloseTo(expectedSsim, 9);
  });
});
