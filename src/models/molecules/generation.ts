// Training and sampling the language models of src/models/lm on SMILES. Molecules are packed into one
// token stream, each as <start> tokens <end>, which the LM trainer draws random windows from exactly
// as it does from a text: the trainer has no loss mask, so padded rows would spend part of every
// batch learning that padding follows padding, while packed windows are all molecule (GPT-2 packs its
// documents between end-of-text tokens the same way). Sampling starts every sequence from <start>
// and stops each at its <end>.

import { TokenCorpus, type TokenCorpusOptions } from '../../data/text.js';
import type { Generator } from '../../ops/random.js';
import { sampleText, type LanguageModel } from '../lm/language-model.js';
import type { SamplingOptions } from '../lm/sampling.js';
import type { SmilesVocab } from './tokenizer.js';

/**
 * The molecules as one token stream for `trainLanguageModel` (or a LanguageModelTrainer fed by
 * sampleBatch): each encoded as start, tokens, end, one after another in the given order. The last
 * valFraction of the tokens (default 0.1) is the validation split.
 */
export function smilesCorpus(smiles: readonly string[], vocab: SmilesVocab, options: TokenCorpusOptions = {}): TokenCorpus {
  if (smiles.length === 0) throw new Error('smilesCorpus: no molecules given');
  const encoded = smiles.map((s) => vocab.encode(s));
  const tokens = new Int32Array(encoded.reduce((n, ids) => n + ids.length, 0));
  let at = 0;
  for (const ids of encoded) {
    tokens.set(ids, at);
    at += ids.length;
  }
  return new TokenCorpus(tokens, options, 'smilesCorpus');
}

/** Options of {@link sampleSmiles}: how many, in what batches, and how each token is drawn. */
export interface SampleSmilesOptions extends SamplingOptions {
  /** Molecules to sample. */
  count: number;
  /** Sequences decoded at once (default min(count, 256)). */
  batchSize?: number;
  /** The most SMILES tokens per molecule; a sample without an end token by then is cut there (default 100, MOSES's). */
  maxLength?: number;
  /** The stream the draws come from (default: the default generator). */
  generator?: Generator;
  /** Called after each batch with the molecules sampled so far. */
  onProgress?: (done: number, count: number) => void;
}

/**
 * Samples `count` SMILES strings from a language model trained on `vocab`'s ids: every sequence
 * starts from the start token and ends at its end token (at most maxLength tokens), with the
 * temperature, top-k and top-p of `options`. Invalid molecules are returned as drawn, for the metrics
 * to count.
 */
export async function sampleSmiles(model: LanguageModel, vocab: SmilesVocab, options: SampleSmilesOptions): Promise<string[]> {
  const { count, maxLength = 100, onProgress, batchSize: requested, ...sampling } = options;
  if (!Number.isInteger(count) || count < 0) throw new Error(`sampleSmiles: count must be an integer >= 0, got ${count}`);
  const batchSize = requested ?? Math.max(1, Math.min(count, 256));
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`sampleSmiles: batchSize must be an integer >= 1, got ${batchSize}`);
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error(`sampleSmiles: maxLength must be an integer >= 1, got ${maxLength}`);
  if (model.vocabSize !== vocab.size) throw new Error(`sampleSmiles: the model has vocabSize ${model.vocabSize} but the vocabulary has ${vocab.size} tokens`);
  const molecules: string[] = [];
  while (molecules.length < count) {
    const rows = Math.min(batchSize, count - molecules.length);
    const samples = await sampleText(model, [vocab.start], { ...sampling, numSamples: rows, maxNewTokens: maxLength + 1, stopToken: vocab.end });
    // maxLength tokens and then the end token; a sample still running is cut at maxLength.
    for (const ids of samples) molecules.push(vocab.decode(ids.subarray(0, maxLength)));
    onProgress?.(molecules.length, count);
  }
  return molecules;
}
