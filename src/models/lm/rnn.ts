// A character-level recurrent language model: token embedding, a stacked GRU (gg.nn.GRU, PyTorch's
// nn.GRU with batchFirst) over the window, and a linear head to next-token logits, trained by
// backpropagation through time (the GRU's steps are ordinary recorded ops, so autograd walks back
// through every step) with the same recipe as the GPT (language-model.ts). Decoding keeps the hidden
// state: O(1) per token. State-dict keys are 'embedding.weight', 'gru.weight_ih_l{k}' (and the GRU's
// other PyTorch names) and 'head.weight' / 'head.bias', as before the GRU moved to src/nn, so saved
// checkpoints load unchanged.

import { composite, noGrad } from '../../autograd.js';
import { Dropout, Embedding, Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { GRU } from '../../nn/rnn.js';
import { tensor, zeros } from '../../ops/creation.js';
import { slice } from '../../ops/indexing.js';
import { reshape } from '../../ops/movement.js';
import type { Generator } from '../../ops/random.js';
import { Tensor, checkFitsDevice, formatShape, scope } from '../../tensor.js';
import type { LanguageModel } from './language-model.js';
import type { Decoder } from './sampling.js';

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
  /** The recurrent layers (batch-first). Key prefix 'gru.'. */
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
    this.gru = this.registerModule('gru', new GRU(embeddingDim, hiddenSize, { numLayers, dropout, batchFirst: true, generator }));
    this.dropout = this.registerModule('dropout', new Dropout(dropout, { generator }));
    this.head = this.registerModule('head', new Linear(hiddenSize, vocabSize, { generator }));
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  forward(tokens: Tensor): Tensor {
    tokens.assertAlive('CharRNN.forward');
    if (tokens.dtype !== 'i32' || tokens.rank !== 2 || tokens.shape[1] < 1) {
      throw new Error(`CharRNN.forward: expected i32 tokens [B, T] with T >= 1, got ${formatShape(tokens.shape)} ${tokens.dtype}`);
    }
    // In a scope of its own unless a graph is recorded (see composite): evaluation frees the steps' states at once.
    return composite([tokens, ...this.parameters()], () => {
      const [outputs] = this.gru.forward(this.embedding.forward(tokens));
      return this.head.forward(this.dropout.forward(outputs));
    });
  }

  /** A decoder that carries the GRU's hidden state from token to token. */
  decoder(batchSize: number): Decoder {
    return new RNNDecoder(this, batchSize);
  }

  /** The GRU's zero state for `batchSize` sequences: [numLayers, batchSize, hiddenSize]. */
  initialState(batchSize: number): Tensor {
    return zeros([this.config.numLayers, batchSize, this.config.hiddenSize]);
  }

  /** Feeds tokens [B, count] (host ids, row by row) from the GRU state `hidden` and returns the new state and the last logits [B, V]. */
  feed(tokens: Int32Array, count: number, hidden: Tensor): {
    /** The GRU's state after the last token, [numLayers, B, hiddenSize]. */
    hidden: Tensor;
    /** Next-token logits after the last token, [B, vocabSize]. */
    logits: Tensor;
  } {
    const B = tokens.length / count;
    const [outputs, next] = this.gru.forward(this.embedding.forward(tensor(tokens, [B, count])), hidden);
    const last = reshape(slice(outputs, 1, count - 1, count), [B, this.config.hiddenSize]);
    return { hidden: next, logits: this.head.forward(this.dropout.forward(last)) };
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
  private hidden: Tensor;

  constructor(model: CharRNN, batchSize: number) {
    this.model = model;
    this.batchSize = batchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`RNNDecoder: batchSize must be a positive integer, got ${batchSize}`);
    this.hidden = model.initialState(batchSize).keep();
  }

  feed(tokens: Int32Array, count: number): Tensor {
    if (!Number.isInteger(count) || count < 1 || tokens.length !== this.batchSize * count) {
      throw new Error(`RNNDecoder.feed: expected ${this.batchSize} rows of count >= 1 tokens, got ${tokens.length} tokens for count ${count}`);
    }
    const { hidden, logits } = scope(() => noGrad(() => this.model.feed(tokens, count, this.hidden)));
    this.hidden.dispose();
    this.hidden = hidden.keep();
    return logits;
  }

  dispose(): void {
    this.hidden.dispose();
  }
}
