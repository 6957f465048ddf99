// Scaled dot-product attention with PyTorch's F.scaled_dot_product_attention as its surface
// (gg.nn.functional.scaledDotProductAttention). The fused kernels of src/ops/attention.ts run it where
// they apply: no mask, no dropout, values as wide as the queries, and a causal mask only with as many
// queries as keys (PyTorch aligns the causal mask with the first key, the kernels with the last; the
// two agree only then). Everything else is composed from matmul, where, softmax and dropout, which
// also gives the attention weights that MultiheadAttention returns.

import { composite } from '../autograd.js';
import { Tensor, formatShape } from '../tensor.js';
import { arange } from '../ops/creation.js';
import { gt, ne, where } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/movement.js';
import { dropoutMask, type Generator } from '../ops/random.js';
import { assertDtype, broadcastShapes, sameShape } from '../ops/shape.js';
import { softmax } from '../ops/softmax.js';
import { scaledDotProductAttention as fusedAttention } from '../ops/attention.js';
import { checkFloat, checkProbability, opError, present } from './common.js';

/** Options of {@link scaledDotProductAttention}. */
export interface ScaledDotProductAttentionOptions {
  /**
   * Which keys each query attends to, broadcasting to [..., L, S]. An i32 or u32 mask is PyTorch's
   * boolean attn_mask: non-zero = attend (gengpu has no bool dtype; a comparison's f32 0/1 mask
   * becomes one with `.to('i32')`). An f32 mask is added to the scores (0 to keep, -Infinity to
   * hide), and gets a gradient. Default none.
   */
  mask?: Tensor | null;
  /** PyTorch's name for `mask`; give one or the other. */
  attnMask?: Tensor | null;
  /** Query i attends to keys j <= i only (PyTorch's is_causal: the mask is aligned with the first key). Default false. */
  causal?: boolean;
  /** PyTorch's name for `causal`; give one or the other. */
  isCausal?: boolean;
  /** The factor on q · k (default 1 / sqrt(E), E the width of queries and keys). */
  scale?: number | null;
  /** Dropout on the attention weights (PyTorch's dropout_p, applied whenever > 0; default 0). */
  dropoutP?: number;
  /** The stream the dropout mask is drawn from (default: the default generator). */
  generator?: Generator;
}

/** Attention as the composed path computes it, with every option resolved. */
export interface AttentionSettings {
  /** An f32 mask added to the scores, or an integer mask (non-zero = attend); broadcasts to [..., L, S]. */
  mask: Tensor | null;
  /** The causal mask aligned with the first key. */
  causal: boolean;
  scale: number;
  dropoutP: number;
  generator?: Generator;
}

const SDPA = 'scaledDotProductAttention';

/** The one of two spellings of an option that was given (they must agree when both were). */
function eitherOf<T>(name: string, value: T | undefined, alias: string, aliasValue: T | undefined, inputs: Tensor[]): T | undefined {
  if (value !== undefined && aliasValue !== undefined && value !== aliasValue) {
    throw opError(SDPA, `give ${name} or ${alias}, not both`, inputs);
  }
  return value ?? aliasValue;
}

/** Checks the inputs and resolves the options: shapes [..., L, E], [..., S, E], [..., S, Ev]. */
function resolve(query: Tensor, key: Tensor, value: Tensor, options: ScaledDotProductAttentionOptions): AttentionSettings {
  const inputs = [query, key, value];
  checkFloat(SDPA, inputs);
  const mask = eitherOf('mask', options.mask ?? undefined, 'attnMask', options.attnMask ?? undefined, inputs) ?? null;
  const causal = eitherOf('causal', options.causal, 'isCausal', options.isCausal, inputs) ?? false;
  const all = present([query, key, value, mask]);
  const rank = query.rank;
  const lead = query.shape.slice(0, -2);
  const shapesOk =
    rank >= 2 && key.rank === rank && value.rank === rank &&
    sameShape(key.shape.slice(0, -2), lead) && sameShape(value.shape.slice(0, -2), lead) &&
    key.shape[rank - 1] === query.shape[rank - 1] && value.shape[rank - 2] === key.shape[rank - 2];
  if (!shapesOk) throw opError(SDPA, 'expected query [..., L, E], key [..., S, E] and value [..., S, Ev] with the same leading dimensions', all);
  const [E, S, L] = [query.shape[rank - 1], key.shape[rank - 2], query.shape[rank - 2]];
  if (E < 1 || S < 1) throw opError(SDPA, `needs at least one key and a width E >= 1 (got S = ${S}, E = ${E})`, all);
  if (mask) {
    mask.assertAlive(SDPA);
    assertDtype(SDPA, mask, ['f32', 'i32', 'u32']);
    const scores = [...lead, L, S];
    if (!sameShape(broadcastShapes(SDPA, mask.shape, scores), scores)) {
      throw opError(SDPA, `the mask must broadcast to the scores' shape ${formatShape(scores)}`, all);
    }
    if (causal) throw opError(SDPA, 'give a mask or causal: true, not both (as PyTorch)', all);
  }
  const scale = options.scale ?? 1 / Math.sqrt(E);
  if (!Number.isFinite(scale)) throw opError(SDPA, `scale must be a finite number, got ${scale}`, all);
  const dropoutP = options.dropoutP ?? 0;
  checkProbability(SDPA, 'dropoutP', dropoutP);
  return { mask, causal, scale, dropoutP, generator: options.generator };
}

/**
 * softmax(query keyᵀ * scale + mask) value, as PyTorch's F.scaled_dot_product_attention: query
 * [..., L, E], key [..., S, E] and value [..., S, Ev] with the same leading dimensions (a batch, heads,
 * or none) give [..., L, Ev]. Differentiable in query, key, value and an f32 mask.
 *
 * Without a mask, dropout or a causal mask over unequal lengths, and with Ev = E, it runs the fused
 * flash-attention kernels (no L x S matrix is stored); otherwise matmul, softmax and where. As in
 * PyTorch, a query that attends to no key gets NaN, and a mask together with causal is an error.
 * Where gengpu differs: boolean masks are i32 or u32 tensors (non-zero = attend), as there is no bool
 * dtype; there is no enable_gqa (key and value have query's leading dimensions).
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const settings = resolve(query, key, value, options);
  const rank = query.rank;
  const [L, S] = [query.shape[rank - 2], key.shape[rank - 2]];
  const fused = !settings.mask && settings.dropoutP === 0 && value.shape[rank - 1] === query.shape[rank - 1] && (!settings.causal || L === S);
  if (!fused) return composite(present([query, key, value, settings.mask]), () => attentionAndWeights(query, key, value, settings).output);
  if (rank === 4) return fusedAttention(query, key, value, { causal: settings.causal, scale: settings.scale });
  // The kernels take [B, H, T, E]: every leading dimension becomes a head.
  const heads = query.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const asHeads = (t: Tensor) => reshape(t, [1, heads, ...t.shape.slice(-2)]);
  return composite([query, key, value], () =>
    reshape(fusedAttention(asHeads(query), asHeads(key), asHeads(value), { causal: settings.causal, scale: settings.scale }), [...query.shape.slice(0, -1), value.shape[rank - 1]]),
  );
}

/**
 * The composed path: the output [..., L, Ev] and the attention weights [..., L, S] (after dropout, as
 * PyTorch's MultiheadAttention returns them). The inputs are checked by the caller.
 */
export function attentionAndWeights(query: Tensor, key: Tensor, value: Tensor, s: AttentionSettings): { output: Tensor; weights: Tensor } {
  let scores = matmul(query, key, { transB: true }).mul(s.scale);
  if (s.mask) scores = s.mask.dtype === 'f32' ? scores.add(s.mask) : where(ne(s.mask, 0), scores, -Infinity);
  if (s.causal) scores = where(causallyHidden(...(scores.shape.slice(-2) as [number, number])), -Infinity, scores);
  let weights = softmax(scores, -1);
  if (s.dropoutP > 0) weights = weights.mul(dropoutMask(weights.shape, s.dropoutP, { generator: s.generator }));
  return { output: matmul(weights, value), weights };
}

/** The f32 [L, S] mask of the pairs a causal mask hides, aligned with the first key: 1 where key j > query i. */
export function causallyHidden(L: number, S: number): Tensor {
  return gt(reshape(arange(S), [1, S]), reshape(arange(L), [L, 1]));
}
