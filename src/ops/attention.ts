// Scaled dot-product attention, softmax(scale * q kᵀ + mask) v, as fused kernels in the
// flash-attention way: the forward pass (shaders/attention.wgsl) computes scores, mask, an online
// softmax and the weighted sum in one pass and keeps only each row's logsumexp, never a T x T
// matrix; the backward pass recomputes the probabilities from that logsumexp in two kernels, one
// owning query rows (dq, shaders/attention_grad_q.wgsl) and one owning key rows (dk and dv,
// shaders/attention_grad_kv.wgsl), so every gradient row is summed by one invocation in a fixed
// order: deterministic, no atomics. When the backward pass is itself recorded (createGraph), the
// rule is written with matmul and softmax instead, so gradients of gradients work, as in softmax.ts.
//
// The kernels take each operand's row layout (start, batch, head and row strides), so one kernel
// serves three entry points without transposing copies:
//   scaledDotProductAttention(q, k, v)        q, k, v and the output [B, H, T, Dh] (PyTorch's layout);
//   packedSelfAttention(qkv, heads)           qkv [B, T, 3C] as a fused q/k/v projection makes it,
//                                             output [B, T, C] as the output projection takes it;
//   cachedSelfAttention(qkv, cache, filled)   decoding: new rows of qkv against a KV cache [B, capacity, 2C].
// Rows are read as vec4s. A head size that is not a multiple of 4 is zero-padded to one (the padding
// adds nothing to the dot products, and its output columns are cut off); head sizes past 128, which
// would not fit the kernels' registers, use the matmul composition. Causal masking aligns the
// queries with the end of the keys: query i sees keys j <= i + Tk - Tq (training: the usual lower
// triangle; decoding one token: every cached key).

import { composite, fusedOrComposed, isGradEnabled, record, type BackwardRule } from '../autograd.js';
import { runtime } from '../context.js';
import type { KernelBuffers } from '../gpu/runtime.js';
import * as wgsl from '../gpu/shaders.generated.js';
import { Tensor, scope } from '../tensor.js';
import { arange, full } from './creation.js';
import { gt, mul, sub, where } from './elementwise.js';
import { pad, slice, split, stack } from './indexing.js';
import { isSoftwareAdapter, matmul } from './matmul.js';
import { permute, reshape } from './movement.js';
import { sum } from './reduce.js';
import { softmax } from './softmax.js';
import { assertDtype, grid1d, opError } from './shape.js';

/** Options of the fused attention ops. */
export interface AttentionOptions {
  /** Hide future keys: query i sees keys j <= i + (kvLength - Tq) (default false). */
  causal?: boolean;
  /** The factor on q . k (default 1 / sqrt(Dh)). */
  scale?: number;
  /** scaledDotProductAttention: attend to the first kvLength rows of k and v only (default: all of them). */
  kvLength?: number;
  /** The fused kernels' rung (default: chooseAttentionVariant's choice). */
  variant?: AttentionVariant;
}

/**
 * The fused attention kernels' rungs: 'blocks', an invocation per block of 4 rows reading K and V (or Q
 * and dO) from memory, the fast one on SwiftShader; 'tiles', a workgroup per 32 blocks of one head
 * staging them in workgroup memory, so each row is read once per workgroup: the GPU rung.
 */
export type AttentionVariant = 'blocks' | 'tiles';

/** The automatic rung: 'blocks' on a software adapter (workgroup memory and barriers cost more there), else 'tiles'. */
export function chooseAttentionVariant(): AttentionVariant {
  return isSoftwareAdapter() ? 'blocks' : 'tiles';
}

/** `variant` as given, or the automatic choice; throws, naming `op`, for an unknown one. */
function resolveAttentionVariant(op: string, variant: AttentionVariant | undefined, inputs: Tensor[]): AttentionVariant {
  if (variant === undefined) return chooseAttentionVariant();
  if (variant !== 'blocks' && variant !== 'tiles') throw opError(op, `unknown variant '${String(variant)}'; expected 'blocks' or 'tiles'`, inputs);
  return variant;
}

/** Where an operand's rows live in its buffer: row t of head h in batch b starts at start + b * batch + h * head + t * row (floats). */
interface RowLayout {
  start: number;
  batch: number;
  head: number;
  row: number;
}

/** The problem as the kernels see it. */
interface Problem {
  batch: number;
  heads: number;
  queries: number;
  /** Rows of k and v that are attended (kvLength). */
  keys: number;
  /** Rows k and v hold per (batch, head) pair (>= keys). */
  keyRows: number;
  headDim: number;
  causal: boolean;
  scale: number;
  variant: AttentionVariant;
  q: RowLayout;
  k: RowLayout;
  v: RowLayout;
  /** The output's layout, which its gradient shares. */
  out: RowLayout;
  dq: RowLayout;
  dk: RowLayout;
  dv: RowLayout;
}

/** Head sizes the kernels keep in registers; larger ones take the matmul composition. */
export const MAX_FUSED_HEAD_DIM = 128;
const WORKGROUP_SIZE = 64;
/** Blocks of 4 rows per workgroup on the 'tiles' rung. */
const TILE_BLOCKS = 32;

/** [B, H, T, Dh] contiguous, from float `start` on. */
function headsFirst(heads: number, rows: number, headDim: number, start = 0): RowLayout {
  return { start, batch: heads * rows * headDim, head: rows * headDim, row: headDim };
}

/** Rows of `width` floats per position ([B, T, width]), head h's Dh values from column `column` + h * Dh. */
function positionsFirst(rows: number, width: number, headDim: number, column: number): RowLayout {
  return { start: column, batch: rows * width, head: headDim, row: width };
}

function fusible(headDim: number): boolean {
  return headDim % 4 === 0 && headDim <= MAX_FUSED_HEAD_DIM;
}

function checkFloats(op: string, tensors: Tensor[]): void {
  for (const t of tensors) {
    t.assertAlive(op);
    assertDtype(op, t, ['f32']);
  }
}

function checkMask(op: string, causal: boolean, queries: number, keys: number, inputs: Tensor[]): void {
  if (causal && queries > keys) {
    throw opError(op, `a causal mask needs at least as many keys as queries (${keys} keys for ${queries} queries): the first queries would see nothing`, inputs);
  }
}

function checkScale(op: string, scale: number, inputs: Tensor[]): void {
  if (!Number.isFinite(scale)) throw opError(op, `scale must be a finite number, got ${scale}`, inputs);
}

// ---- launching the kernels -----------------------------------------------------------------------

/** Launches one of the three kernels over `blocks` blocks of 4 rows per (batch, head) pair, on a.variant's rung. */
function launch<B extends string>(shader: wgsl.Shader<wgsl.AttentionParams, B>, a: Problem, blocks: number, buffers: KernelBuffers<B>): void {
  if (a.batch * a.heads * blocks === 0) return;
  const at = (l: RowLayout) => [l.start, l.batch, l.head, l.row].map((floats) => floats / 4);
  const tiles = a.variant === 'tiles';
  // 'tiles': a workgroup per TILE_BLOCKS blocks of one pair; 'blocks': an invocation per block.
  const invocations = tiles ? a.batch * a.heads * Math.ceil(blocks / TILE_BLOCKS) * TILE_BLOCKS : a.batch * a.heads * blocks;
  const size = tiles ? TILE_BLOCKS : WORKGROUP_SIZE;
  runtime().dispatch({
    shader,
    entryPoint: tiles ? 'tiles' : 'main',
    template: { DH4: a.headDim / 4 },
    constants: { WG: size },
    params: {
      batch: a.batch,
      heads: a.heads,
      tq: a.queries,
      tk: a.keys,
      k_rows: a.keyRows,
      offset: a.causal ? a.keys - a.queries : 0,
      causal: a.causal ? 1 : 0,
      scale: a.scale,
      blocks,
      q_at: at(a.q),
      k_at: at(a.k),
      v_at: at(a.v),
      o_at: at(a.out),
      dq_at: at(a.dq),
      dk_at: at(a.dk),
      dv_at: at(a.dv),
    },
    buffers,
    workgroups: grid1d(invocations, size),
  });
}

/** The forward kernel: writes `out` and returns each query row's logsumexp [B * H, Tq]. */
function forwardKernel(a: Problem, q: Tensor, k: Tensor, v: Tensor, out: Tensor): Tensor {
  const lse = Tensor.empty([a.batch * a.heads, a.queries], 'f32');
  launch(wgsl.attention, a, Math.ceil(a.queries / 4), { q: q.buffer, k: k.buffer, v: v.buffer, out: out.buffer, lse: lse.buffer });
  return lse;
}

/** The two backward kernels: dq into `dq`, dk and dv into `dkv` (at the layouts a.dq, a.dk, a.dv). */
function backwardKernels(a: Problem, q: Tensor, k: Tensor, v: Tensor, out: Tensor, g: Tensor, lse: Tensor, dq: Tensor, dkv: Tensor): void {
  const delta = Tensor.empty(lse.shape, 'f32');
  launch(wgsl.attention_grad_q, a, Math.ceil(a.queries / 4), { q: q.buffer, k: k.buffer, v: v.buffer, out: out.buffer, dout: g.buffer, lse: lse.buffer, dq: dq.buffer, delta: delta.buffer });
  launch(wgsl.attention_grad_kv, a, Math.ceil(a.keyRows / 4), { q: q.buffer, k: k.buffer, v: v.buffer, dout: g.buffer, lse: lse.buffer, delta: delta.buffer, dkv: dkv.buffer });
  delta.dispose();
}

/** The forward kernel recorded with its backward rule (fused, or `composed` when the backward is recorded). */
function recordFused(op: string, inputs: Tensor[], out: Tensor, lse: Tensor, fused: BackwardRule, composed: BackwardRule): Tensor {
  const result = record(op, inputs, out, fusedOrComposed(fused, composed));
  if (!result.requiresGrad) lse.dispose();
  return result;
}

// ---- [B, H, T, Dh] -------------------------------------------------------------------------------

const SDPA = 'scaledDotProductAttention';

/**
 * softmax(scale * q kᵀ + mask) v over q [B, H, Tq, Dh] and k, v [B, H, Tk, Dh] (PyTorch's
 * F.scaled_dot_product_attention, with the causal mask aligned to the last key as FlashAttention
 * does). Returns [B, H, Tq, Dh]. Differentiable in q, k and v.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const inputs = [q, k, v];
  checkFloats(SDPA, inputs);
  const [B, H, Tq, Dh] = q.shape;
  const Tk = k.shape[2];
  const layoutOk =
    q.rank === 4 && k.rank === 4 && v.rank === 4 &&
    k.shape[0] === B && k.shape[1] === H && k.shape[3] === Dh &&
    v.shape.every((d, i) => d === k.shape[i]);
  if (!layoutOk) throw opError(SDPA, 'expected q [B, H, Tq, Dh] and k, v [B, H, Tk, Dh] with the same B, H and Dh', inputs);
  if (Dh < 1) throw opError(SDPA, 'the head size Dh must be at least 1', inputs);
  const keys = options.kvLength ?? Tk;
  if (!Number.isInteger(keys) || keys < 1 || keys > Tk) {
    throw opError(SDPA, `kvLength must be an integer in [1, ${Tk}] (the rows of k and v), got ${keys}`, inputs);
  }
  const causal = options.causal ?? false;
  checkMask(SDPA, causal, Tq, keys, inputs);
  const scale = options.scale ?? 1 / Math.sqrt(Dh);
  checkScale(SDPA, scale, inputs);
  const settings = { B, H, Tq, Tk, keys, causal, scale, variant: resolveAttentionVariant(SDPA, options.variant, inputs) };
  if (Dh > MAX_FUSED_HEAD_DIM) return composite(inputs, () => composedAttention(q, k, v, settings));
  if (Dh % 4 !== 0) {
    const widen = (t: Tensor) => pad(t, [0, 4 - (Dh % 4)]);
    return composite(inputs, () => slice(fusedHeadsFirst(widen(q), widen(k), widen(v), settings), 3, 0, Dh));
  }
  return fusedHeadsFirst(q, k, v, settings);
}

interface Settings {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  keys: number;
  causal: boolean;
  scale: number;
  variant: AttentionVariant;
}

function fusedHeadsFirst(q: Tensor, k: Tensor, v: Tensor, s: Settings): Tensor {
  const Dh = q.shape[3];
  const kv = headsFirst(s.H, s.Tk, Dh);
  const a: Problem = {
    batch: s.B, heads: s.H, queries: s.Tq, keys: s.keys, keyRows: s.Tk, headDim: Dh, causal: s.causal, scale: s.scale, variant: s.variant,
    q: headsFirst(s.H, s.Tq, Dh), k: kv, v: kv, out: headsFirst(s.H, s.Tq, Dh),
    // dk and dv share one buffer [2, B, H, Tk, Dh] (the kernel writes both through one binding).
    dq: headsFirst(s.H, s.Tq, Dh), dk: kv, dv: headsFirst(s.H, s.Tk, Dh, k.size),
  };
  const out = Tensor.empty(q.shape, 'f32');
  const lse = forwardKernel(a, q, k, v, out);
  const fused = (g: Tensor) => {
    const dq = Tensor.empty(q.shape, 'f32');
    const dkv = Tensor.empty([2, ...k.shape], 'f32');
    backwardKernels(a, q, k, v, out, g, lse, dq, dkv);
    const [dk, dv] = [Tensor.empty(k.shape, 'f32'), Tensor.empty(v.shape, 'f32')];
    runtime().copy(dkv.buffer, 0, dk.buffer, 0, k.size * 4);
    runtime().copy(dkv.buffer, k.size * 4, dv.buffer, 0, v.size * 4);
    dkv.dispose();
    return [dq, dk, dv];
  };
  return recordFused(SDPA, [q, k, v], out, lse, fused, (g) => composedBackward(q, k, v, g, s));
}

// ---- the same function with matmul and softmax ---------------------------------------------------

/** k or v cut to the attended rows. */
function attended(t: Tensor, s: Settings): Tensor {
  return s.keys === s.Tk ? t : slice(t, 2, 0, s.keys);
}

/** The attention probabilities softmax(scale * q kᵀ + mask): [B, H, Tq, kvLength]. */
function probabilities(q: Tensor, k: Tensor, s: Settings): Tensor {
  const scores = mul(matmul(q, attended(k, s), { transB: true }), s.scale);
  if (!s.causal) return softmax(scores, -1);
  // Key j is hidden from query i when j > i + offset.
  const offset = s.keys - s.Tq;
  const hidden = gt(reshape(arange(s.keys), [1, s.keys]), reshape(arange(offset, offset + s.Tq), [s.Tq, 1]));
  return softmax(where(hidden, full([], -Infinity), scores), -1);
}

/** Attention as matmul, mask and softmax (head sizes past MAX_FUSED_HEAD_DIM). */
function composedAttention(q: Tensor, k: Tensor, v: Tensor, s: Settings): Tensor {
  return matmul(probabilities(q, k, s), attended(v, s));
}

/** The backward rule with recorded ops (for createGraph): P recomputed, then the softmax and matmul rules. */
function composedBackward(q: Tensor, k: Tensor, v: Tensor, g: Tensor, s: Settings): Tensor[] {
  const p = probabilities(q, k, s);
  const dv = matmul(p, g, { transA: true });
  const dp = matmul(g, attended(v, s), { transB: true });
  const ds = mul(p, sub(dp, sum(mul(dp, p), -1, true)));
  const dq = mul(matmul(ds, attended(k, s)), s.scale);
  const dk = mul(matmul(ds, q, { transA: true }), s.scale);
  // Rows of k and v past kvLength get zero gradients.
  const fill = (t: Tensor) => (s.keys === s.Tk ? t : pad(t, [0, 0, 0, s.Tk - s.keys]));
  return [dq, fill(dk), fill(dv)];
}

// ---- packed [B, T, 3C] ---------------------------------------------------------------------------

const PACKED = 'packedSelfAttention';

/** q, k, v [B, H, T, Dh] out of qkv [B, T, 3C] with copies (the fallback for head sizes the kernels do not take). */
function unpack(qkv: Tensor, heads: number): Tensor[] {
  const [B, T, width] = qkv.shape;
  const Dh = width / 3 / heads;
  return split(permute(reshape(qkv, [B, T, 3, heads, Dh]), [2, 0, 3, 1, 4]), 1, 0).map((t) => reshape(t, [B, heads, T, Dh]));
}

/** [B, H, T, Dh] to [B, T, H * Dh]. */
function mergeHeads(t: Tensor): Tensor {
  const [B, H, T, Dh] = t.shape;
  return reshape(permute(t, [0, 2, 1, 3]), [B, T, H * Dh]);
}

function checkPacked(op: string, qkv: Tensor, heads: number, inputs: Tensor[]): number {
  if (qkv.rank !== 3 || !Number.isInteger(heads) || heads < 1 || qkv.shape[2] % (3 * heads) !== 0 || qkv.shape[2] === 0) {
    throw opError(op, `expected qkv [B, T, 3 * C] with C a multiple of heads (${heads})`, inputs);
  }
  return qkv.shape[2] / 3 / heads;
}

/**
 * Multi-head self-attention over a packed projection: qkv [B, T, 3C] holds q, k and v side by side,
 * each [B, T, H, Dh] flattened (C = H * Dh), as one linear layer to 3C features produces them.
 * Returns [B, T, C] (heads side by side), ready for the output projection. The kernels read and
 * write these layouts in place, so no transposing copy is made either way. Differentiable in qkv.
 */
export function packedSelfAttention(qkv: Tensor, heads: number, options: Omit<AttentionOptions, 'kvLength'> = {}): Tensor {
  checkFloats(PACKED, [qkv]);
  const Dh = checkPacked(PACKED, qkv, heads, [qkv]);
  const [B, T] = qkv.shape;
  const C = heads * Dh;
  const causal = options.causal ?? false;
  const scale = options.scale ?? 1 / Math.sqrt(Dh);
  checkScale(PACKED, scale, [qkv]);
  if (!fusible(Dh)) {
    return composite([qkv], () => {
      const [q, k, v] = unpack(qkv, heads);
      return mergeHeads(scaledDotProductAttention(q, k, v, { causal, scale }));
    });
  }
  const a: Problem = {
    batch: B, heads, queries: T, keys: T, keyRows: T, headDim: Dh, causal, scale, variant: resolveAttentionVariant(PACKED, options.variant, [qkv]),
    q: positionsFirst(T, 3 * C, Dh, 0), k: positionsFirst(T, 3 * C, Dh, C), v: positionsFirst(T, 3 * C, Dh, 2 * C),
    out: positionsFirst(T, C, Dh, 0),
    // The gradient has qkv's layout: dq, dk and dv side by side in one tensor.
    dq: positionsFirst(T, 3 * C, Dh, 0), dk: positionsFirst(T, 3 * C, Dh, C), dv: positionsFirst(T, 3 * C, Dh, 2 * C),
  };
  const out = Tensor.empty([B, T, C], 'f32');
  const lse = forwardKernel(a, qkv, qkv, qkv, out);
  const fused = (g: Tensor) => {
    const dqkv = Tensor.empty(qkv.shape, 'f32');
    backwardKernels(a, qkv, qkv, qkv, out, g, lse, dqkv, dqkv);
    return [dqkv];
  };
  const composed = (g: Tensor) => {
    const [q, k, v] = unpack(qkv, heads);
    const gHeads = permute(reshape(g, [B, T, heads, Dh]), [0, 2, 1, 3]);
    const grads = composedBackward(q, k, v, gHeads, { B, H: heads, Tq: T, Tk: T, keys: T, causal, scale, variant: a.variant });
    // [3, B, H, T, Dh] back to qkv's [B, T, 3, H, Dh].
    return [reshape(permute(stack(grads, 0), [1, 3, 0, 2, 4]), qkv.shape)];
  };
  return recordFused(PACKED, [qkv], out, lse, fused, composed);
}

// ---- decoding with a KV cache --------------------------------------------------------------------

const CACHED = 'cachedSelfAttention';

/**
 * One decoding step of packedSelfAttention with a KV cache, for inference (no gradient): the keys
 * and values of qkv [B, n, 3C] (n new positions) are written into rows filled..filled+n-1 of
 * `cache` [B, capacity, 2C] (each row: the keys, then the values, as in qkv), and the n queries
 * attend causally over all filled + n cached positions. Returns [B, n, C]. The cost is O(filled + n)
 * per query: the cache is read in place.
 */
export function cachedSelfAttention(qkv: Tensor, cache: Tensor, filled: number, heads: number, options: Pick<AttentionOptions, 'scale' | 'variant'> = {}): Tensor {
  const inputs = [qkv, cache];
  checkFloats(CACHED, inputs);
  const Dh = checkPacked(CACHED, qkv, heads, inputs);
  const [B, n] = qkv.shape;
  const C = heads * Dh;
  if (cache.rank !== 3 || cache.shape[0] !== B || cache.shape[2] !== 2 * C) {
    throw opError(CACHED, `expected a cache [B, capacity, 2 * C] for qkv [B, n, 3 * C] (C = ${C})`, inputs);
  }
  const capacity = cache.shape[1];
  if (!Number.isInteger(filled) || filled < 0 || filled + n > capacity) {
    throw opError(CACHED, `${filled} filled rows plus ${n} new ones must fit the cache's ${capacity}`, inputs);
  }
  if (isGradEnabled() && qkv.requiresGrad) throw opError(CACHED, 'is for inference and records no gradient; call it inside noGrad', inputs);
  const scale = options.scale ?? 1 / Math.sqrt(Dh);
  checkScale(CACHED, scale, inputs);
  // Each new position's keys and values (columns C..3C of its qkv row) become one cache row.
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < n; t++) {
      runtime().copy(qkv.buffer, ((b * n + t) * 3 * C + C) * 4, cache.buffer, ((b * capacity + filled + t) * 2 * C) * 4, 2 * C * 4);
    }
  }
  const keys = filled + n;
  if (!fusible(Dh)) {
    return scope(() => {
      const [q] = unpack(qkv, heads);
      const kv = permute(reshape(slice(cache, 1, 0, keys), [B, keys, 2, heads, Dh]), [2, 0, 3, 1, 4]);
      const [k, v] = split(kv, 1, 0).map((t) => reshape(t, [B, heads, keys, Dh]));
      return mergeHeads(scaledDotProductAttention(q, k, v, { causal: true, scale }));
    });
  }
  const cached = (column: number): RowLayout => ({ start: column, batch: capacity * 2 * C, head: Dh, row: 2 * C });
  const a: Problem = {
    batch: B, heads, queries: n, keys, keyRows: capacity, headDim: Dh, causal: true, scale, variant: resolveAttentionVariant(CACHED, options.variant, inputs),
    q: positionsFirst(n, 3 * C, Dh, 0), k: cached(0), v: cached(C), out: positionsFirst(n, C, Dh, 0),
    dq: positionsFirst(n, 3 * C, Dh, 0), dk: cached(0), dv: cached(C),
  };
  const out = Tensor.empty([B, n, C], 'f32');
  forwardKernel(a, qkv, cache, cache, out).dispose();
  return out;
}
