// Launchers for the hidden Markov models' own kernels (shaders/models/hmm_*.wgsl): forward-backward,
// Viterbi, the categorical emission log-probabilities and symbol counts, and sampling the chains and
// categorical emissions. These are the passes over the frames; the host only sees the K x K and K x V
// sized statistics they reduce to. The Gaussian emissions use the kernels shared with the mixture
// (src/models/shared/gaussian.ts).

import { runtime } from '../../context.js';
import { Tensor } from '../../tensor.js';
import { reshape } from '../../ops/movement.js';
import { sum } from '../../ops/reduce.js';
import { grid1d } from '../../ops/shape.js';
import { sampleChunks } from '../shared/gaussian.js';
import * as wgsl from '../../gpu/shaders.generated.js';

const WORKGROUP_SIZE = 64;
/**
 * Workgroup size of the per-sequence kernels (one invocation per sequence, a long serial loop each):
 * small batches use small workgroups, so a hundred sequences still spread over every CPU thread (on
 * SwiftShader) or multiprocessor; batches large enough to fill 32-wide warps use 32.
 */
function sequenceWorkgroupSize(sequences: number): number {
  return sequences >= 2048 ? 32 : 8;
}

/** The Markov chain as the kernels read it: log start probabilities [K] and log transitions [K, K]. */
export interface GpuChain {
  logStart: Tensor;
  logTrans: Tensor;
}

/** log p(x_n | state k) = logEmission[k, x_n] for every frame of the symbols x (i32 [N] or [N, 1]): [N, K]. */
export function categoricalLogProb(x: Tensor, logEmission: Tensor): Tensor {
  const n = x.shape[0];
  const [k, symbols] = logEmission.shape;
  const out = Tensor.empty([n, k], 'f32');
  runtime().dispatch({
    shader: wgsl.hmm_categorical_logprob,
    constants: { WG: WORKGROUP_SIZE },
    params: { n, k, symbols },
    buffers: { symbols: x.buffer, log_emission: logEmission.buffer, log_b: out.buffer },
    workgroups: grid1d(n * k, WORKGROUP_SIZE),
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

/** What the per-sequence kernels share (include/hmm_chain.wgsl): one invocation per sequence, the chain's inputs at @1-@4. */
function perSequenceLaunch(logB: Tensor, chain: GpuChain, offsets: Tensor) {
  const sequences = offsets.size - 1;
  const workgroupSize = sequenceWorkgroupSize(sequences);
  return {
    template: { K: logB.shape[1] },
    constants: { WG: workgroupSize },
    params: { sequences },
    buffers: { log_b: logB.buffer, log_start: chain.logStart.buffer, log_trans: chain.logTrans.buffer, offsets: offsets.buffer },
    workgroups: grid1d(sequences, workgroupSize),
  };
}

/** Forward-backward over every sequence at once, one invocation per sequence (offsets: u32 [S + 1]). */
export function forwardBackward(logB: Tensor, chain: GpuChain, offsets: Tensor): ForwardBackwardResult {
  const [n, k] = logB.shape;
  const sequences = offsets.size - 1;
  const posteriors = Tensor.empty([n, k], 'f32');
  const logScale = Tensor.empty([n], 'f32');
  const sequenceStats = Tensor.empty([sequences, sequenceStatsWidth(k)], 'f32');
  const { buffers, ...launch } = perSequenceLaunch(logB, chain, offsets);
  runtime().dispatch({
    shader: wgsl.hmm_forward_backward,
    ...launch,
    buffers: { ...buffers, posteriors: posteriors.buffer, log_scale: logScale.buffer, sequence_stats: sequenceStats.buffer },
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
  const { buffers, ...launch } = perSequenceLaunch(logB, chain, offsets);
  runtime().dispatch({
    shader: wgsl.hmm_viterbi,
    ...launch,
    buffers: { ...buffers, back: back.buffer, states: states.buffer, log_prob: logProb.buffer },
  });
  back.dispose();
  return { states, logProb };
}

/** [K * V]: the posterior mass gamma [N, K] of each state on each of the V symbols, summed over the frames of x (see hmm_symbol_counts.wgsl). */
export function symbolCounts(x: Tensor, gamma: Tensor, symbols: number): Tensor {
  const [n, k] = gamma.shape;
  const { chunks, chunkLen } = sampleChunks(n, k);
  const partial = Tensor.empty([chunks, k * symbols], 'f32');
  runtime().dispatch({
    shader: wgsl.hmm_symbol_counts,
    constants: { WG: WORKGROUP_SIZE },
    params: { n, k, chunks, chunk_len: chunkLen, symbols },
    buffers: { symbols: x.buffer, gamma: gamma.buffer, partial: partial.buffer },
    workgroups: grid1d(chunks * k, WORKGROUP_SIZE),
  });
  const total = chunks === 1 ? reshape(partial, [k * symbols]) : sum(partial, 0);
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
    params: { count: chains, steps, k: cumStart.size, width: 0 },
    buffers: { random_values: uniforms.buffer, cum_start: cumStart.buffer, cum_trans: cumTrans.buffer, chain_states: out.buffer },
    workgroups: grid1d(chains, sequenceWorkgroupSize(chains)),
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
    params: { count: n, steps: 0, k, width: symbols },
    buffers: { random_values: uniforms.buffer, frame_states: states.buffer, cum_emission: cumEmission.buffer, symbols: out.buffer },
    workgroups: grid1d(n, WORKGROUP_SIZE),
  });
  return out;
}
