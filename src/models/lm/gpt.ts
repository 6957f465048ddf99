// A decoder-only transformer (GPT-2's architecture, as in nanoGPT): token and position embeddings,
// pre-LayerNorm blocks of multi-head causal self-attention (the fused flash-attention kernels of
// src/ops/attention.ts) and a GELU MLP, a final LayerNorm, and an output head tied to the token
// embedding. State-dict keys are nanoGPT's ('transformer.h.0.attn.c_attn.weight', ...), so its
// weights map over by name. Weights start as in nanoGPT: N(0, 0.02), residual projections
// N(0, 0.02 / sqrt(2 * nLayer)), biases 0, drawn from a seeded generator that dropout then uses too.
//
// Generation goes through a KV cache (GPTDecoder): each layer keeps the keys and values of the
// tokens seen so far, so a new token runs the network on one position and attends over the cache:
// O(T) work per token instead of recomputing the whole window. For inference the token embedding
// and the linear layers' weights may be stored as packed halves (GPTOptions.weightDtype: half the
// memory; GPT-2's weights are loaded so by default). Training and evaluation helpers
// shared with the char-RNN are in language-model.ts; sampling (temperature, top-k, top-p) in sampling.ts.

import { noGrad } from '../../autograd.js';
import { Dropout, Embedding, GELU, LayerNorm, Linear, Sequential } from '../../nn/layers.js';
import type { GeluApproximation } from '../../ops/elementwise.js';
import { normal, zeros as zeroInit } from '../../nn/init.js';
import { composite } from '../../autograd.js';
import { Module } from '../../nn/module.js';
import { cachedSelfAttention, packedSelfAttention } from '../../ops/attention.js';
import { arange, tensor, zeros } from '../../ops/creation.js';
import { linearHalf, unpackHalves } from '../../ops/half.js';
import { indexSelect, slice } from '../../ops/indexing.js';
import { matmul } from '../../ops/matmul.js';
import { reshape } from '../../ops/movement.js';
import type { Generator } from '../../ops/random.js';
import { Tensor, checkFitsDevice, formatShape, scope } from '../../tensor.js';
import type { LanguageModel } from './language-model.js';
import type { Decoder } from './sampling.js';

/** The size of a {@link GPT} (nanoGPT's GPTConfig). */
export interface GPTConfig {
  /** Number of token ids. */
  vocabSize: number;
  /** The longest context (positions with an embedding). */
  blockSize: number;
  /** Number of transformer blocks. */
  nLayer: number;
  /** Attention heads per block. */
  nHead: number;
  /** The width; a multiple of nHead. */
  nEmbd: number;
  /** Dropout after the embeddings and on each residual branch, in training (default 0). */
  dropout?: number;
  /** Biases in the linear layers and LayerNorms (default true; nanoGPT trains without). */
  bias?: boolean;
  /** The MLP's GELU: 'none' the exact one, as nanoGPT's nn.GELU() (the default); 'tanh' GPT-2's approximation. */
  geluApproximate?: GeluApproximation;
  /** The LayerNorms' epsilon, added to the variance (default 1e-5, GPT-2's and PyTorch's). */
  layerNormEps?: number;
}

/** Options of the {@link GPT} constructor. */
export interface GPTOptions {
  /** Draws the initial weights and then the dropout masks (default: the default generator). */
  generator?: Generator;
  /**
   * How the token embedding and the linear layers' weights are stored: 'f32' (the default), or
   * 'f16', packed halves (half the memory; see linearHalf), for inference. An f16 GPT's packed
   * weights are buffers, not parameters, and start at zero, for weights that are loaded next
   * (gpt2.load); its other tensors (LayerNorms, position embedding, biases) stay f32 and do not
   * require grad. nEmbd must be even.
   */
  weightDtype?: 'f32' | 'f16';
}

/**
 * An inference-only Linear whose weight [out, in] is stored as packed halves, u32 [out, in / 2]
 * (key 'weight', a buffer), with an f32 bias (key 'bias', a buffer): F.linear through linearHalf.
 */
class HalfLinear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, bias: boolean) {
    super();
    this.weight = this.registerBuffer('weight', zeros([outFeatures, inFeatures / 2], { dtype: 'u32' }));
    this.bias = bias ? this.registerBuffer('bias', zeros([outFeatures])) : null;
  }

  forward(x: Tensor): Tensor {
    return linearHalf(x, this.weight, this.bias);
  }
}

/** An inference-only embedding table [rows, dim] stored as packed halves, u32 [rows, dim / 2] (key 'weight', a buffer). */
class HalfEmbedding extends Module {
  readonly weight: Tensor;

  constructor(rows: number, dim: number) {
    super();
    this.weight = this.registerBuffer('weight', zeros([rows, dim / 2], { dtype: 'u32' }));
  }

  /** The rows at i32 indices [...], widened: [..., dim]. */
  forward(indices: Tensor): Tensor {
    const [rows, words] = this.weight.shape;
    const text = { op: 'Embedding', message: `index {value} is out of range for a table of ${rows} rows`, inputs: [this.weight, indices] };
    return composite([indices], () => reshape(unpackHalves(indexSelect(this.weight, 0, reshape(indices, [indices.size]), text)), [...indices.shape, 2 * words]));
  }
}

/** A linear layer of either storage: f32 (trainable) or packed halves (inference). */
type Projection = Linear | HalfLinear;

function projection(inFeatures: number, outFeatures: number, bias: boolean, generator: Generator | undefined, half: boolean): Projection {
  return half ? new HalfLinear(inFeatures, outFeatures, bias) : new Linear(inFeatures, outFeatures, { bias, generator });
}

function checkConfig(config: GPTConfig): Required<GPTConfig> {
  const full: Required<GPTConfig> = { dropout: 0, bias: true, geluApproximate: 'none', layerNormEps: 1e-5, ...config };
  for (const name of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    const value = full[name];
    if (!Number.isInteger(value) || value < 1) throw new Error(`GPT: ${name} must be a positive integer, got ${value}`);
  }
  if (full.nEmbd % full.nHead !== 0) throw new Error(`GPT: nEmbd (${full.nEmbd}) must be a multiple of nHead (${full.nHead})`);
  if (!(full.dropout >= 0 && full.dropout < 1)) throw new Error(`GPT: dropout must be in [0, 1), got ${full.dropout}`);
  if (full.geluApproximate !== 'none' && full.geluApproximate !== 'tanh') throw new Error(`GPT: geluApproximate must be 'none' or 'tanh', got '${String(full.geluApproximate)}'`);
  if (!(full.layerNormEps >= 0 && Number.isFinite(full.layerNormEps))) throw new Error(`GPT: layerNormEps must be a finite number >= 0, got ${full.layerNormEps}`);
  // The largest weights, checked before any is made: a constructor that failed halfway would leave the first ones with no owner.
  for (const shape of [[full.vocabSize, full.nEmbd], [full.blockSize, full.nEmbd], [4 * full.nEmbd, full.nEmbd]]) checkFitsDevice('GPT', shape, 'f32', 'a weight');
  return full;
}

/**
 * Multi-head causal self-attention: one projection to q, k and v side by side ([B, T, 3C]), the
 * fused attention kernels reading that layout in place, and an output projection.
 */
class CausalSelfAttention extends Module {
  readonly cAttn: Projection;
  readonly cProj: Projection;
  readonly residDropout: Dropout;
  private readonly heads: number;

  constructor(config: Required<GPTConfig>, generator: Generator | undefined, half: boolean) {
    super();
    const { nEmbd, bias } = config;
    this.heads = config.nHead;
    this.cAttn = this.registerModule('c_attn', projection(nEmbd, 3 * nEmbd, bias, generator, half));
    this.cProj = this.registerModule('c_proj', projection(nEmbd, nEmbd, bias, generator, half));
    this.residDropout = this.registerModule('resid_dropout', new Dropout(config.dropout, { generator }));
  }

  forward(x: Tensor): Tensor {
    const y = packedSelfAttention(this.cAttn.forward(x), this.heads, { causal: true });
    return this.residDropout.forward(this.cProj.forward(y));
  }

  /** x [B, n, C] at the positions after the `filled` cached ones: their keys and values join the cache. */
  forwardCached(x: Tensor, cache: Tensor, filled: number): Tensor {
    const y = cachedSelfAttention(this.cAttn.forward(x), cache, filled, this.heads);
    return this.residDropout.forward(this.cProj.forward(y));
  }
}

class MLP extends Module {
  readonly cFc: Projection;
  readonly gelu: GELU;
  readonly cProj: Projection;
  readonly dropout: Dropout;

  constructor(config: Required<GPTConfig>, generator: Generator | undefined, half: boolean) {
    super();
    const { nEmbd, bias } = config;
    this.cFc = this.registerModule('c_fc', projection(nEmbd, 4 * nEmbd, bias, generator, half));
    // Exact by default, as nanoGPT's nn.GELU(); GPT-2's own weights were trained with the tanh form.
    this.gelu = this.registerModule('gelu', new GELU({ approximate: config.geluApproximate }));
    this.cProj = this.registerModule('c_proj', projection(4 * nEmbd, nEmbd, bias, generator, half));
    this.dropout = this.registerModule('dropout', new Dropout(config.dropout, { generator }));
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.cProj.forward(this.gelu.forward(this.cFc.forward(x))));
  }
}

/** x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
class Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: LayerNorm;
  readonly mlp: MLP;

  constructor(config: Required<GPTConfig>, generator: Generator | undefined, half: boolean) {
    super();
    const norm = { bias: config.bias, eps: config.layerNormEps };
    this.ln1 = this.registerModule('ln_1', new LayerNorm(config.nEmbd, norm));
    this.attn = this.registerModule('attn', new CausalSelfAttention(config, generator, half));
    this.ln2 = this.registerModule('ln_2', new LayerNorm(config.nEmbd, norm));
    this.mlp = this.registerModule('mlp', new MLP(config, generator, half));
  }

  forward(x: Tensor): Tensor {
    const h = x.add(this.attn.forward(this.ln1.forward(x)));
    return h.add(this.mlp.forward(this.ln2.forward(h)));
  }

  forwardCached(x: Tensor, cache: Tensor, filled: number): Tensor {
    const h = x.add(this.attn.forwardCached(this.ln1.forward(x), cache, filled));
    return h.add(this.mlp.forward(this.ln2.forward(h)));
  }
}

/** nanoGPT's `transformer` container: embeddings, blocks and the final LayerNorm. */
class Transformer extends Module {
  readonly wte: Embedding | HalfEmbedding;
  readonly wpe: Embedding;
  readonly drop: Dropout;
  readonly blocks: Block[];
  readonly lnF: LayerNorm;

  constructor(config: Required<GPTConfig>, generator: Generator | undefined, half: boolean) {
    super();
    this.wte = this.registerModule('wte', half ? new HalfEmbedding(config.vocabSize, config.nEmbd) : new Embedding(config.vocabSize, config.nEmbd, { generator }));
    this.wpe = this.registerModule('wpe', new Embedding(config.blockSize, config.nEmbd, { generator }));
    this.drop = this.registerModule('drop', new Dropout(config.dropout, { generator }));
    this.blocks = Array.from({ length: config.nLayer }, () => new Block(config, generator, half));
    this.registerModule('h', new Sequential(...this.blocks));
    this.lnF = this.registerModule('ln_f', new LayerNorm(config.nEmbd, { bias: config.bias, eps: config.layerNormEps }));
  }

  /** Hidden states [..., C] times the token embedding: the tied output head's logits [..., vocabSize]. */
  head(hidden: Tensor): Tensor {
    return this.wte instanceof HalfEmbedding ? linearHalf(hidden, this.wte.weight) : matmul(hidden, this.wte.weight, { transB: true });
  }

  /** Token plus position embeddings of tokens [B, n] at positions first..first+n-1: [B, n, C]. */
  embed(tokens: Tensor, first: number): Tensor {
    const positions = arange(first, first + tokens.shape[1]);
    return this.drop.forward(this.wte.forward(tokens).add(this.wpe.forward(positions)));
  }

  /** The final hidden states [B, T, C] of tokens [B, T]. */
  forward(tokens: Tensor): Tensor {
    return this.lnF.forward(this.blocks.reduce((x, block) => block.forward(x), this.embed(tokens, 0)));
  }
}

/** The GPT language model: tokens [B, T] (i32) to next-token logits [B, T, vocabSize]. */
export class GPT extends Module implements LanguageModel {
  /** The configuration with its defaults filled in. */
  readonly config: Required<GPTConfig>;
  /** How the token embedding and linear weights are stored (GPTOptions.weightDtype). */
  readonly weightDtype: 'f32' | 'f16';
  /**
   * The embeddings, blocks and final LayerNorm (key prefix 'transformer.', nanoGPT's names); the output head shares the
   * token embedding's weight.
   */
  readonly transformer: Transformer;

  constructor(config: GPTConfig, options: GPTOptions = {}) {
    super();
    this.config = checkConfig(config);
    const { generator, weightDtype = 'f32' } = options;
    if (weightDtype !== 'f32' && weightDtype !== 'f16') throw new Error(`GPT: weightDtype must be 'f32' or 'f16', got '${String(weightDtype)}'`);
    if (weightDtype === 'f16' && this.config.nEmbd % 2 !== 0) throw new Error(`GPT: f16 weights pack two halves per word, so nEmbd must be even, got ${this.config.nEmbd}`);
    this.weightDtype = weightDtype;
    this.transformer = this.registerModule('transformer', new Transformer(this.config, generator, weightDtype === 'f16'));
    // An f16 GPT is for inference: nothing of it takes part in a gradient.
    if (weightDtype === 'f16') for (const p of this.parameters()) p.requiresGrad_(false);
    noGrad(() => {
      const residualStd = 0.02 / Math.sqrt(2 * this.config.nLayer);
      for (const [name, module] of this.namedModules()) {
        if (module instanceof Linear) {
          normal(module.weight, 0, name.endsWith('c_proj') ? residualStd : 0.02, { generator });
          if (module.bias) zeroInit(module.bias);
        } else if (module instanceof Embedding) {
          normal(module.weight, 0, 0.02, { generator });
        }
      }
    });
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  /** tokens must be i32 [B, T] with 1 <= T and first + T <= blockSize (first: positions already cached). */
  private checkTokens(op: string, tokens: Tensor, first: number): void {
    tokens.assertAlive(op);
    if (tokens.dtype !== 'i32' || tokens.rank !== 2 || tokens.shape[1] < 1 || first + tokens.shape[1] > this.config.blockSize) {
      const room = first > 0 ? `${this.config.blockSize - first} (blockSize ${this.config.blockSize}, ${first} cached)` : `blockSize ${this.config.blockSize}`;
      throw new Error(`${op}: expected i32 tokens [B, T] with 1 <= T <= ${room}, got ${formatShape(tokens.shape)} ${tokens.dtype}`);
    }
  }

  /** Logits [B, T, vocabSize]: the hidden states times the token embedding (the tied output head). */
  forward(tokens: Tensor): Tensor {
    this.checkTokens('GPT.forward', tokens, 0);
    // In a scope of its own unless a graph is recorded (see composite): evaluation frees the activations at once.
    return composite([tokens, ...this.parameters()], () => this.transformer.head(this.transformer.forward(tokens)));
  }

  /**
   * Runs tokens [B, n] at positions filled..filled+n-1 through the network with the KV cache (which
   * gains their keys and values) and returns the logits of the last position, [B, vocabSize].
   */
  forwardCached(tokens: Tensor, caches: Tensor[], filled: number): Tensor {
    this.checkTokens('GPT.forwardCached', tokens, filled);
    const t = this.transformer;
    const hidden = t.blocks.reduce((x, block, i) => block.forwardCached(x, caches[i], filled), t.embed(tokens, filled));
    const [B, n, C] = hidden.shape;
    const last = reshape(slice(hidden, 1, n - 1, n), [B, C]);
    return t.head(t.lnF.forward(last));
  }

  /** A KV-cache decoder for `batchSize` sequences (see GPTDecoder). */
  decoder(batchSize: number): GPTDecoder {
    return new GPTDecoder(this, batchSize);
  }

  protected override extraRepr(): string {
    const c = this.config;
    return `vocabSize=${c.vocabSize}, blockSize=${c.blockSize}, nLayer=${c.nLayer}, nHead=${c.nHead}, nEmbd=${c.nEmbd}, dropout=${c.dropout}, bias=${c.bias}, geluApproximate='${c.geluApproximate}', layerNormEps=${c.layerNormEps}${this.weightDtype === 'f16' ? ", weightDtype='f16'" : ''}`;
  }
}

/**
 * Incremental decoding with a KV cache of blockSize positions per layer. Each feed runs only the new
 * tokens through the network. When the context would pass blockSize, the cache restarts from the
 * last half of the window (one recomputation per blockSize / 2 tokens, so the cost per token stays
 * O(T)); the model then sees between blockSize / 2 and blockSize tokens of context.
 */
export class GPTDecoder implements Decoder {
  private readonly model: GPT;
  readonly batchSize: number;
  /** Per layer, [B, blockSize, 2C]: each row the keys then the values of one position (cachedSelfAttention's layout). */
  private readonly caches: Tensor[];
  /** The tokens in the cache, per sequence. */
  private context: Int32Array[];

  constructor(model: GPT, batchSize: number) {
    this.model = model;
    this.batchSize = batchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`GPTDecoder: batchSize must be a positive integer, got ${batchSize}`);
    const { nEmbd, blockSize } = model.config;
    this.caches = model.transformer.blocks.map(() => zeros([batchSize, blockSize, 2 * nEmbd]).keep());
    this.context = Array.from({ length: batchSize }, () => new Int32Array(0));
  }

  /** Tokens held in the cache. */
  get length(): number {
    return this.context[0].length;
  }

  feed(tokens: Int32Array, count: number): Tensor {
    if (!Number.isInteger(count) || count < 1 || tokens.length !== this.batchSize * count) {
      throw new Error(`GPTDecoder.feed: expected ${this.batchSize} rows of count >= 1 tokens, got ${tokens.length} tokens for count ${count}`);
    }
    const capacity = this.model.config.blockSize;
    const rows = Array.from({ length: this.batchSize }, (_, b) => tokens.subarray(b * count, (b + 1) * count));
    let filled = this.length;
    let fresh = rows;
    if (filled + count > capacity) {
      // Restart from the last half window (or all of a longer input that fits).
      const keep = Math.min(capacity, Math.max(count, Math.floor(capacity / 2)));
      fresh = rows.map((row, b) => {
        const all = new Int32Array(filled + count);
        all.set(this.context[b]);
        all.set(row, filled);
        return all.subarray(all.length - keep);
      });
      this.context = this.context.map(() => new Int32Array(0));
      filled = 0;
    }
    const n = fresh[0].length;
    const input = new Int32Array(this.batchSize * n);
    fresh.forEach((row, b) => input.set(row, b * n));
    const logits = scope(() => noGrad(() => this.model.forwardCached(tensor(input, [this.batchSize, n]), this.caches, filled)));
    this.context = this.context.map((old, b) => {
      const next = new Int32Array(filled + n);
      next.set(old.subarray(0, filled));
      next.set(fresh[b], filled);
      return next;
    });
    return logits;
  }

  dispose(): void {
    for (const cache of this.caches) cache.dispose();
  }
}
