// Launchers for the hidden Markov models' kernels: emission log-probabilities
// (shaders/hmm_emission.wgsl), forward-backward (shaders/hmm_forward_backward.wgsl), Viterbi
// (shaders/hmm_viterbi.wgsl), the M-step's emission statistics (shaders/hmm_moments.wgsl) and
// sampling (shaders/hmm_sample.wgsl). These are the passes over the frames; the host only sees the
// K x K and K x D sized statistics they reduce to.

import { runtime } from '../context.js';
import { ParamWriter } from '../gpu/runtime.js';
import { Tensor } from '../tensor.js';
import { reshape } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { grid1d } from '../ops/shape.js';
import { gaussianStatsPerState } from './hmm-params.js';
import * as wgsl from '../gpu/shaders.generated.js';

const WORKGROUP_SIZE = 64;
/**
 * Workgroup size of the per-sequence kernels (one invocation per sequence, a long serial loop each):
 * small batches use small workgroups, so a hundred sequences still spread over every CPU thread (on
 * SwiftShader) or multiprocessor; batches large enough to fill 32-wide warps use 32.
 */
function sequenceWorkgroupSize(sequences: number): number {
  return sequences >= 2048 ? 32 : 8;
}
/** The statistics pass splits the frames into chunks until it has about this many invocations... */
const TARGET_INVOCATIONS = 16384;
/** ...but never into chunks shorter than this. */
const MIN_CHUNK = 32;

/** The Markov chain as the kernels read it: log start probabilities [K] and log transitions [K, K]. */
export interface GpuChain {
  logStart: Tensor;
  logTrans: Tensor;
}

/** The emission model as shaders/hmm_emission.wgsl reads it. */
export type GpuEmission =
  | { kind: 'diag' | 'full'; nFeatures: number; means: Tensor; factors: Tensor; logNorm: Tensor }
  | { kind: 'categorical'; nSymbols: number; logEmission: Tensor };

/** log p(x_n | state k) for every frame: [N, K]. x is [N, D] f32 (Gaussian) or [N] i32 symbols. */
export function emissionLogProb(x: Tensor, emission: GpuEmission, nStates: number): Tensor {
  const n = x.shape[0];
  const out = Tensor.empty([n, nStates], 'f32');
  const gaussian = emission.kind !== 'categorical';
  runtime().dispatch({
    shader: wgsl.hmm_emission,
    entryPoint: emission.kind,
    template: { D: gaussian ? emission.nFeatures : 1 },
    constants: { WG: WORKGROUP_SIZE },
    params: new ParamWriter().u32(n).u32(nStates).u32(gaussian ? 0 : emission.nSymbols).finish(),
    buffers: gaussian
      ? [x.buffer, emission.means.buffer, emission.factors.buffer, emission.logNorm.buffer, out.buffer]
      : [x.buffer, emission.logEmission.buffer, out.buffer],
    workgroups: grid1d(gaussian ? n : n * nStates, WORKGROUP_SIZE),
  });
  return out;
}

/** Elements per sequence in ForwardBackwardResult.sequenceStats: xi (K x K), gamma at the start (K), log P (1). */
export function sequenceStatsWidth(nStates: number): number {
  return nStates * nStates + nStates + 1;
}

export interface ForwardBackwardResult {
  /** [N, K] posterior state probabilities gamma; each row sums to 1. */
  posteriors: Tensor;
  /** [S, K * K + K + 1] per sequence: expected transition counts, gamma at its first frame, log-likelihood. */
  sequenceStats: Tensor;
}

/** Forward-backward over every sequence at once, one invocation per sequence (offsets: u32 [S + 1]). */
export function forwardBackward(logB: Tensor, chain: GpuChain, offsets: Tensor): ForwardBackwardResult {
  const [n, k] = logB.shape;
  const sequences = offsets.size - 1;
  const posteriors = Tensor.empty([n, k], 'f32');
  const logScale = Tensor.empty([n], 'f32');
  const sequenceStats = Tensor.empty([sequences, sequenceStatsWidth(k)], 'f32');
  runtime().dispatch({
    shader: wgsl.hmm_forward_backward,
    template: { K: k },
    constants: { WG: sequenceWorkgroupSize(sequences) },
    params: new ParamWriter().u32(sequences).finish(),
    buffers: [logB.buffer, chain.logStart.buffer, chain.logTrans.buffer, offsets.buffer, posteriors.buffer, logScale.buffer, sequenceStats.buffer],
    workgroups: grid1d(sequences, sequenceWorkgroupSize(sequences)),
  });
  logScale.dispose();
  return { posteriors, sequenceStats };
}

export interface ViterbiResult {
  /** [N] i32: the most probable state of each frame along its sequence's best path. */
  states: Tensor;
  /** [S]: the log-probability of each sequence's best path (joint with the observations). */
  logProb: Tensor;
}

/** Viterbi decoding of every sequence at once, back-pointers and backtracking on the GPU. */
export function viterbi(logB: Tensor, chain: GpuChain, offsets: Tensor): ViterbiResult {
  const [n, k] = logB.shape;
  const sequences = offsets.size - 1;
  const back = Tensor.empty([n, k], 'u32');
  const states = Tensor.empty([n], 'i32');
  const logProb = Tensor.empty([sequences], 'f32');
  runtime().dispatch({
    shader: wgsl.hmm_viterbi,
    template: { K: k },
    constants: { WG: sequenceWorkgroupSize(sequences) },
    params: new ParamWriter().u32(sequences).finish(),
    buffers: [logB.buffer, chain.logStart.buffer, chain.logTrans.buffer, offsets.buffer, back.buffer, states.buffer, logProb.buffer],
    workgroups: grid1d(sequences, sequenceWorkgroupSize(sequences)),
  });
  back.dispose();
  return { states, logProb };
}

/**
 * Posterior-weighted emission statistics summed over all frames (see shaders/hmm_moments.wgsl):
 * Gaussian [K * per-state statistics] about `shift` [K, D]; categorical [K * V] symbol masses.
 * `kind` picks the layout; gamma is [N, K].
 */
export function emissionStatistics(x: Tensor, gamma: Tensor, kind: 'diag' | 'full' | 'categorical', width: number, shift?: Tensor): Tensor {
  const [n, k] = gamma.shape;
  const d = kind === 'categorical' ? 1 : width;
  const perState = kind === 'categorical' ? width : gaussianStatsPerState(kind, d);
  const tasksPerChunk = k * (kind === 'full' ? d + 1 : 1);
  const wanted = Math.max(1, Math.min(Math.ceil(TARGET_INVOCATIONS / tasksPerChunk), Math.ceil(n / MIN_CHUNK)));
  const chunkLen = Math.ceil(n / wanted);
  const chunks = Math.ceil(n / chunkLen);
  const partial = Tensor.empty([chunks, k * perState], 'f32');
  runtime().dispatch({
    shader: wgsl.hmm_moments,
    entryPoint: kind,
    template: { D: d, D1: d + 1 },
    constants: { WG: WORKGROUP_SIZE },
    params: new ParamWriter().u32(n).u32(k).u32(chunks).u32(chunkLen).u32(kind === 'categorical' ? width : 0).finish(),
    buffers: kind === 'categorical' ? [x.buffer, gamma.buffer, partial.buffer] : [x.buffer, gamma.buffer, shift!.buffer, partial.buffer],
    workgroups: grid1d(chunks * tasksPerChunk, WORKGROUP_SIZE),
  });
  const total = chunks === 1 ? reshape(partial, [k * perState]) : sum(partial, 0);
  partial.dispose();
  return total;
}

/** i32 [chains, steps]: Markov chains drawn by inverse CDF from uniforms [chains, steps]. */
export function sampleStates(uniforms: Tensor, cumStart: Tensor, cumTrans: Tensor): Tensor {
  const [chains, steps] = uniforms.shape;
  const out = Tensor.empty([chains, steps], 'i32');
  runtime().dispatch({
    shader: wgsl.hmm_sample,
    entryPoint: 'states',
    constants: { WG: sequenceWorkgroupSize(chains) },
    params: new ParamWriter().u32(chains).u32(steps).u32(cumStart.size).u32(0).finish(),
    buffers: [uniforms.buffer, cumStart.buffer, cumTrans.buffer, out.buffer],
    workgroups: grid1d(chains, sequenceWorkgroupSize(chains)),
  });
  return out;
}

/** [N, D]: mu_z + L_z eps for each frame's state z (i32 [N]) and standard normal noise eps [N, D]. */
export function sampleGaussian(noise: Tensor, states: Tensor, means: Tensor, factors: Tensor): Tensor {
  const [n, d] = noise.shape;
  const out = Tensor.empty([n, d], 'f32');
  runtime().dispatch({
    shader: wgsl.hmm_sample,
    entryPoint: 'gaussian',
    constants: { WG: WORKGROUP_SIZE },
    params: new ParamWriter().u32(n * d).u32(0).u32(means.shape[0]).u32(d).finish(),
    buffers: [noise.buffer, states.buffer, means.buffer, factors.buffer, out.buffer],
    workgroups: grid1d(n * d, WORKGROUP_SIZE),
  });
  return out;
}

/** i32 [N]: a symbol for each frame's state z (i32 [N]) by inverse CDF of its emission row, from uniforms [N]. */
export function sampleCategorical(uniforms: Tensor, states: Tensor, cumEmission: Tensor): Tensor {
  const n = uniforms.size;
  const [k, symbols] = cumEmission.shape;
  const out = Tensor.empty([n], 'i32');
  runtime().dispatch({
    shader: wgsl.hmm_sample,
    entryPoint: 'categorical',
    constants: { WG: WORKGROUP_SIZE },
    params: new ParamWriter().u32(n).u32(0).u32(k).u32(symbols).finish(),
    buffers: [uniforms.buffer, states.buffer, cumEmission.buffer, out.buffer],
    workgroups: grid1d(n, WORKGROUP_SIZE),
  });
  return out;
}
