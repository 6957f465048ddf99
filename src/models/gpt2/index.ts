/**
 * OpenAI's GPT-2 from the files people already have (`gg.models.gpt2`): a Hugging Face checkpoint
 * (config.json and model.safetensors, from a directory, a URL or Files) loaded into the GPT of
 * `gg.models`, GPT-2's byte-level BPE tokenizer (vocab.json and merges.txt), and text generation
 * that streams its output.
 *   load.ts       load, configFromHuggingFace: the checkpoint, streamed into a GPT;
 *   tokenizer.ts  GPT2Tokenizer: encode and decode as OpenAI's encoder.py;
 *   generate.ts   generateText: prompt in, streamed text out, with the KV cache.
 *
 * @module
 */
export { load, configFromHuggingFace, type GPT2Files, type HuggingFaceGPT2Config, type LoadGPT2Options } from './load.js';
export { GPT2Tokenizer, END_OF_TEXT, type GPT2TokenizerFiles } from './tokenizer.js';
export { generateText, type GenerateTextOptions, type GeneratedText } from './generate.js';
