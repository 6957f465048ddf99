// A character-level recurrent language model: token embedding, a stacked GRU unrolled over the
// window, and a linear head to next-token logits, trained by backpropagation through time (the
// unrolled steps are ordinary recorded ops, so autograd walks back through every step) with the
// same recipe as the GPT (language-model.ts). Decoding keeps the hidden state: O(1) per token.
//
// GRU follows PyTorch's nn.GRU (batch first): per layer, weight_ih_l{k} [3H, in], weight_hh_l{k}
// [3H, H], bias_ih_l{k} and bias_hh_l{k} [3H], gates stacked in the order r, z, n, all initialised
// U(-1/sqrt(H), 1/sqrt(H)):
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
//   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
//   h' = (1 - z) * n + z * h
// The stacked weights are split into per-gate matrices once per forward pass, so each step runs
// small matrix products and elementwise ops on [B, H] tensors and never slices activations.

import { noGrad } from '../../autograd.js';
import { Dropout, Embedding, Linear } from '../../nn/layers.js';
import { uniform } from '../../nn/init.js';
import { composite } from '../../autograd.js';
import { Module } from '../../nn/module.js';
import { linear } from '../../nn/functional.js';
import { tensor, zeros } from '../../ops/creation.js';
import { sigmoid, tanh } from '../../ops/elementwise.js';
import { slice, split, stack } from '../../ops/indexing.js';
import { reshape } from '../../ops/movement.js';
import type { Generator } from '../../ops/random.js';
import { Tensor, checkFitsDevice, formatShape, scope } from '../../tensor.js';
import type { LanguageModel } from './language-model.js';
import type { Decoder } from './sampling.js';

/** Options of {@link GRU}. */
export interface GRUOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Dropout on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** The stream the initial weights and the dropout masks are drawn from (default: the default generator). */
  generator?: Generator;
}

/** One layer's weights split by gate: input-side (x) and hidden-side (h) matrices and biases for r, z and n. */
interface GateWeights {
  input: { weight: Tensor; bias: Tensor }[];
  hidden: { weight: Tensor; bias: Tensor }[];
}

/** A multi-layer GRU over [B, T, inputSize] (PyTorch's nn.GRU with batch_first). */
export class GRU extends Module {
  /** Features of each input step. */
  readonly inputSize: number;
  /** Features of each layer's hidden state. */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  private readonly layers: { weightIh: Tensor; weightHh: Tensor; biasIh: Tensor; biasHh: Tensor }[] = [];
  private readonly dropout: Dropout;

  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    super();
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    const { numLayers = 1, dropout = 0, generator } = options;
    for (const [name, value] of [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', numLayers]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`GRU: ${name} must be a positive integer, got ${value}`);
    }
    // The largest weight, checked before any is made (a constructor that failed halfway would leave the first ones with no owner).
    checkFitsDevice('GRU', [3 * hiddenSize, Math.max(inputSize, hiddenSize)], 'f32', 'a weight');
    this.numLayers = numLayers;
    const bound = 1 / Math.sqrt(hiddenSize);
    const draw = (shape: number[]) => uniform(Tensor.empty(shape), -bound, bound, { generator });
    for (let k = 0; k < numLayers; k++) {
      this.layers.push({
        weightIh: this.registerParameter(`weight_ih_l${k}`, draw([3 * hiddenSize, k === 0 ? inputSize : hiddenSize])),
        weightHh: this.registerParameter(`weight_hh_l${k}`, draw([3 * hiddenSize, hiddenSize])),
        biasIh: this.registerParameter(`bias_ih_l${k}`, draw([3 * hiddenSize])),
        biasHh: this.registerParameter(`bias_hh_l${k}`, draw([3 * hiddenSize])),
      });
    }
    this.dropout = this.registerModule('dropout', new Dropout(dropout, { generator }));
  }

  /** Every layer's weights split by gate (a few small copies, recorded so gradients reach the stacked parameters). */
  gateWeights(): GateWeights[] {
    const H = this.hiddenSize;
    const pieces = (weight: Tensor, bias: Tensor) => {
      const biases = split(bias, H, 0);
      return split(weight, H, 0).map((w, g) => ({ weight: w, bias: biases[g] }));
    };
    return this.layers.map((l) => ({ input: pieces(l.weightIh, l.biasIh), hidden: pieces(l.weightHh, l.biasHh) }));
  }

  /** One time step through every layer: input x [B, inputSize], hidden states [B, H] per layer; returns the new states. */
  step(x: Tensor, hidden: readonly Tensor[], weights: readonly GateWeights[]): Tensor[] {
    const next: Tensor[] = [];
    let input = x;
    weights.forEach(({ input: wi, hidden: wh }, k) => {
      const h = hidden[k];
      const gate = (g: number) => linear(input, wi[g].weight, wi[g].bias);
      const recurrent = (g: number) => linear(h, wh[g].weight, wh[g].bias);
      const r = sigmoid(gate(0).add(recurrent(0)));
      const z = sigmoid(gate(1).add(recurrent(1)));
      const n = tanh(gate(2).add(r.mul(recurrent(2))));
      const updated = n.add(z.mul(h.sub(n)));
      next.push(updated);
      input = k < weights.length - 1 ? this.dropout.forward(updated) : updated;
    });
    return next;
  }

  /** Zero hidden states for a batch of `batch` sequences, one [B, H] per layer. */
  initialState(batch: number): Tensor[] {
    return Array.from({ length: this.numLayers }, () => zeros([batch, this.hiddenSize]));
  }

  /**
   * Runs the steps of x [B, T, inputSize] from h0 [numLayers, B, H] (default zeros) and returns the
   * last layer's outputs [B, T, H].
   */
  forward(x: Tensor, h0?: Tensor): Tensor {
    x.assertAlive('GRU');
    if (x.dtype !== 'f32' || x.rank !== 3 || x.shape[2] !== this.inputSize || x.shape[1] < 1) {
      throw new Error(`GRU: expected an f32 input [B, T, ${this.inputSize}] with T >= 1, got ${formatShape(x.shape)} ${x.dtype}`);
    }
    const [B, T] = x.shape;
    h0?.assertAlive('GRU');
    if (h0 && (h0.dtype !== 'f32' || h0.rank !== 3 || h0.shape[0] !== this.numLayers || h0.shape[1] !== B || h0.shape[2] !== this.hiddenSize)) {
      throw new Error(`GRU: expected an f32 h0 [${this.numLayers}, ${B}, ${this.hiddenSize}], got ${formatShape(h0.shape)} ${h0.dtype}`);
    }
    // In a scope of its own unless a graph is recorded (see composite): evaluation frees the steps' states at once.
    return composite([x, h0 ?? null, ...this.parameters()], () => {
      const weights = this.gateWeights();
      let hidden = h0 ? split(h0, 1, 0).map((h) => reshape(h, [B, this.hiddenSize])) : this.initialState(B);
      const outputs: Tensor[] = [];
      for (let t = 0; t < T; t++) {
        hidden = this.step(reshape(slice(x, 1, t, t + 1), [B, this.inputSize]), hidden, weights);
        outputs.push(hidden[this.numLayers - 1]);
      }
      return stack(outputs, 1);
    });
  }

  protected override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}, numLayers=${this.numLayers}, dropout=${this.dropout.p}`;
  }
}

/** The size of a {@link CharRNN}. */
export interface CharRNNConfig {
  /** Number of token ids. */
  vocabSize: number;
  /** Features of each GRU layer's hidden state. */
  hiddenSize: number;
  /** Stacked GRU layers (default 1). */
  numLayers?: number;
  /** The width of the token embedding (default hiddenSize). */
  embeddingDim?: number;
  /** Dropout between GRU layers and before the head, in training (default 0). */
  dropout?: number;
}

/** Embedding, GRU and a linear head: tokens [B, T] (i32) to next-token logits [B, T, vocabSize]. */
export class CharRNN extends Module implements LanguageModel {
  /** The configuration with its defaults filled in. */
  readonly config: Required<CharRNNConfig>;
  /** Token ids to vectors of embeddingDim. Key prefix 'embedding.'. */
  readonly embedding: Embedding;
  /** The recurrent layers. Key prefix 'gru.'. */
  readonly gru: GRU;
  /** Dropout before the head, in training. */
  readonly dropout: Dropout;
  /** The top hidden state to next-token logits. Key prefix 'head.'. */
  readonly head: Linear;

  constructor(config: CharRNNConfig, options: { generator?: Generator } = {}) {
    super();
    const { generator } = options;
    this.config = { numLayers: 1, embeddingDim: config.hiddenSize, dropout: 0, ...config };
    const { vocabSize, hiddenSize, numLayers, embeddingDim, dropout } = this.config;
    if (!(dropout >= 0 && dropout < 1)) throw new Error(`CharRNN: dropout must be in [0, 1), got ${dropout}`);
    for (const [name, value] of [['vocabSize', vocabSize], ['hiddenSize', hiddenSize], ['numLayers', numLayers], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`CharRNN: ${name} must be a positive integer, got ${value}`);
    }
    // The largest weights, checked before any is made (as in GRU).
    for (const shape of [[vocabSize, embeddingDim], [3 * hiddenSize, Math.max(embeddingDim, hiddenSize)], [vocabSize, hiddenSize]]) checkFitsDevice('CharRNN', shape, 'f32', 'a weight');
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embeddingDim, { generator }));
    this.gru = this.registerModule('gru', new GRU(embeddingDim, hiddenSize, { numLayers, dropout, generator }));
    this.dropout = this.registerModule('dropout', new Dropout(dropout, { generator }));
    this.head = this.registerModule('head', new Linear(hiddenSize, vocabSize, { generator }));
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  /** Logits [B, V] after the top layer's state h. */
  private logits(h: Tensor): Tensor {
    return this.head.forward(this.dropout.forward(h));
  }

  forward(tokens: Tensor): Tensor {
    tokens.assertAlive('CharRNN.forward');
    if (tokens.dtype !== 'i32' || tokens.rank !== 2 || tokens.shape[1] < 1) {
      throw new Error(`CharRNN.forward: expected i32 tokens [B, T] with T >= 1, got ${formatShape(tokens.shape)} ${tokens.dtype}`);
    }
    const [B, T] = tokens.shape;
    // In a scope of its own unless a graph is recorded (see composite): evaluation frees the steps' states at once.
    return composite([tokens, ...this.parameters()], () => {
      const weights = this.gru.gateWeights();
      let hidden = this.gru.initialState(B);
      const logits: Tensor[] = [];
      for (let t = 0; t < T; t++) {
        const x = this.embedding.forward(reshape(slice(tokens, 1, t, t + 1), [B]));
        hidden = this.gru.step(x, hidden, weights);
        logits.push(this.logits(hidden[hidden.length - 1]));
      }
      return stack(logits, 1);
    });
  }

  /** A decoder that carries the GRU's hidden state from token to token. */
  decoder(batchSize: number): Decoder {
    return new RNNDecoder(this, batchSize);
  }

  /** Feeds tokens [B, count] (host ids) from `hidden` and returns the new states and the last logits [B, V]. */
  feed(tokens: Int32Array, count: number, hidden: readonly Tensor[]): {
    /** Each layer's new hidden state [B, hiddenSize]. */
    hidden: Tensor[];
    /** Next-token logits after the last token, [B, vocabSize]. */
    logits: Tensor;
  } {
    const B = tokens.length / count;
    const weights = this.gru.gateWeights();
    let state = [...hidden];
    for (let t = 0; t < count; t++) {
      const column = Int32Array.from({ length: B }, (_, b) => tokens[b * count + t]);
      state = this.gru.step(this.embedding.forward(tensor(column, [B])), state, weights);
    }
    return { hidden: state, logits: this.logits(state[state.length - 1]) };
  }

  protected override extraRepr(): string {
    const c = this.config;
    return `vocabSize=${c.vocabSize}, embeddingDim=${c.embeddingDim}, hiddenSize=${c.hiddenSize}, numLayers=${c.numLayers}, dropout=${c.dropout}`;
  }
}

/** Incremental decoding for the char-RNN: the hidden state is all the context there is. */
class RNNDecoder implements Decoder {
  private readonly model: CharRNN;
  readonly batchSize: number;
  private hidden: Tensor[];

  constructor(model: CharRNN, batchSize: number) {
    this.model = model;
    this.batchSize = batchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`RNNDecoder: batchSize must be a positive integer, got ${batchSize}`);
    this.hidden = model.gru.initialState(batchSize).map((h) => h.keep());
  }

  feed(tokens: Int32Array, count: number): Tensor {
    if (!Number.isInteger(count) || count < 1 || tokens.length !== this.batchSize * count) {
      throw new Error(`RNNDecoder.feed: expected ${this.batchSize} rows of count >= 1 tokens, got ${tokens.length} tokens for count ${count}`);
    }
    const { hidden, logits } = scope(() => noGrad(() => this.model.feed(tokens, count, this.hidden)));
    for (const h of this.hidden) h.dispose();
    this.hidden = hidden.map((h) => h.keep());
    return logits;
  }

  dispose(): void {
    for (const h of this.hidden) h.dispose();
  }
}
