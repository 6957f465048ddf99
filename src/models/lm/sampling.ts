// Sampling text from an autoregressive model, one token at a time: temperature, top-k and nucleus
// (top-p) filtering of the next-token logits, a seeded draw on the GPU (gg.categorical with a
// Generator, so a seed gives the same text in every run), and the generation loop that feeds each
// drawn token back and streams it to a callback. Models plug in through `Decoder`: the GPT's keeps a
// KV cache (each new token costs O(T)), the char-RNN's keeps its hidden state (O(1)).

import { argmax } from '../../ops/reduce.js';
import { categorical, type Generator } from '../../ops/random.js';
import { tensor } from '../../ops/creation.js';
import { checkLogitRowsLater } from '../../ops/checks.js';
import { Tensor, formatShape, scope } from '../../tensor.js';

/** A model's incremental decoding state for a batch of sequences. */
export interface Decoder {
  /** Sequences decoded at once. */
  readonly batchSize: number;
  /** The number of token ids, when the decoder knows it: `generate` then checks the prompt against it. */
  readonly vocabSize?: number;
  /**
   * Appends `count` tokens to every sequence (`tokens` holds batchSize rows of `count` ids) and
   * returns the logits for the token that follows, [batchSize, vocabSize] (the caller disposes it).
   */
  feed(tokens: Int32Array, count: number): Tensor;
  /** Frees the decoder's GPU state. */
  dispose(): void;
}

/** How the next token is drawn from the logits: temperature, top-k and top-p (nucleus) filtering. */
export interface SamplingOptions {
  /** Divides the logits: below 1 sharpens, above 1 flattens; 0 picks the most likely token (default 1). */
  temperature?: number;
  /** Keep only the k most likely tokens (ties with the k-th included). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches topP, in (0, 1]. */
  topP?: number;
  /** The stream the draws come from (default: the default generator, gg.manualSeed). */
  generator?: Generator;
}

/** Options of `generate` and `sampleText`. */
export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate after the prompt. */
  maxNewTokens: number;
  /** Independent continuations of the prompt, decoded as one batch (default 1). */
  numSamples?: number;
  /** Called with each step's new token of every sample, as soon as it is drawn. */
  onToken?: (tokens: Int32Array, step: number) => void;
  /**
   * An end-of-sequence id: generation stops early once every sample has drawn it, and each sample's
   * tokens end at its first one (included). Samples that never draw it keep maxNewTokens tokens.
   */
  stopToken?: number;
}

function checkSampling(op: string, options: SamplingOptions): void {
  const { temperature = 1, topK, topP } = options;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new Error(`${op}: temperature must be a finite number >= 0, got ${temperature}`);
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) throw new Error(`${op}: topK must be an integer >= 1, got ${topK}`);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new Error(`${op}: topP must be in (0, 1], got ${topP}`);
}

/** Throws unless the sampling settings and maxNewTokens are valid; the errors name `op`. */
export function checkGenerateOptions(op: string, options: GenerateOptions): void {
  checkSampling(op, options);
  const { maxNewTokens, stopToken } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new Error(`${op}: maxNewTokens must be an integer >= 0, got ${maxNewTokens}`);
  if (stopToken !== undefined && !(Number.isInteger(stopToken) && stopToken >= 0)) throw new Error(`${op}: stopToken must be an integer >= 0 (a token id), got ${stopToken}`);
}

/**
 * Throws unless every token is an integer in [0, vocabSize) (or >= 0 when vocabSize is not known):
 * a token id outside the vocabulary would otherwise be looked up as a clamped one.
 */
export function checkTokens(op: string, tokens: ArrayLike<number>, vocabSize?: number): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!Number.isInteger(token) || token < 0 || (vocabSize !== undefined && token >= vocabSize)) {
      const range = vocabSize === undefined ? 'integers >= 0' : `integers in [0, ${vocabSize}), the vocabulary`;
      throw new Error(`${op}: prompt token ${token} at position ${i} is not a token id (ids are ${range})`);
    }
  }
}

/** Throws unless every row of host-side logits [rows, vocab] holds no NaN or +Infinity and not only -Infinity. */
function checkLogitRows(op: string, values: Float32Array, rows: number, vocab: number): void {
  for (let r = 0; r < rows; r++) {
    let anyFinite = false;
    for (let i = r * vocab; i < (r + 1) * vocab; i++) {
      const v = values[i];
      if (Number.isNaN(v) || v === Infinity) throw new Error(`${op}: row ${r} of the logits holds ${v} (logits [${rows}, ${vocab}] f32): the model produced non-finite values`);
      if (v !== -Infinity) anyFinite = true;
    }
    if (!anyFinite) throw new Error(`${op}: row ${r} of the logits is all -Infinity (logits [${rows}, ${vocab}] f32): there is no token to draw`);
  }
}

/**
 * One row of logits divided by the temperature, with the tokens outside the top k and outside the
 * nucleus set to -Infinity (in place), as nanoGPT's and Hugging Face's samplers filter them.
 */
export function filterLogits(row: Float32Array, { temperature = 1, topK, topP }: SamplingOptions): Float32Array {
  if (!(temperature > 0)) throw new Error(`filterLogits: temperature must be > 0 (0 means argmax, which needs no filtering), got ${temperature}`);
  for (let i = 0; i < row.length; i++) row[i] /= temperature;
  if (topK === undefined && topP === undefined) return row;
  const order = [...row.keys()].sort((a, b) => row[b] - row[a]);
  let keep = order.length;
  if (topK !== undefined && topK < keep) {
    const threshold = row[order[topK - 1]];
    keep = topK;
    while (keep < order.length && row[order[keep]] === threshold) keep++;
  }
  if (topP !== undefined) {
    // Token i (in order) stays while the probability of the tokens before it is below topP.
    const max = row[order[0]];
    const weights = order.slice(0, keep).map((i) => Math.exp(row[i] - max));
    const total = weights.reduce((a, b) => a + b, 0);
    let before = 0;
    let nucleus = 0;
    while (nucleus < keep && before < topP) before += weights[nucleus++] / total;
    keep = nucleus;
  }
  for (let rank = keep; rank < order.length; rank++) row[order[rank]] = -Infinity;
  return row;
}

/**
 * Draws one token per row of `logits` [B, V] after temperature, top-k and top-p. Without top-k and
 * top-p the draw reads nothing back before it runs (categorical works from the logits); with them,
 * the logits are read and filtered on the host, then drawn from on the GPU. Returns the B tokens.
 * Logits holding NaN or +Infinity, or a row of only -Infinity, throw: checked on the host where the
 * logits are read anyway, else on the GPU as they are drawn (reported when the tokens are read).
 */
export async function sampleNext(logits: Tensor, options: SamplingOptions = {}): Promise<Int32Array> {
  checkSampling('sampleNext', options);
  logits.assertAlive('sampleNext');
  if (logits.rank !== 2 || logits.dtype !== 'f32' || logits.shape[1] < 1) {
    throw new Error(`sampleNext: expected f32 logits [batch, vocab] with vocab >= 1, got ${formatShape(logits.shape)} ${logits.dtype}`);
  }
  const { temperature = 1, topK, topP, generator } = options;
  const [rows, vocab] = logits.shape;
  let drawn: Tensor;
  if (temperature === 0 || (topK === undefined && topP === undefined)) {
    const shown = `(logits [${rows}, ${vocab}] f32)`;
    checkLogitRowsLater(
      logits,
      `sampleNext: row {value} of the logits holds NaN or +Infinity ${shown}: the model produced non-finite values`,
      `sampleNext: row {value} of the logits is all -Infinity ${shown}: there is no token to draw`,
    );
  }
  if (temperature === 0) {
    drawn = argmax(logits, -1);
  } else if (topK === undefined && topP === undefined) {
    drawn = scope(() => categorical(logits.mul(1 / temperature), { generator }));
  } else {
    const values = (await logits.data()) as Float32Array;
    checkLogitRows('sampleNext', values, rows, vocab);
    for (let r = 0; r < rows; r++) filterLogits(values.subarray(r * vocab, (r + 1) * vocab), options);
    drawn = scope(() => categorical(tensor(values, [rows, vocab]), { generator }));
  }
  try {
    return Int32Array.from(await drawn.data());
  } finally {
    drawn.dispose();
  }
}

/**
 * Continues `prompt` (token ids, at least one) by maxNewTokens sampled tokens, numSamples times at
 * once: feeds the prompt, then each drawn token, to `decoder`, calling onToken as each step's
 * tokens arrive. Returns the new tokens of each sample (with stopToken: up to its first one).
 */
export async function generate(decoder: Decoder, prompt: ArrayLike<number>, options: GenerateOptions): Promise<Int32Array[]> {
  checkGenerateOptions('generate', options);
  const { maxNewTokens, numSamples = 1, onToken, stopToken } = options;
  if (numSamples !== decoder.batchSize) {
    throw new Error(`generate: numSamples (${numSamples}) must equal the decoder's batch size (${decoder.batchSize})`);
  }
  if (prompt.length < 1) throw new Error('generate: the prompt needs at least one token');
  checkTokens('generate', prompt, decoder.vocabSize);
  if (stopToken !== undefined && decoder.vocabSize !== undefined && stopToken >= decoder.vocabSize) {
    throw new Error(`generate: stopToken ${stopToken} is not a token id (ids are integers in [0, ${decoder.vocabSize}), the vocabulary)`);
  }
  const samples = Array.from({ length: numSamples }, () => new Int32Array(maxNewTokens));
  // Each sample's length: maxNewTokens unless it draws stopToken.
  const lengths = new Int32Array(numSamples).fill(maxNewTokens);
  const stopped = new Uint8Array(numSamples);
  let running = numSamples;
  let input: Int32Array = new Int32Array(numSamples * prompt.length);
  for (let s = 0; s < numSamples; s++) input.set(Array.from(prompt), s * prompt.length);
  let count = prompt.length;
  for (let step = 0; step < maxNewTokens; step++) {
    const logits = decoder.feed(input, count);
    let tokens: Int32Array;
    try {
      tokens = await sampleNext(logits, options);
    } finally {
      logits.dispose();
    }
    tokens.forEach((token, s) => (samples[s][step] = token));
    onToken?.(tokens, step);
    if (stopToken !== undefined) {
      tokens.forEach((token, s) => {
        if (token === stopToken && !stopped[s]) {
          stopped[s] = 1;
          lengths[s] = step + 1;
          running--;
        }
      });
      if (running === 0) break;
    }
    input = tokens;
    count = 1;
  }
  return samples.map((sample, s) => (lengths[s] === maxNewTokens ? sample : sample.slice(0, lengths[s])));
}
