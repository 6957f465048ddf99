/**
 * OpenAI's GPT-2 from the files people already have (`gg.models.gpt2`): GPT-2's byte-level BPE
 * tokenizer (vocab.json and merges.txt).
 *   tokenizer.ts  GPT2Tokenizer: encode and decode as OpenAI's encoder.py.
 *
 * @module
 */
export { GPT2Tokenizer, END_OF_TEXT, type GPT2TokenizerFiles } from './tokenizer.js';
