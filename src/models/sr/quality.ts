// PSNR and SSIM as super-resolution papers report them: on float64 planes at pixel scale (the Y
// channel of rgbToY, or a grey image), with a border shaved off first (usually the scale factor,
// since bicubic low-res inputs carry no information about the edge pixels), peak 255. SSIM follows
// Wang et al. 2004 as their MATLAB code (ssim_index.m) and BasicSR compute it.

import { checkPlane, shave, type Plane } from './image.js';

/** Options of {@link psnr}. */
export interface PsnrOptions {
  /** Pixels shaved from each side before comparing (default 0; papers use the scale factor). */
  border?: number;
  /** The largest pixel value (default 255, for planes at pixel scale). */
  peak?: number;
}

/** Options of {@link ssim}. */
export interface SsimOptions {
  /** Pixels shaved from each side before comparing (default 0; papers use the scale factor). */
  border?: number;
}

function checkPair(op: string, a: Plane, b: Plane, border: number): [Plane, Plane] {
  checkPlane(op, a, 'a');
  checkPlane(op, b, 'b');
  if (a.width !== b.width || a.height !== b.height) throw new Error(`${op}: a is ${a.height} x ${a.width}, b is ${b.height} x ${b.width}`);
  if (!Number.isInteger(border) || border < 0 || 2 * border >= Math.min(a.width, a.height)) {
    throw new Error(`${op}: border must be an integer >= 0 that leaves pixels of a ${a.height} x ${a.width} plane, got ${border}`);
  }
  return border === 0 ? [a, b] : [shave(a, border), shave(b, border)];
}

/**
 * Peak signal-to-noise ratio in dB: 10 log10(peak² / MSE) over the plane with `border` pixels shaved
 * from each side, no rounding (round first, with roundToUint8, where the protocol scores 8-bit
 * images). Infinity for identical planes.
 */
export function psnr(a: Plane, b: Plane, options: PsnrOptions = {}): number {
  const { border = 0, peak = 255 } = options;
  if (!(peak > 0) || !Number.isFinite(peak)) throw new Error(`psnr: peak must be a finite number > 0, got ${peak}`);
  const [x, y] = checkPair('psnr', a, b, border);
  let sum = 0;
  for (let i = 0; i < x.data.length; i++) {
    const d = x.data[i] - y.data[i];
    sum += d * d;
  }
  const mse = sum / x.data.length;
  return 10 * Math.log10((peak * peak) / mse);
}

/** The SSIM window's side (11) and its Gaussian's standard deviation (1.5). */
const WINDOW = 11;
const SIGMA = 1.5;

/** The normalised 1-D Gaussian whose outer product is the 11 x 11 window (MATLAB's fspecial('gaussian', 11, 1.5)). */
const GAUSSIAN = (() => {
  const g = Array.from({ length: WINDOW }, (_, i) => Math.exp(-((i - (WINDOW - 1) / 2) ** 2) / (2 * SIGMA * SIGMA)));
  const total = g.reduce((s, v) => s + v, 0);
  return g.map((v) => v / total);
})();

/** The window-weighted means of `data` over every position where the window fits ('valid'): (H - 10) x (W - 10), separably. */
function filterValid(data: Float64Array, width: number, height: number): Float64Array {
  const outWidth = width - WINDOW + 1;
  const outHeight = height - WINDOW + 1;
  const rows = new Float64Array(height * outWidth);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (let k = 0; k < WINDOW; k++) sum += GAUSSIAN[k] * data[y * width + x + k];
      rows[y * outWidth + x] = sum;
    }
  }
  const out = new Float64Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (let k = 0; k < WINDOW; k++) sum += GAUSSIAN[k] * rows[(y + k) * outWidth + x];
      out[y * outWidth + x] = sum;
    }
  }
  return out;
}

/**
 * Structural similarity (Wang, Bovik, Sheikh and Simoncelli 2004), as their ssim_index.m and BasicSR
 * compute it: local means, variances and covariance under an 11 x 11 Gaussian window (sigma 1.5) at
 * every position where the window fits inside the plane ('valid'), C1 = (0.01 L)², C2 = (0.03 L)² with
 * L = 255, and the mean of the SSIM map. The plane is neither rounded nor downsampled (the later
 * ssim.m downsamples large images; the SR literature does not). Needs at least 11 x 11 pixels after
 * shaving `border`.
 */
export function ssim(a: Plane, b: Plane, options: SsimOptions = {}): number {
  const { border = 0 } = options;
  const [x, y] = checkPair('ssim', a, b, border);
  const { width, height } = x;
  if (width < WINDOW || height < WINDOW) throw new Error(`ssim: needs at least ${WINDOW} x ${WINDOW} pixels after shaving ${border}, got ${height} x ${width}`);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  const product = (p: Float64Array, q: Float64Array) => p.map((v, i) => v * q[i]);
  const mu1 = filterValid(x.data, width, height);
  const mu2 = filterValid(y.data, width, height);
  const xx = filterValid(product(x.data, x.data), width, height);
  const yy = filterValid(product(y.data, y.data), width, height);
  const xy = filterValid(product(x.data, y.data), width, height);
  let sum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i];
    const m2 = mu2[i];
    const s1 = xx[i] - m1 * m1;
    const s2 = yy[i] - m2 * m2;
    const s12 = xy[i] - m1 * m2;
    sum += ((2 * m1 * m2 + c1) * (2 * s12 + c2)) / ((m1 * m1 + m2 * m2 + c1) * (s1 + s2 + c2));
  }
  return sum / mu1.length;
}
