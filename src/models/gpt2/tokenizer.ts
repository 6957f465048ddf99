// GPT-2's byte-level BPE tokenizer, as OpenAI's encoder.py: text is split into pieces by GPT-2's
// regex (contractions, letter runs, digit runs, other-symbol runs, whitespace), each piece's UTF-8
// bytes are spelt with printable stand-in characters (bytes_to_unicode: no byte is left unspellable,
// so any text encodes and nothing maps to an unknown token), and the merges are applied to each piece,
// lowest rank first, until none applies. Decoding joins the tokens' spellings and maps them back to
// bytes. The vocabulary (vocab.json or encoder.json) and the merges (merges.txt or vocab.bpe) are
// read from a path, a URL, a File, or given as values.

import { joinLocation, readSourceText, sourceName, type FileSource } from '../../data/source.js';

/** GPT-2's pre-tokenizer. OpenAI's pattern, with \p{White_Space} for Python regex's \s (JS's \s differs at U+0085 and U+FEFF). */
const PIECES = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** The end-of-text token's spelling in GPT-2's vocabulary. */
export const END_OF_TEXT = '<|endoftext|>';

/**
 * bytes_to_unicode: byte b's stand-in character. The printable Latin-1 bytes stand for themselves;
 * the others (controls, space, and a few more) take the code points from 256 up, in byte order.
 */
function byteSpellings(): string[] {
  const spelling: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    spelling[b] = String.fromCharCode(printable ? b : next++);
  }
  return spelling;
}

/** The files a tokenizer is read from. */
export interface GPT2TokenizerFiles {
  /** vocab.json (Hugging Face's name) or encoder.json (OpenAI's): JSON of token spelling to id. */
  vocab: FileSource;
  /** merges.txt (Hugging Face's name) or vocab.bpe (OpenAI's): one merge per line, ranked by order. */
  merges: FileSource;
}

/** Pieces whose BPE is remembered (real text repeats its words); the memory is cleared when it fills. */
const CACHE_LIMIT = 50_000;

/** GPT-2's byte-level BPE tokenizer (OpenAI's encoder.py; the same ids as Hugging Face's GPT2Tokenizer). */
export class GPT2Tokenizer {
  /** Number of token ids (the vocabulary's largest id + 1): 50257 for GPT-2. */
  readonly vocabSize: number;
  /** The id of `<|endoftext|>`, or null when the vocabulary has none. */
  readonly eosTokenId: number | null;
  private readonly ids: Map<string, number>;
  private readonly spellings: string[];
  private readonly ranks: Map<string, number>;
  private readonly byteSpelling = byteSpellings();
  private readonly byteOf = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();

  /**
   * A tokenizer from a vocabulary (token spelling to id, as vocab.json) and the text of a merges file
   * (an optional `#version` line, then one merge per line: two spellings separated by a space).
   */
  constructor(vocab: Record<string, number>, merges: string) {
    if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
      throw new Error(`GPT2Tokenizer: the vocabulary must be an object of token spellings to ids, got ${Array.isArray(vocab) ? 'an array' : typeof vocab}`);
    }
    this.ids = new Map();
    this.spellings = [];
    for (const [spelling, id] of Object.entries(vocab)) {
      if (!Number.isInteger(id) || id < 0) throw new Error(`GPT2Tokenizer: the vocabulary gives token ${JSON.stringify(spelling)} the id ${JSON.stringify(id)}; ids are integers >= 0`);
      if (this.spellings[id] !== undefined) throw new Error(`GPT2Tokenizer: the vocabulary gives the id ${id} to both ${JSON.stringify(this.spellings[id])} and ${JSON.stringify(spelling)}`);
      this.ids.set(spelling, id);
      this.spellings[id] = spelling;
    }
    this.vocabSize = this.spellings.length;
    this.eosTokenId = this.ids.get(END_OF_TEXT) ?? null;
    this.byteSpelling.forEach((c, b) => this.byteOf.set(c, b));
    const missing = this.byteSpelling.filter((c) => !this.ids.has(c));
    if (missing.length > 0) {
      throw new Error(`GPT2Tokenizer: the vocabulary lacks ${missing.length} of the 256 single-byte tokens (e.g. ${JSON.stringify(missing[0])}): it is not a byte-level BPE vocabulary`);
    }
    if (typeof merges !== 'string') throw new Error(`GPT2Tokenizer: merges must be the text of a merges file, got ${typeof merges}`);
    this.ranks = new Map();
    const lines = merges.split('\n');
    lines.forEach((line, number) => {
      const trimmed = line.replace(/\r$/, '');
      if (trimmed === '' || (number === 0 && trimmed.startsWith('#version'))) return;
      const parts = trimmed.split(' ');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
        throw new Error(`GPT2Tokenizer: line ${number + 1} of the merges is ${JSON.stringify(trimmed)}; each line must be two tokens separated by one space`);
      }
      const key = `${parts[0]} ${parts[1]}`;
      if (!this.ranks.has(key)) this.ranks.set(key, this.ranks.size);
    });
  }

  /**
   * Reads a tokenizer's files: a directory (Node) or base URL holding vocab.json and merges.txt (a
   * Hugging Face checkpoint's), or each file given on its own (a path, URL or File). Values already
   * in memory go to the constructor.
   */
  static async load(source: string | URL | GPT2TokenizerFiles): Promise<GPT2Tokenizer> {
    const base = source instanceof URL ? source.href : source;
    const files = typeof base === 'string' ? { vocab: joinLocation(base, 'vocab.json'), merges: joinLocation(base, 'merges.txt') } : base;
    const [vocabText, merges] = await Promise.all([readSourceText(files.vocab, 'GPT2Tokenizer.load'), readSourceText(files.merges, 'GPT2Tokenizer.load')]);
    let vocab: Record<string, number>;
    try {
      vocab = JSON.parse(vocabText) as Record<string, number>;
    } catch (e) {
      throw new Error(`GPT2Tokenizer.load: the vocabulary ${sourceName(files.vocab)} is not valid JSON: ${(e as Error).message}`);
    }
    return new GPT2Tokenizer(vocab, merges);
  }

  /**
   * Token ids of `text`. As OpenAI's encoder, special tokens are not looked for in the text:
   * '<|endoftext|>' written in it encodes as ordinary characters (Hugging Face's tokenizer gives its id
   * instead); append `eosTokenId` yourself.
   */
  encode(text: string): number[] {
    if (typeof text !== 'string') throw new Error(`GPT2Tokenizer.encode: expected a string, got ${typeof text}`);
    const ids: number[] = [];
    const utf8 = new TextEncoder();
    for (const [piece] of text.matchAll(PIECES)) {
      let spelt = '';
      for (const byte of utf8.encode(piece)) spelt += this.byteSpelling[byte];
      for (const id of this.bpe(spelt)) ids.push(id);
    }
    return ids;
  }

  /** The bytes that `ids` spell (a token may hold part of a character's UTF-8 bytes). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const bytes: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const spelling = Number.isInteger(id) ? this.spellings[id] : undefined;
      if (spelling === undefined) throw new Error(`GPT2Tokenizer.decode: ${id} at position ${i} is not a token id of this vocabulary (${this.vocabSize} ids)`);
      for (const c of spelling) {
        const byte = this.byteOf.get(c);
        // Special tokens are spelt in plain characters, which all have a byte.
        if (byte === undefined) throw new Error(`GPT2Tokenizer.decode: token ${id} (${JSON.stringify(spelling)}) holds ${JSON.stringify(c)}, which stands for no byte`);
        bytes.push(byte);
      }
    }
    return Uint8Array.from(bytes);
  }

  /** The text of `ids`; byte sequences that are not UTF-8 become U+FFFD, as Python's errors='replace' (a BOM is kept, as Python keeps it). */
  decode(ids: ArrayLike<number>): string {
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(this.decodeBytes(ids));
  }

  /** A token's spelling in the vocabulary (its bytes as stand-in characters), e.g. 'Ġworld' for 995. */
  tokenSpelling(id: number): string {
    const spelling = Number.isInteger(id) ? this.spellings[id] : undefined;
    if (spelling === undefined) throw new Error(`GPT2Tokenizer.tokenSpelling: ${id} is not a token id of this vocabulary (${this.vocabSize} ids)`);
    return spelling;
  }

  /** The ids of one spelt piece: its characters merged pair by pair, the lowest-ranked pair first. */
  private bpe(spelt: string): number[] {
    const cached = this.cache.get(spelt);
    if (cached) return cached;
    let word = Array.from(spelt);
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      // Merge every occurrence of the pair, left to right, as encoder.py does.
      const [first, second] = [word[best], word[best + 1]];
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else {
          merged.push(word[i]);
        }
      }
      word = merged;
    }
    const ids = word.map((symbol) => {
      const id = this.ids.get(symbol);
      if (id === undefined) throw new Error(`GPT2Tokenizer.encode: the merges make ${JSON.stringify(symbol)}, which the vocabulary lacks: the vocabulary and merges files do not belong together`);
      return id;
    });
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(spelt, ids);
    return ids;
  }
}
