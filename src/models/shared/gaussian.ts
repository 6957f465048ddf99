// The Gaussian kernels that the mixture (src/models/gmm) and the Gaussian HMM (src/models/hmm) share,
// and the host code that packs their parameters:
//   - log-densities of every sample under every component (shaders/models/gaussian_logpdf.wgsl): the
//     mixture's E-step (normalised into responsibilities) and the HMM's emission log-probabilities;
//   - weighted moments n, Σ w d, Σ w d dᵀ about a per-component shift (gaussian_moments.wgsl): both
//     M-steps and the k-means centre updates;
//   - sampling x = μ + L z (gaussian_sample.wgsl).
// The log-density and moment kernels read features as vec4s: their x is padded to Dp = 4 ceil(D / 4)
// columns (padFeatures), their parameters likewise (packGaussians).

import { runtime } from '../../context.js';
import { Tensor } from '../../tensor.js';
import { tensor } from '../../ops/creation.js';
import { pad } from '../../ops/indexing.js';
import { reshape } from '../../ops/movement.js';
import { sum } from '../../ops/reduce.js';
import { grid1d } from '../../ops/shape.js';
import { inverseLower } from './linalg.js';
import * as wgsl from '../../gpu/shaders.generated.js';

/** The kernels' two code paths: a full matrix per component (or one shared matrix), or a diagonal. */
export type GaussianFamily = 'full' | 'diag';

/**
 * The kernels' code path for a covariance type as scikit-learn and hmmlearn name them: a full matrix
 * per component ('full') or one shared by all ('tied'), or a diagonal per component ('diag') or one
 * variance per component ('spherical', given to the kernels as a diagonal of equal variances).
 */
export function kernelFamily(type: 'full' | 'diag' | 'tied' | 'spherical'): GaussianFamily {
  return type === 'full' || type === 'tied' ? 'full' : 'diag';
}

const WORKGROUP_SIZE = 64;
/** The chunked reductions split the samples into chunks until they have about this many invocations... */
const TARGET_INVOCATIONS = 16384;
/** ...but never into chunks shorter than this. */
const MIN_CHUNK = 32;
const LOG_2PI = Math.log(2 * Math.PI);

/** D rounded up to a multiple of 4: the kernels read features as vec4s, zero-padded. */
export function paddedFeatures(d: number): number {
  return Math.ceil(d / 4) * 4;
}

/** x [N, D] with zero columns appended up to Dp; x itself when D is a multiple of 4 (the caller disposes only a copy). */
export function padFeatures(x: Tensor): Tensor {
  const d = x.shape[1];
  const dp = paddedFeatures(d);
  return dp === d ? x : pad(x, [0, dp - d]);
}

/** [rows, D] values as [rows, Dp] f32, zero-padded. */
export function padRows(values: Float64Array, d: number): Float32Array {
  const dp = paddedFeatures(d);
  const count = values.length / d;
  const out = new Float32Array(count * dp);
  for (let r = 0; r < count; r++) for (let i = 0; i < d; i++) out[r * dp + i] = values[r * d + i];
  return out;
}

// ---- log-densities -------------------------------------------------------------------------------

/** Gaussians as the host gives them to packGaussians; every array float64 and flat. */
export type GaussianParameters = {
  nComponents: number;
  nFeatures: number;
  /** [K, D] */
  means: Float64Array;
  /** Mixture weights [K], folded into the log normalisers; none for the HMM's emission densities. */
  weights?: Float64Array;
} & (
  /** Lower Cholesky factors of the covariances: [K, D, D], or one [D, D] shared by every component. */
  | { family: 'full'; factors: Float64Array; shared: boolean }
  /** Variances [K, D]. */
  | { family: 'diag'; variances: Float64Array }
);

/** What the log-density kernel reads (shaders/models/gaussian_logpdf.wgsl), packed as f32 with features padded to Dp. */
export interface PackedGaussians {
  family: GaussianFamily;
  nComponents: number;
  nFeatures: number;
  /** [K, Dp] */
  means: Float32Array;
  /**
   * full: precision factors U = L⁻ᵀ [K or 1, Dp/4, Dp/4] blocks of 4 x 4, each column-major;
   * diag: precisions 1/σ² [K, Dp] (0 in the padding).
   */
  precisions: Float32Array;
  /** vec4s between components' precision factors (0 when shared). */
  precisionStride: number;
  /** log weight_k - D/2 log 2π + log det U_k, per component. */
  logNorm: Float32Array;
  /** logNorm in float64, before its rounding to f32. */
  logNormExact: Float64Array;
}

/** U = L⁻ᵀ from the lower factor at l[offset..], as Dp/4 x Dp/4 blocks of 4 x 4, each column-major (WGSL's mat4x4). */
function precisionBlocks(l: Float64Array, d: number, offset: number): Float32Array {
  const inverse = inverseLower(l, d, offset);
  const blocks = paddedFeatures(d) / 4;
  const out = new Float32Array(blocks * blocks * 16);
  // U[i, j] = L⁻¹[j, i].
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) out[16 * ((i >> 2) * blocks + (j >> 2)) + 4 * (j & 3) + (i & 3)] = inverse[j * d + i];
  }
  return out;
}

export function packGaussians(params: GaussianParameters): PackedGaussians {
  const { nComponents: K, nFeatures: D } = params;
  const dp = paddedFeatures(D);
  const logDet = new Float64Array(K);
  let precisions: Float32Array;
  let precisionStride = 0;
  if (params.family === 'full') {
    const matrices = params.shared ? 1 : K;
    const blockFloats = dp * dp;
    precisions = new Float32Array(matrices * blockFloats);
    for (let m = 0; m < matrices; m++) {
      precisions.set(precisionBlocks(params.factors, D, m * D * D), m * blockFloats);
      let logDetU = 0;
      for (let i = 0; i < D; i++) logDetU -= Math.log(params.factors[m * D * D + i * D + i]);
      if (params.shared) logDet.fill(logDetU);
      else logDet[m] = logDetU;
    }
    if (!params.shared) precisionStride = blockFloats / 4;
  } else {
    precisions = new Float32Array(K * dp);
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < D; i++) {
        const variance = params.variances[k * D + i];
        precisions[k * dp + i] = 1 / variance;
        logDet[k] -= 0.5 * Math.log(variance);
      }
    }
  }
  const weights = params.weights;
  const logNormExact = logDet.map((v, k) => (weights ? Math.log(weights[k]) : 0) - 0.5 * D * LOG_2PI + v);
  return {
    family: params.family, nComponents: K, nFeatures: D,
    means: padRows(params.means, D), precisions, precisionStride, logNorm: Float32Array.from(logNormExact), logNormExact,
  };
}

/** Gaussians on the GPU, as the log-density kernel reads them (made by uploadGaussians or by hand; freed by the caller's scope). */
export interface GpuGaussians {
  family: GaussianFamily;
  nComponents: number;
  nFeatures: number;
  /** [K, Dp] */
  means: Tensor;
  precisions: Tensor;
  precisionStride: number;
  /** [K] */
  logNorm: Tensor;
}

export function uploadGaussians(packed: PackedGaussians): GpuGaussians {
  return {
    family: packed.family,
    nComponents: packed.nComponents,
    nFeatures: packed.nFeatures,
    means: tensor(packed.means, [packed.nComponents, paddedFeatures(packed.nFeatures)]),
    precisions: tensor(packed.precisions),
    precisionStride: packed.precisionStride,
    logNorm: tensor(packed.logNorm),
  };
}

function dispatchLogDensities(x: Tensor, gaussians: GpuGaussians, out: Tensor, logLikelihood: Tensor, normalize: boolean): void {
  const [n, dp] = x.shape;
  runtime().dispatch({
    shader: wgsl.gaussian_logpdf,
    entryPoint: gaussians.family,
    constants: { WG: WORKGROUP_SIZE },
    params: { n, k: gaussians.nComponents, blocks: dp / 4, prec_stride: gaussians.precisionStride, normalize: normalize ? 1 : 0 },
    buffers: {
      x: x.buffer, means: gaussians.means.buffer, prec: gaussians.precisions.buffer, log_norm: gaussians.logNorm.buffer,
      out: out.buffer, log_likelihood: logLikelihood.buffer,
    },
    workgroups: grid1d(Math.ceil(n / 4), WORKGROUP_SIZE),
  });
}

/** [N, K] log p(x_n, k) of the padded x [N, Dp]: log_norm_k - Mahalanobis² / 2 (one kernel launch). */
export function logDensities(x: Tensor, gaussians: GpuGaussians): Tensor {
  const out = Tensor.empty([x.shape[0], gaussians.nComponents], 'f32');
  const unused = Tensor.empty([1], 'f32');
  dispatchLogDensities(x, gaussians, out, unused, false);
  unused.dispose();
  return out;
}

export interface Responsibilities {
  /** [N, K] posterior component probabilities; each row sums to 1. */
  resp: Tensor;
  /** [N] log p(x_n) under the mixture. */
  logLikelihood: Tensor;
}

/** Responsibilities and per-sample log-likelihoods of the padded x [N, Dp] under the mixture: one kernel launch. */
export function responsibilities(x: Tensor, gaussians: GpuGaussians): Responsibilities {
  const n = x.shape[0];
  const resp = Tensor.empty([n, gaussians.nComponents], 'f32');
  const logLikelihood = Tensor.empty([n], 'f32');
  dispatchLogDensities(x, gaussians, resp, logLikelihood, true);
  return { resp, logLikelihood };
}

// ---- weighted moments ----------------------------------------------------------------------------

/**
 * How a chunked reduction over n samples with `tasksPerChunk` invocations per chunk splits them: each
 * invocation sums its chunk serially into its own partial result, and the chunks are added by sum(0).
 */
export function sampleChunks(n: number, tasksPerChunk: number): { chunks: number; chunkLen: number } {
  const wanted = Math.max(1, Math.min(Math.ceil(TARGET_INVOCATIONS / tasksPerChunk), Math.ceil(n / MIN_CHUNK)));
  const chunkLen = Math.ceil(n / wanted);
  return { chunks: Math.ceil(n / chunkLen), chunkLen };
}

/**
 * Floats per component in the moments (shaders/models/gaussian_moments.wgsl): full, the upper
 * P = B(B+1)/2 blocks of 4 x 4 of the augmented matrix, B = Dp/4 + 1; diag, n, s and diag S as
 * 1 + 2 Dp/4 vec4s.
 */
export function momentsPerComponent(family: GaussianFamily, d: number): number {
  const blocks = paddedFeatures(d) / 4;
  return family === 'full' ? 8 * (blocks + 1) * (blocks + 2) : 4 * (1 + 2 * blocks);
}

/**
 * The weighted sums of the padded x [N, Dp] about a per-component shift [K, Dp] (see
 * gaussian_moments.wgsl), with weights [N, K], summed over all samples: [K * momentsPerComponent].
 * `family` picks the full augmented matrices or the diagonal sums.
 */
export function weightedMoments(x: Tensor, weights: Tensor, shift: Tensor, family: GaussianFamily): Tensor {
  const [n, dp] = x.shape;
  const k = weights.shape[1];
  const per = momentsPerComponent(family, dp);
  const blocks = dp / 4;
  const tasks = family === 'full' ? ((blocks + 1) * (blocks + 2)) / 2 : blocks;
  const tasksPerChunk = k * tasks;
  const { chunks, chunkLen } = sampleChunks(n, tasksPerChunk);
  const partial = Tensor.empty([chunks, k * per], 'f32');
  runtime().dispatch({
    shader: wgsl.gaussian_moments,
    entryPoint: family,
    constants: { WG: WORKGROUP_SIZE },
    params: { n, k, chunks, chunk_len: chunkLen, blocks, tasks },
    buffers: { x: x.buffer, resp: weights.buffer, shift: shift.buffer, partial: partial.buffer },
    workgroups: grid1d(chunks * tasksPerChunk, WORKGROUP_SIZE),
  });
  if (chunks === 1) {
    const flat = reshape(partial, [k * per]);
    partial.dispose();
    return flat;
  }
  const total = sum(partial, 0);
  partial.dispose();
  return total;
}

/** One component's sums, read out of the moments' layout. */
export interface ComponentSums {
  /** Σ w */
  mass: number;
  /** Σ w d_i */
  first(i: number): number;
  /** Σ w d_i d_j (only i === j for the diag family). */
  second(i: number, j: number): number;
}

export function componentSums(moments: ArrayLike<number>, family: GaussianFamily, d: number, k: number): ComponentSums {
  const blocks = paddedFeatures(d) / 4;
  const base = k * momentsPerComponent(family, d);
  if (family === 'diag') {
    return {
      mass: moments[base],
      first: (i) => moments[base + 4 + i],
      second: (i) => moments[base + 4 + 4 * blocks + i],
    };
  }
  // Entry (i, j), i <= j, of the augmented matrix: block pair (i/4, j/4) in row-major upper order,
  // column-major inside the block.
  const b = blocks + 1;
  const entry = (i: number, j: number): number => {
    const [row, col] = i <= j ? [i, j] : [j, i];
    const rowBlock = row >> 2;
    const pair = rowBlock * b - (rowBlock * (rowBlock - 1)) / 2 + ((col >> 2) - rowBlock);
    return moments[base + 16 * pair + 4 * (col & 3) + (row & 3)];
  };
  const one = 4 * blocks;
  return { mass: entry(one, one), first: (i) => entry(i, one), second: entry };
}

// ---- sampling ------------------------------------------------------------------------------------

/**
 * x = μ_k + L_k z for each row of standard normal noise z [N, D] and its component label (i32 [N]);
 * `factors` are the lower Cholesky factors [K, D, D], or one [D, D] with `shared`.
 */
export function gaussianSamples(z: Tensor, labels: Tensor, means: Tensor, factors: Tensor, shared: boolean): Tensor {
  const [n, d] = z.shape;
  const out = Tensor.empty([n, d], 'f32');
  if (out.size === 0) return out;
  runtime().dispatch({
    shader: wgsl.gaussian_sample,
    constants: { WG: WORKGROUP_SIZE },
    params: { total: n * d, d, factor_stride: shared ? 0 : d * d },
    buffers: { z: z.buffer, labels: labels.buffer, means: means.buffer, factors: factors.buffer, out: out.buffer },
    workgroups: grid1d(n * d, WORKGROUP_SIZE),
  });
  return out;
}
