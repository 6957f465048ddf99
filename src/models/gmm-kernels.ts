// Launchers for the Gaussian mixture's kernels: the E-step (shaders/gmm_estep.wgsl), the M-step's
// sufficient statistics (shaders/gmm_moments.wgsl), k-means++ seeding distances
// (shaders/gmm_kmeans.wgsl) and sampling (shaders/gmm_sample.wgsl). These are
// the passes over the N samples; the host only sees the per-component sums they reduce to (a few
// hundred floats per component).
// The E-step and statistics kernels read features as vec4s: their x is padded to Dp = 4 ceil(D / 4)
// columns (padFeatures), their parameters likewise (gmm-params.ts packs them).

import { runtime } from '../context.js';
import { ParamWriter } from '../gpu/runtime.js';
import { Tensor } from '../tensor.js';
import { tensor } from '../ops/creation.js';
import { pad } from '../ops/indexing.js';
import { reshape } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { grid1d } from '../ops/shape.js';
import { kernelFamily, paddedFeatures, statsPerComponent, type CovarianceType, type KernelParameters } from './gmm-params.js';
import * as wgsl from '../gpu/shaders.generated.js';

const WORKGROUP_SIZE = 64;
/** The statistics pass splits the samples into chunks until it has about this many invocations... */
const TARGET_INVOCATIONS = 16384;
/** ...but never into chunks shorter than this. */
const MIN_CHUNK = 32;

/** x [N, D] with zero columns appended up to Dp; x itself when D is a multiple of 4 (the caller disposes only a copy). */
export function padFeatures(x: Tensor): Tensor {
  const d = x.shape[1];
  const dp = paddedFeatures(d);
  return dp === d ? x : pad(x, [0, dp - d]);
}

/** A mixture's parameters on the GPU, as the E-step reads them (made by uploadParameters, freed by the caller's scope). */
export interface GpuMixture {
  family: 'full' | 'diag';
  nComponents: number;
  nFeatures: number;
  means: Tensor;
  precisions: Tensor;
  precisionStride: number;
  logNorm: Tensor;
}

export function uploadParameters(params: KernelParameters, type: CovarianceType, nComponents: number, nFeatures: number): GpuMixture {
  return {
    family: kernelFamily(type),
    nComponents,
    nFeatures,
    means: tensor(params.means, [nComponents, paddedFeatures(nFeatures)]),
    precisions: tensor(params.precisions),
    precisionStride: params.precisionStride,
    logNorm: tensor(params.logNorm),
  };
}

export interface EStepResult {
  /** [N, K] posterior component probabilities; each row sums to 1. */
  resp: Tensor;
  /** [N] log p(x_n) under the mixture. */
  logLikelihood: Tensor;
}

/** Responsibilities and per-sample log-likelihoods of the padded x [N, Dp] under the mixture: one kernel launch. */
export function eStep(x: Tensor, mixture: GpuMixture): EStepResult {
  const [n, dp] = x.shape;
  const k = mixture.nComponents;
  const resp = Tensor.empty([n, k], 'f32');
  const logLikelihood = Tensor.empty([n], 'f32');
  runtime().dispatch({
    shader: wgsl.gmm_estep,
    entryPoint: mixture.family,
    constants: { WG: WORKGROUP_SIZE },
    params: new ParamWriter().u32(n).u32(k).u32(dp / 4).u32(mixture.precisionStride).finish(),
    buffers: [x.buffer, mixture.means.buffer, mixture.precisions.buffer, mixture.logNorm.buffer, resp.buffer, logLikelihood.buffer],
    workgroups: grid1d(Math.ceil(n / 4), WORKGROUP_SIZE),
  });
  return { resp, logLikelihood };
}

/**
 * The responsibility-weighted sums of the padded x [N, Dp] about a per-component shift [K, Dp] (see
 * gmm_moments.wgsl), summed over all samples: [K * statsPerComponent(family)]. `family` picks the
 * full augmented matrices or the diagonal sums.
 */
export function momentStatistics(x: Tensor, resp: Tensor, shift: Tensor, family: 'full' | 'diag'): Tensor {
  const [n, dp] = x.shape;
  const k = resp.shape[1];
  const per = statsPerComponent(family, dp);
  const blocks = dp / 4;
  const tasks = family === 'full' ? ((blocks + 1) * (blocks + 2)) / 2 : blocks;
  const tasksPerChunk = k * tasks;
  const wanted = Math.max(1, Math.min(Math.ceil(TARGET_INVOCATIONS / tasksPerChunk), Math.ceil(n / MIN_CHUNK)));
  const chunkLen = Math.ceil(n / wanted);
  const chunks = Math.ceil(n / chunkLen);
  const partial = Tensor.empty([chunks, k * per], 'f32');
  runtime().dispatch({
    shader: wgsl.gmm_moments,
    entryPoint: family,
    constants: { WG: WORKGROUP_SIZE },
    params: new ParamWriter().u32(n).u32(k).u32(chunks).u32(chunkLen).u32(blocks).u32(tasks).finish(),
    buffers: [x.buffer, resp.buffer, shift.buffer, partial.buffer],
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

/**
 * [T, N]: min(nearest[n], ||x_n - c_t||²) for the padded x [N, Dp], candidate centres [T, Dp] and
 * each sample's squared distance to its nearest centre so far, nearest [N].
 */
export function candidateDistances(x: Tensor, candidates: Tensor, nearest: Tensor): Tensor {
  const [n, dp] = x.shape;
  const t = candidates.shape[0];
  const out = Tensor.empty([t, n], 'f32');
  runtime().dispatch({
    shader: wgsl.gmm_kmeans,
    constants: { WG: WORKGROUP_SIZE },
    params: new ParamWriter().u32(n).u32(t).u32(dp / 4).finish(),
    buffers: [x.buffer, candidates.buffer, nearest.buffer, out.buffer],
    workgroups: grid1d(n * t, WORKGROUP_SIZE),
  });
  return out;
}

/**
 * x = μ_k + L_k z for each row of standard normal noise z [N, D] and its component label (i32 [N]);
 * `factors` are the lower Cholesky factors [K, D, D], or one [D, D] with `tied`.
 */
export function mixtureSamples(z: Tensor, labels: Tensor, means: Tensor, factors: Tensor, tied: boolean): Tensor {
  const [n, d] = z.shape;
  const out = Tensor.empty([n, d], 'f32');
  if (out.size === 0) return out;
  runtime().dispatch({
    shader: wgsl.gmm_sample,
    constants: { WG: WORKGROUP_SIZE },
    params: new ParamWriter().u32(n * d).u32(d).u32(tied ? 0 : d * d).finish(),
    buffers: [z.buffer, labels.buffer, means.buffer, factors.buffer, out.buffer],
    workgroups: grid1d(n * d, WORKGROUP_SIZE),
  });
  return out;
}
