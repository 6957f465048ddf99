// Bicubic resizing exactly as MATLAB's imresize(..., 'bicubic') computes it, which is how the
// super-resolution literature makes its low-res inputs and its bicubic baseline. Each dimension is
// resized on its own by a resampling matrix: row k holds the weights output pixel k gives the input
// pixels. The float64 plane version applies the weights tap by tap (the reference); the GPU version
// multiplies by the same matrices, built in float64 and stored as f32, so it is differentiable as
// matmul is.

import { formatShape, type Tensor } from '../../tensor.js';
import { composite } from '../../autograd.js';
import { tensor } from '../../ops/creation.js';
import { matmul } from '../../ops/matmul.js';
import { checkPlane, type Plane } from './image.js';

/** Keys' cubic convolution kernel with a = -0.5, the kernel of MATLAB's 'bicubic' (support [-2, 2]). */
export function cubicKernel(x: number): number {
  const a = Math.abs(x);
  const a2 = a * a;
  const a3 = a2 * a;
  if (a <= 1) return 1.5 * a3 - 2.5 * a2 + 1;
  if (a <= 2) return -0.5 * a3 + 2.5 * a2 - 4 * a + 2;
  return 0;
}

/** The weights of resizing one dimension: output pixel k takes weights[k * taps + j] of input pixel indices[k * taps + j]. */
export interface ResizeWeights {
  /** Input length. */
  inLength: number;
  /** Output length. */
  outLength: number;
  /** Input pixels each output pixel reads (some weights may be 0). */
  taps: number;
  /** outLength x taps input indices, 0-based, already mirrored into [0, inLength). */
  indices: Int32Array;
  /** outLength x taps weights; each output pixel's sum to 1. */
  weights: Float64Array;
}

/** Options of the bicubic resizers. */
export interface ResizeOptions {
  /** Widen the kernel by 1/scale when shrinking, so it also filters out what the new grid cannot hold (MATLAB's default, true). */
  antialiasing?: boolean;
}

/**
 * Resizing weights for one dimension, as MATLAB's imresize (contributions()) computes them: output
 * pixel x (1-based) is centred at input coordinate u = x / scale + 0.5 (1 - 1/scale); it reads the
 * ceil(kernelWidth) + 2 input pixels from floor(u - kernelWidth / 2), weighted by the cubic kernel of
 * their distance to u, where kernelWidth is 4, or 4 / scale when shrinking with antialiasing (the
 * kernel then becomes scale * cubic(scale * d)); each row of weights is divided by its sum; indices
 * outside the input are mirrored (symmetric padding: ... 2 1 | 1 2 ... n | n n-1 ...).
 */
export function resizeWeights(inLength: number, outLength: number, scale: number, options: ResizeOptions = {}): ResizeWeights {
  for (const [name, value] of [['inLength', inLength], ['outLength', outLength]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`resizeWeights: ${name} must be an integer >= 1, got ${value}`);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`resizeWeights: scale must be a finite number > 0, got ${scale}`);
  const antialias = (options.antialiasing ?? true) && scale < 1;
  const kernelWidth = antialias ? 4 / scale : 4;
  const taps = Math.ceil(kernelWidth) + 2;
  const indices = new Int32Array(outLength * taps);
  const weights = new Float64Array(outLength * taps);
  const period = 2 * inLength;
  for (let k = 0; k < outLength; k++) {
    const u = (k + 1) / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const distance = u - (left + j);
      const w = antialias ? scale * cubicKernel(distance * scale) : cubicKernel(distance);
      weights[k * taps + j] = w;
      sum += w;
      // MATLAB's aux = [1:n, n:-1:1] indexed by mod(index - 1, 2n) + 1, here 0-based.
      const m = (((left + j - 1) % period) + period) % period;
      indices[k * taps + j] = m < inLength ? m : period - 1 - m;
    }
    for (let j = 0; j < taps; j++) weights[k * taps + j] /= sum;
  }
  return { inLength, outLength, taps, indices, weights };
}

/** The resampling matrix of {@link resizeWeights} as a dense row-major [outLength, inLength] array (mirrored taps that land on one input pixel add up). */
export function resamplingMatrix(inLength: number, outLength: number, scale: number, options: ResizeOptions = {}): Float64Array {
  const { taps, indices, weights } = resizeWeights(inLength, outLength, scale, options);
  const matrix = new Float64Array(outLength * inLength);
  for (let k = 0; k < outLength; k++) {
    for (let j = 0; j < taps; j++) matrix[k * inLength + indices[k * taps + j]] += weights[k * taps + j];
  }
  return matrix;
}

/** An output size in pixels. */
export interface ResizeSize {
  /** Output rows. */
  height: number;
  /** Output pixels per row. */
  width: number;
}

/** The output size of a resize: a scale factor (both sides, or [height, width]) or the size itself. */
export type ResizeTarget = number | readonly [number, number] | ResizeSize;

/** A resize's output size, per-dimension scales and the order MATLAB resizes the dimensions in. */
interface ResizePlan {
  outHeight: number;
  outWidth: number;
  scaleHeight: number;
  scaleWidth: number;
  /** MATLAB resizes the dimension with the smaller scale first (height on a tie). */
  heightFirst: boolean;
}

/**
 * As MATLAB: a scale gives the output size ceil(scale x input) and is used as given for the weights;
 * an output size gives each dimension the scale output / input.
 */
function plan(op: string, height: number, width: number, target: ResizeTarget): ResizePlan {
  let scaleHeight: number;
  let scaleWidth: number;
  let outHeight: number;
  let outWidth: number;
  if (typeof target === 'number' || Array.isArray(target)) {
    [scaleHeight, scaleWidth] = typeof target === 'number' ? [target, target] : (target as readonly [number, number]);
    if (!(scaleHeight > 0 && scaleWidth > 0 && Number.isFinite(scaleHeight) && Number.isFinite(scaleWidth))) {
      throw new Error(`${op}: scales must be finite numbers > 0, got ${String(target)}`);
    }
    outHeight = Math.ceil(scaleHeight * height);
    outWidth = Math.ceil(scaleWidth * width);
  } else {
    ({ height: outHeight, width: outWidth } = target as ResizeSize);
    if (!Number.isInteger(outHeight) || !Number.isInteger(outWidth) || outHeight < 1 || outWidth < 1) {
      throw new Error(`${op}: the output size must be integers >= 1, got ${outHeight} x ${outWidth}`);
    }
    scaleHeight = outHeight / height;
    scaleWidth = outWidth / width;
  }
  return { outHeight, outWidth, scaleHeight, scaleWidth, heightFirst: scaleHeight <= scaleWidth };
}

/** Resizes the height of a row-major height x width array by `w`. */
function resizeColumns(data: Float64Array, width: number, w: ResizeWeights): Float64Array {
  const out = new Float64Array(w.outLength * width);
  for (let k = 0; k < w.outLength; k++) {
    const row = out.subarray(k * width, (k + 1) * width);
    for (let j = 0; j < w.taps; j++) {
      const weight = w.weights[k * w.taps + j];
      const from = w.indices[k * w.taps + j] * width;
      for (let x = 0; x < width; x++) row[x] += weight * data[from + x];
    }
  }
  return out;
}

/** Resizes the width of a row-major height x width array by `w`. */
function resizeRows(data: Float64Array, height: number, w: ResizeWeights): Float64Array {
  const out = new Float64Array(height * w.outLength);
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < w.outLength; k++) {
      let sum = 0;
      for (let j = 0; j < w.taps; j++) sum += w.weights[k * w.taps + j] * data[y * w.inLength + w.indices[k * w.taps + j]];
      out[y * w.outLength + k] = sum;
    }
  }
  return out;
}

/**
 * A plane resized as MATLAB's imresize(plane, target, 'bicubic') on a double image (the float64
 * reference). `target` is a scale (imresize(I, 1/4) is `0.25`), per-dimension scales [height, width],
 * or the output size { height, width }. The dimension with the smaller scale is resized first, as
 * MATLAB does. The result is not rounded: MATLAB rounds when its input is uint8, which
 * {@link roundToUint8} reproduces.
 */
export function imresize(plane: Plane, target: ResizeTarget, options: ResizeOptions = {}): Plane {
  checkPlane('imresize', plane);
  const { width, height } = plane;
  const p = plan('imresize', height, width, target);
  const wh = resizeWeights(height, p.outHeight, p.scaleHeight, options);
  const ww = resizeWeights(width, p.outWidth, p.scaleWidth, options);
  const data = p.heightFirst ? resizeRows(resizeColumns(plane.data, width, wh), p.outHeight, ww) : resizeColumns(resizeRows(plane.data, height, ww), p.outWidth, wh);
  return { width: p.outWidth, height: p.outHeight, data };
}

/**
 * Images resized on the GPU as {@link imresize} resizes planes: x [..., H, W] f32 (e.g. [N, C, H, W],
 * any value range) gives [..., outH, outW], computed as R_h x R_wᵀ with the resampling matrices of
 * {@link resamplingMatrix} (float64 weights stored as f32), the shrinking dimension first.
 * Differentiable with respect to x.
 */
export function resizeBicubic(x: Tensor, target: ResizeTarget, options: ResizeOptions = {}): Tensor {
  x.assertAlive('resizeBicubic');
  if (x.dtype !== 'f32' || x.rank < 2) throw new Error(`resizeBicubic: expected f32 images [..., H, W] (e.g. [N, C, H, W]), got ${formatShape(x.shape)} ${x.dtype}`);
  const height = x.shape[x.rank - 2];
  const width = x.shape[x.rank - 1];
  if (height < 1 || width < 1) throw new Error(`resizeBicubic: images must have at least one pixel, got ${formatShape(x.shape)} ${x.dtype}`);
  const p = plan('resizeBicubic', height, width, target);
  return composite([x], () => {
    const rh = tensor(Float32Array.from(resamplingMatrix(height, p.outHeight, p.scaleHeight, options)), [p.outHeight, height]);
    const rw = tensor(Float32Array.from(resamplingMatrix(width, p.outWidth, p.scaleWidth, options)), [p.outWidth, width]);
    const resizeHeight = (t: Tensor) => matmul(rh, t);
    const resizeWidth = (t: Tensor) => matmul(t, rw, { transB: true });
    return p.heightFirst ? resizeWidth(resizeHeight(x)) : resizeHeight(resizeWidth(x));
  });
}
