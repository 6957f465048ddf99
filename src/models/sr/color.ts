// Colour conversion as the super-resolution literature scores it: MATLAB's rgb2ycbcr and ycbcr2rgb
// (ITU-R BT.601, studio range), on float64 planes for evaluation and on GPU tensors for losses or
// models that work on luma. Benchmarks report PSNR and SSIM on the Y channel of these.

import { formatShape, type Tensor } from '../../tensor.js';
import { composite } from '../../autograd.js';
import { tensor } from '../../ops/creation.js';
import { matmul } from '../../ops/matmul.js';
import { checkPlane, type Plane } from './image.js';

/**
 * MATLAB's rgb2ycbcr matrix: [Y, Cb, Cr] = OFFSET + T [R, G, B] for R, G, B in [0, 1] and results
 * at pixel scale, Y in [16, 235] and Cb, Cr in [16, 240].
 */
const T = [
  [65.481, 128.553, 24.966],
  [-37.797, -74.203, 112.0],
  [112.0, -93.786, -18.214],
];
const OFFSET = [16, 128, 128];

/** The inverse of a 3 x 3 matrix by cofactors, in float64 (MATLAB's ycbcr2rgb uses inv(T)). */
function inverse3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}
const T_INVERSE = inverse3(T);

function checkThreePlanes(op: string, planes: readonly Plane[], names: string): void {
  if (!Array.isArray(planes) || planes.length !== 3) throw new Error(`${op}: expected 3 planes (${names}), got ${planes?.length}`);
  planes.forEach((plane, c) => checkPlane(op, plane, `plane ${c}`));
  const [first] = planes;
  if (planes.some((p) => p.width !== first.width || p.height !== first.height)) {
    throw new Error(`${op}: the planes differ in size: ${planes.map((p) => `${p.height} x ${p.width}`).join(', ')}`);
  }
}

/** out[r] = offset[r] + sum_c matrix[r][c] * planes[c] for the rows asked for, pixel by pixel. */
function affine(planes: readonly Plane[], matrix: number[][], offset: number[]): Plane[] {
  const { width, height } = planes[0];
  const [p0, p1, p2] = planes.map((p) => p.data);
  return matrix.map((row, r) => {
    const data = new Float64Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = offset[r] + row[0] * p0[i] + row[1] * p1[i] + row[2] * p2[i];
    return { width, height, data };
  });
}

/**
 * [Y, Cb, Cr] of [R, G, B] planes, all at pixel scale [0, 255], as MATLAB's rgb2ycbcr computes for an
 * 8-bit image but without its final rounding: Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, and Cb,
 * Cr likewise (Y in [16, 235]). This is BasicSR's convention; for MATLAB's rounded 8-bit Y, pass the
 * result through {@link roundToUint8}.
 */
export function rgbToYCbCr(planes: readonly Plane[]): Plane[] {
  checkThreePlanes('rgbToYCbCr', planes, 'R, G, B');
  return affine(planes, T.map((row) => row.map((v) => v / 255)), OFFSET);
}

/** The Y plane alone of {@link rgbToYCbCr}: what PSNR and SSIM are computed on. */
export function rgbToY(planes: readonly Plane[]): Plane {
  checkThreePlanes('rgbToY', planes, 'R, G, B');
  return affine(planes, [T[0].map((v) => v / 255)], OFFSET)[0];
}

/** [R, G, B] of [Y, Cb, Cr] planes, all at pixel scale, as MATLAB's ycbcr2rgb (the exact inverse of {@link rgbToYCbCr}; not rounded or clipped). */
export function yCbCrToRgb(planes: readonly Plane[]): Plane[] {
  checkThreePlanes('yCbCrToRgb', planes, 'Y, Cb, Cr');
  const matrix = T_INVERSE.map((row) => row.map((v) => v * 255));
  const offset = matrix.map((row) => -(row[0] * OFFSET[0] + row[1] * OFFSET[1] + row[2] * OFFSET[2]));
  return affine(planes, matrix, offset);
}

/** out = matrix x + offset over the channel dimension of x [N, 3, H, W], as one batched matmul. */
function affineChannels(op: string, x: Tensor, matrix: number[][], offset: number[]): Tensor {
  x.assertAlive(op);
  if (x.dtype !== 'f32' || x.rank !== 4 || x.shape[1] !== 3) throw new Error(`${op}: expected f32 images [N, 3, H, W], got ${formatShape(x.shape)} ${x.dtype}`);
  const [n, , h, w] = x.shape;
  return composite([x], () => {
    const m = tensor(Float32Array.from(matrix.flat()), [matrix.length, 3]);
    const b = tensor(Float32Array.from(offset), [offset.length, 1]);
    return matmul(m, x.reshape([n, 3, h * w])).add(b).reshape([n, matrix.length, h, w]);
  });
}

/**
 * [Y, Cb, Cr] of RGB images on the GPU: x [N, 3, H, W] f32 with values in [0, 1] gives [N, 3, H, W]
 * with Y in [16/255, 235/255] and Cb, Cr in [16/255, 240/255], as MATLAB's rgb2ycbcr on a double
 * image (the plane version, {@link rgbToYCbCr}, times 1/255). Differentiable.
 */
export function rgbToYCbCrTensor(x: Tensor): Tensor {
  return affineChannels('rgbToYCbCrTensor', x, T.map((row) => row.map((v) => v / 255)), OFFSET.map((v) => v / 255));
}

/** The Y channel alone of {@link rgbToYCbCrTensor}: x [N, 3, H, W] in [0, 1] gives [N, 1, H, W] in [16/255, 235/255]. Differentiable. */
export function rgbToYTensor(x: Tensor): Tensor {
  return affineChannels('rgbToYTensor', x, [T[0].map((v) => v / 255)], [OFFSET[0] / 255]);
}

/** RGB of YCbCr images on the GPU, the inverse of {@link rgbToYCbCrTensor}: [N, 3, H, W] to [N, 3, H, W] in [0, 1] (not clipped). Differentiable. */
export function yCbCrToRgbTensor(x: Tensor): Tensor {
  const matrix = T_INVERSE.map((row) => row.map((v) => v * 255));
  const offset = T_INVERSE.map((row) => -(row[0] * OFFSET[0] + row[1] * OFFSET[1] + row[2] * OFFSET[2]));
  return affineChannels('yCbCrToRgbTensor', x, matrix, offset);
}
