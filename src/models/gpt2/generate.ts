// Text in, text out with GPT-2: the prompt is tokenized and run through the model at once (the fused
// causal attention over the whole prompt fills the KV cache), then each drawn token is fed back alone
// (lm/sampling.ts's loop: greedy, temperature, top-k, top-p), and its text is streamed as soon as it
// completes a character: a token may hold only part of a character's UTF-8 bytes.

import { generate, type GenerateOptions } from '../lm/sampling.js';
import type { GPT } from '../lm/gpt.js';
import type { GPT2Tokenizer } from './tokenizer.js';

/** Options of {@link generateText}: the sampling settings of `generate`, for one continuation. */
export interface GenerateTextOptions extends Omit<GenerateOptions, 'numSamples' | 'onToken' | 'stopToken'> {
  /**
   * Called as text arrives: the new characters (possibly '' while a character is incomplete), the
   * token that brought them, and its step (0 for the first new token).
   */
  onText?: (text: string, token: number, step: number) => void;
  /** Stop at GPT-2's `<|endoftext|>` token, which is not part of the text (default true). */
  stopAtEndOfText?: boolean;
}

/** What {@link generateText} returns. */
export interface GeneratedText {
  /** The continuation (without the prompt, and without `<|endoftext|>`). */
  text: string;
  /** Its token ids (the end-of-text token included when generation stopped at it). */
  tokens: Int32Array;
  /** The prompt's token count as the model saw it. */
  promptTokens: number;
  /** Seconds from the start to the first new token: the prompt's pass through the model, and one draw. */
  prefillSeconds: number;
  /** Seconds from the first new token to the last: the KV-cached decoding of the rest. */
  decodeSeconds: number;
}

/**
 * Continues `prompt` with up to maxNewTokens tokens of `model` (GPT-2's, from gpt2.load), streaming
 * the text to onText. An empty prompt starts from `<|endoftext|>`, as GPT-2's unconditional samples do.
 */
export async function generateText(model: GPT, tokenizer: GPT2Tokenizer, prompt: string, options: GenerateTextOptions): Promise<GeneratedText> {
  const { onText, stopAtEndOfText = true, ...sampling } = options;
  const eos = tokenizer.eosTokenId;
  let ids = tokenizer.encode(prompt);
  if (ids.length === 0) {
    if (eos === null) throw new Error('generateText: the prompt is empty and the vocabulary has no <|endoftext|> to start from');
    ids = [eos];
  }
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const pieces: string[] = [];
  const stopToken = stopAtEndOfText && eos !== null ? eos : undefined;
  const start = performance.now();
  let first = start;
  let last = start;
  const wasTraining = model.training;
  model.eval();
  const kv = model.decoder(1);
  let tokens: Int32Array;
  try {
    [tokens] = await generate(kv, ids, {
      ...sampling,
      stopToken,
      onToken: ([token], step) => {
        last = performance.now();
        if (step === 0) first = last;
        const text = token === stopToken ? decoder.decode() : decoder.decode(tokenizer.decodeBytes([token]), { stream: true });
        pieces.push(text);
        onText?.(text, token, step);
      },
    });
  } finally {
    kv.dispose();
    model.train(wasTraining);
  }
  if (tokens.at(-1) !== stopToken) pieces.push(decoder.decode());
  return { text: pieces.join(''), tokens, promptTokens: Math.min(ids.length, model.config.blockSize), prefillSeconds: (first - start) / 1000, decodeSeconds: (last - first) / 1000 };
}
