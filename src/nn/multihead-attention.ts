// MultiheadAttention as torch.nn.MultiheadAttention: the same constructor arguments, parameter names,
// layouts and initialisation (so a PyTorch state_dict loads as it is), the same forward arguments and
// [output, weights] result. The heads attend through nn.functional.scaledDotProductAttention, which
// takes the fused kernels when no mask and no weights are asked for; self-attention with batchFirst
// (one tensor as query, key and value) goes further and reads its packed projection in place
// (packedSelfAttention), as PyTorch's fast path does.

import { composite } from '../autograd.js';
import { Tensor, checkFitsDevice, formatShape } from '../tensor.js';
import { add, ne, where } from '../ops/elementwise.js';
import { split } from '../ops/indexing.js';
import { permute, reshape } from '../ops/movement.js';
import { packedSelfAttention } from '../ops/attention.js';
import type { Generator } from '../ops/random.js';
import { mean } from '../ops/reduce.js';
import { assertDtype, sameShape } from '../ops/shape.js';
import { attentionAndWeights, causallyHidden, scaledDotProductAttention } from './attention.js';
import { checkFloat, checkPositiveInteger, checkProbability, opError, present } from './common.js';
import { linear } from './functional.js';
import { xavierUniform, zeros } from './init.js';
import { Linear } from './layers.js';
import { Module } from './module.js';

const MHA = 'MultiheadAttention';

/** Options of {@link MultiheadAttention}'s constructor. */
export interface MultiheadAttentionOptions {
  /** Learn the input and output projections' biases (default true). */
  bias?: boolean;
  /** Inputs and output are [N, L, E] (default false: [L, N, E]). */
  batchFirst?: boolean;
  /** Features of the keys (default embedDim). */
  kdim?: number;
  /** Features of the values (default embedDim). */
  vdim?: number;
  /** Dropout on the attention weights, in training (default 0). */
  dropout?: number;
  /** The stream the initial weights and the dropout masks are drawn from (default: the default generator). */
  generator?: Generator;
}

/** Options of {@link MultiheadAttention.forward}. */
export interface MultiheadAttentionForwardOptions {
  /**
   * Keys to ignore per batch element: [N, S] ([S] for unbatched inputs). An i32 or u32 mask is
   * PyTorch's boolean one (non-zero = ignore that key); an f32 mask is added to the scores.
   */
  keyPaddingMask?: Tensor | null;
  /**
   * Query-key pairs to block: [L, S], or [N * numHeads, L, S] ([numHeads, L, S] unbatched). An i32
   * or u32 mask is PyTorch's boolean one (non-zero = not allowed to attend); an f32 mask is added to
   * the scores.
   */
  attnMask?: Tensor | null;
  /** Return the attention weights as well (default true; false lets the fused kernels run). */
  needWeights?: boolean;
  /** Average the returned weights over the heads (default true), else one map per head. */
  averageAttnWeights?: boolean;
  /**
   * Apply the causal mask: query i attends to keys j <= i (default false). PyTorch takes this only
   * as a hint beside an attnMask that must be given; gengpu builds the mask itself, and with an
   * attnMask as well, applies both.
   */
  isCausal?: boolean;
}

/**
 * Multi-head attention (torch.nn.MultiheadAttention): query, key and value are projected to embedDim
 * features, split into numHeads heads of embedDim / numHeads, attended per head with
 * softmax(q kᵀ / sqrt(headDim) + mask) v, merged and projected by outProj.
 *
 * Parameters as PyTorch's: 'in_proj_weight' [3E, E] (q, k, v stacked) when kdim = vdim = embedDim,
 * else 'q_proj_weight' [E, E], 'k_proj_weight' [E, kdim] and 'v_proj_weight' [E, vdim];
 * 'in_proj_bias' [3E]; 'out_proj.weight' and 'out_proj.bias'. Projection weights are Xavier-uniform,
 * the biases zero, out_proj.weight Linear's default. No add_bias_kv or add_zero_attn.
 */
export class MultiheadAttention extends Module {
  /** Features of the queries and the output (E). */
  readonly embedDim: number;
  /** Features of the keys. */
  readonly kdim: number;
  /** Features of the values. */
  readonly vdim: number;
  /** Number of heads. */
  readonly numHeads: number;
  /** embedDim / numHeads. */
  readonly headDim: number;
  /** Dropout probability on the attention weights in training. */
  readonly dropout: number;
  /** Inputs and output are [N, L, E] rather than [L, N, E]. */
  readonly batchFirst: boolean;
  /** The q, k and v projections stacked, [3E, E], when kdim = vdim = embedDim; else null. Key 'in_proj_weight'. */
  readonly inProjWeight: Tensor | null;
  /** The q projection, [E, E], when kdim or vdim differ from embedDim; else null. Key 'q_proj_weight'. */
  readonly qProjWeight: Tensor | null;
  /** The k projection, [E, kdim], when kdim or vdim differ from embedDim; else null. Key 'k_proj_weight'. */
  readonly kProjWeight: Tensor | null;
  /** The v projection, [E, vdim], when kdim or vdim differ from embedDim; else null. Key 'v_proj_weight'. */
  readonly vProjWeight: Tensor | null;
  /** The q, k and v biases, [3E]; null with `bias: false`. Key 'in_proj_bias'. */
  readonly inProjBias: Tensor | null;
  /** The output projection, E to E. Key prefix 'out_proj.'. */
  readonly outProj: Linear;
  private readonly generator: Generator | undefined;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const { bias = true, batchFirst = false, kdim = embedDim, vdim = embedDim, dropout = 0, generator } = options;
    for (const [name, value] of [['embedDim', embedDim], ['numHeads', numHeads], ['kdim', kdim], ['vdim', vdim]] as const) checkPositiveInteger(MHA, name, value);
    if (embedDim % numHeads !== 0) throw new Error(`${MHA}: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    checkProbability(MHA, 'dropout', dropout);
    // The largest weight, checked before any is made (a constructor that failed halfway would leave the first ones with no owner).
    checkFitsDevice(MHA, [3 * embedDim, Math.max(embedDim, kdim, vdim)], 'f32', 'a weight');
    this.embedDim = embedDim;
    this.kdim = kdim;
    this.vdim = vdim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.dropout = dropout;
    this.batchFirst = batchFirst;
    this.generator = generator;
    const projection = (shape: number[]) => xavierUniform(Tensor.empty(shape), { generator });
    const packed = kdim === embedDim && vdim === embedDim;
    this.inProjWeight = packed ? this.registerParameter('in_proj_weight', projection([3 * embedDim, embedDim])) : null;
    this.qProjWeight = packed ? null : this.registerParameter('q_proj_weight', projection([embedDim, embedDim]));
    this.kProjWeight = packed ? null : this.registerParameter('k_proj_weight', projection([embedDim, kdim]));
    this.vProjWeight = packed ? null : this.registerParameter('v_proj_weight', projection([embedDim, vdim]));
    this.inProjBias = bias ? this.registerParameter('in_proj_bias', zeros(Tensor.empty([3 * embedDim]))) : null;
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { bias, generator }));
    if (this.outProj.bias) zeros(this.outProj.bias);
  }

  /**
   * Attends from query to key and value: [L, N, E], [S, N, kdim], [S, N, vdim] (batchFirst: [N, L, E],
   * [N, S, kdim], [N, S, vdim]; unbatched: [L, E], [S, kdim], [S, vdim]). Returns [output, weights] as
   * PyTorch: the output has query's layout, and the weights (null with needWeights: false) are
   * [N, L, S] averaged over the heads or [N, numHeads, L, S] ([L, S] or [numHeads, L, S] unbatched).
   * Dropout acts on the weights in training, and the returned weights are the dropped ones, as in
   * PyTorch. A query whose every key is masked gets NaN, as in PyTorch.
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const { keyPaddingMask = null, attnMask = null, needWeights = true, averageAttnWeights = true, isCausal = false } = options;
    const inputs = present([query, key, value, keyPaddingMask, attnMask]);
    checkFloat(MHA, [query, key, value]);
    for (const mask of [keyPaddingMask, attnMask]) {
      mask?.assertAlive(MHA);
      if (mask) assertDtype(MHA, mask, ['f32', 'i32', 'u32']);
    }
    const batched = query.rank === 3;
    // Where the batch and the sequence sit in the inputs: [N, T, .] batch-first, [T, N, .] time-first, [T, .] unbatched.
    const [sequenceAxis, batchAxis] = !batched ? [0, -1] : this.batchFirst ? [1, 0] : [0, 1];
    const [L, S, N] = [query.shape[sequenceAxis], key.shape[sequenceAxis], batched ? query.shape[batchAxis] : 1];
    const layout = (length: number, features: number) => (!batched ? [length, features] : this.batchFirst ? [N, length, features] : [length, N, features]);
    const shapesOk =
      (query.rank === 2 || query.rank === 3) &&
      sameShape(query.shape, layout(L, this.embedDim)) && sameShape(key.shape, layout(S, this.kdim)) && sameShape(value.shape, layout(S, this.vdim));
    if (!shapesOk) {
      const names = this.batchFirst ? '[N, L, .], [N, S, .]' : '[L, N, .], [S, N, .]';
      throw opError(MHA, `expected query, key and value ${names} (or unbatched [L, .], [S, .]) with ${this.embedDim}, ${this.kdim} and ${this.vdim} features`, inputs);
    }
    if (keyPaddingMask && !sameShape(keyPaddingMask.shape, batched ? [N, S] : [S])) {
      throw opError(MHA, `keyPaddingMask must be ${formatShape(batched ? [N, S] : [S])}, got ${formatShape(keyPaddingMask.shape)}`, inputs);
    }
    const perHead = [batched ? N * this.numHeads : this.numHeads, L, S];
    if (attnMask && !sameShape(attnMask.shape, [L, S]) && !sameShape(attnMask.shape, perHead)) {
      throw opError(MHA, `attnMask must be ${formatShape([L, S])} or ${formatShape(perHead)}, got ${formatShape(attnMask.shape)}`, inputs);
    }
    const dropoutP = this.training ? this.dropout : 0;

    return composite([...inputs, ...this.parameters()], () => {
      const selfAttention = query === key && key === value && this.inProjWeight !== null;
      if (selfAttention && !keyPaddingMask && !attnMask && !needWeights && dropoutP === 0 && (this.batchFirst || !batched)) {
        const qkv = linear(batched ? query : reshape(query, [1, L, this.embedDim]), this.inProjWeight!, this.inProjBias);
        const attended = this.outProj.forward(packedSelfAttention(qkv, this.numHeads, { causal: isCausal }));
        return [batched ? attended : reshape(attended, [L, this.embedDim]), null];
      }
      const [q, k, v] = this.project(query, key, value).map((x, i) => this.splitHeads(x, N, i === 0 ? L : S));
      let mask = this.additiveMask(keyPaddingMask, attnMask, N, L, S);
      if (mask && isCausal) mask = add(mask, where(causallyHidden(L, S), -Infinity, 0));
      const settings = { mask, causal: isCausal && !mask, scale: 1 / Math.sqrt(this.headDim), dropoutP, generator: this.generator };
      const { output, weights } = needWeights ? attentionAndWeights(q, k, v, settings) : { output: scaledDotProductAttention(q, k, v, settings), weights: null };
      // [N, H, L, Dh] back to query's layout with the heads side by side, then the output projection.
      const merged = this.batchFirst || !batched ? permute(output, [0, 2, 1, 3]) : permute(output, [2, 0, 1, 3]);
      const out = this.outProj.forward(reshape(merged, batched ? [...merged.shape.slice(0, 2), this.embedDim] : [L, this.embedDim]));
      if (!weights) return [out, null];
      const shown = averageAttnWeights ? mean(weights, 1) : weights;
      return [out, batched ? shown : reshape(shown, shown.shape.slice(1))];
    });
  }

  /** The q, k and v projections of the inputs (with in_proj_weight's three blocks, or the three weights). */
  private project(query: Tensor, key: Tensor, value: Tensor): Tensor[] {
    const E = this.embedDim;
    const weights = this.inProjWeight ? split(this.inProjWeight, E, 0) : [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!];
    const biases = this.inProjBias ? split(this.inProjBias, E, 0) : [null, null, null];
    return [query, key, value].map((x, i) => linear(x, weights[i], biases[i]));
  }

  /** A projection in the input's layout to [N, H, T, Dh]. */
  private splitHeads(x: Tensor, N: number, T: number): Tensor {
    const [H, Dh] = [this.numHeads, this.headDim];
    if (this.batchFirst || x.rank === 2) return permute(reshape(x, [N, T, H, Dh]), [0, 2, 1, 3]);
    return permute(reshape(x, [T, N, H, Dh]), [1, 2, 0, 3]);
  }

  /** Both masks as one f32 mask added to the scores [N, H, L, S] (boolean ones become 0 and -Infinity), or null. */
  private additiveMask(keyPaddingMask: Tensor | null, attnMask: Tensor | null, N: number, L: number, S: number): Tensor | null {
    const additive = (mask: Tensor) => (mask.dtype === 'f32' ? mask : where(ne(mask, 0), -Infinity, 0));
    const padding = keyPaddingMask && reshape(additive(keyPaddingMask), [N, 1, 1, S]);
    const blocked = attnMask && (attnMask.rank === 2 ? additive(attnMask) : reshape(additive(attnMask), [N, this.numHeads, L, S]));
    if (padding && blocked) return add(padding, blocked);
    return padding ?? blocked;
  }

  protected override extraRepr(): string {
    const extra = this.kdim !== this.embedDim || this.vdim !== this.embedDim ? `, kdim=${this.kdim}, vdim=${this.vdim}` : '';
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, dropout=${this.dropout}, bias=${this.inProjBias !== null}, batchFirst=${this.batchFirst}${extra}`;
  }
}
