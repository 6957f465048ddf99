// Evaluating a language model: the mean cross-entropy on a split of a TokenCorpus (a TextCorpus, say),
// over the whole split or over random windows (nanoGPT's estimate_loss), in nats per token, bits per
// character (loss / ln 2) and perplexity (exp(loss)). Losses are summed on the GPU and read once.

import { noGrad } from '../../autograd.js';
import { crossEntropy } from '../../nn/losses.js';
import { SeededRandom } from '../../data/random.js';
import type { TokenCorpus, TextSplit } from '../../data/text.js';
import { tensor, zeros } from '../../ops/creation.js';
import { scope } from '../../tensor.js';
import type { LanguageModel } from './language-model.js';

/** Loss in nats per token, and the same in bits per character and as a perplexity. */
export interface Evaluation {
  /** Mean cross-entropy in nats per token. */
  loss: number;
  /** The loss in bits per character (loss / ln 2). */
  bitsPerChar: number;
  /** exp(loss). */
  perplexity: number;
  /** Tokens the loss was averaged over. */
  tokens: number;
}

/** An {@link Evaluation} from a mean loss in nats per token. */
export function evaluationOf(loss: number, tokens: number): Evaluation {
  return { loss, bitsPerChar: loss / Math.LN2, perplexity: Math.exp(loss), tokens };
}

/** 'loss L nats, B bits/char, perplexity P', for log lines. */
export function formatEvaluation(e: Evaluation): string {
  return `loss ${e.loss.toFixed(4)} nats, ${e.bitsPerChar.toFixed(3)} bits/char, perplexity ${e.perplexity.toFixed(2)}`;
}

/** Options of `evaluate`: the split, the window shape and how many windows. */
export interface EvaluateOptions {
  /** Which part of the corpus to evaluate on. */
  split: TextSplit;
  /** Windows per forward pass. */
  batchSize: number;
  /** Tokens per window. */
  blockSize: number;
  /**
   * Random windows: this many batches drawn with `seed` (nanoGPT's estimate_loss). Omitted: the
   * whole split in consecutive windows of blockSize, each token predicted once.
   */
  batches?: number;
  /** Seed of the random windows (default 0). */
  seed?: number;
}

/** The windows an evaluation runs over, as batches of host arrays. */
function* evaluationBatches(corpus: TokenCorpus, o: EvaluateOptions): Generator<{ x: Int32Array; y: Int32Array; rows: number }> {
  if (o.batches !== undefined) {
    const random = new SeededRandom(o.seed ?? 0);
    for (let b = 0; b < o.batches; b++) yield { ...corpus.sampleWindows(o.split, o.batchSize, o.blockSize, random), rows: o.batchSize };
    return;
  }
  const data = corpus.split(o.split);
  const windows = Math.floor((data.length - 1) / o.blockSize);
  for (let first = 0; first < windows; first += o.batchSize) {
    const rows = Math.min(o.batchSize, windows - first);
    const x = new Int32Array(rows * o.blockSize);
    const y = new Int32Array(rows * o.blockSize);
    for (let r = 0; r < rows; r++) {
      const start = (first + r) * o.blockSize;
      x.set(data.subarray(start, start + o.blockSize), r * o.blockSize);
      y.set(data.subarray(start + 1, start + o.blockSize + 1), r * o.blockSize);
    }
    yield { x, y, rows };
  }
}

/**
 * The model's mean cross-entropy on a split, in evaluation mode without a graph (the mode is
 * restored after). Losses are summed on the GPU and read once.
 */
export async function evaluate(model: LanguageModel, corpus: TokenCorpus, options: EvaluateOptions): Promise<Evaluation> {
  const wasTraining = model.training;
  model.eval();
  const total = zeros([]);
  let tokens = 0;
  try {
    for (const { x, y, rows } of evaluationBatches(corpus, options)) {
      scope(() =>
        noGrad(() => {
          const logits = model.forward(tensor(x, [rows, options.blockSize]));
          const loss = crossEntropy(logits, tensor(y, [rows, options.blockSize]), { axis: -1, reduction: 'sum' });
          total.assign(total.add(loss));
        }),
      );
      tokens += rows * options.blockSize;
    }
    if (tokens === 0) throw new Error(`evaluate: the ${options.split} split has no window of ${options.blockSize + 1} tokens`);
    return evaluationOf((await total.item()) / tokens, tokens);
  } finally {
    total.dispose();
    model.train(wasTraining);
  }
}
