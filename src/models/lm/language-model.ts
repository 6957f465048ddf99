// The interface the language models (GPT in gpt.ts, the char-RNN in rnn.ts) share, and sampling a
// continuation of a prompt from one.

import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor.js';
import { checkGenerateOptions, checkTokens, generate, type Decoder, type GenerateOptions } from './sampling.js';

/** A module that maps token ids [B, T] (i32) to next-token logits [B, T, vocabSize], and decodes incrementally. */
export interface LanguageModel extends Module {
  /** Number of token ids (the logits' last dimension). */
  readonly vocabSize: number;
  forward(tokens: Tensor): Tensor;
  /** Incremental decoding state for `batchSize` sequences (for inference: no graph is recorded). */
  decoder(batchSize: number): Decoder;
}

/**
 * Samples a continuation of `prompt` from a language model, in evaluation mode (restored after),
 * streaming each token to options.onToken.
 */
export async function sampleText(model: LanguageModel, prompt: ArrayLike<number>, options: GenerateOptions): Promise<Int32Array[]> {
  checkTokens('sampleText', prompt, model.vocabSize);
  checkGenerateOptions('sampleText', options);
  const wasTraining = model.training;
  model.eval();
  const decoder = model.decoder(options.numSamples ?? 1);
  try {
    return await generate(decoder, prompt, options);
  } finally {
    decoder.dispose();
    model.train(wasTraining);
  }
}
