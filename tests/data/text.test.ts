// Character corpora: the vocabulary round trip, the 90/10 split, windows with next-character targets
// drawn reproducibly, tiny Shakespeare's known size and alphabet, and the Brown corpus default with
// its part-of-speech tags stripped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { CharVocab, TextCorpus, SeededRandom, tinyShakespeare, defaultCorpus, detokenizeBrown } = gg.data;

describe('CharVocab', () => {
  it('sorts the unique characters and round-trips text, astral characters included', () => {
    const text = 'hello, world! 𝄞 é';
    const vocab = CharVocab.fromText(text);
    expect(vocab.chars).toEqual([' ', '!', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w', 'é', '𝄞']);
    const ids = vocab.encode(text);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe([...text].length);
    expect(Array.from(vocab.encode('hello'))).toEqual([5, 4, 6, 6, 7]);
    expect(vocab.decode(ids)).toBe(text);
  });

  it('names unknown characters and ids', () => {
    const vocab = CharVocab.fromText('abc');
    expect(() => vocab.encode('abz')).toThrow(/CharVocab.encode: character "z" \(U\+007A\) at position 2 is not in the vocabulary of 3/);
    expect(() => vocab.decode([0, 3])).toThrow(/CharVocab.decode: id 3 at position 1 is outside the vocabulary of 3/);
    expect(() => new CharVocab(['a', 'a'])).toThrow(/CharVocab: the characters must be unique/);
  });
});

describe('TextCorpus', () => {
  const text = 'abcdefghijklmnopqrstuvwxyz'.repeat(4); // 104 characters

  it('splits the first 90% for training and the last 10% for validation', () => {
    const corpus = TextCorpus.fromText(text);
    expect([corpus.train.length, corpus.val.length]).toEqual([93, 11]);
    expect(corpus.vocab.decode(corpus.val)).toBe(text.slice(93));
    const halves = TextCorpus.fromText(text, { valFraction: 0.5 });
    expect([halves.train.length, halves.val.length]).toEqual([52, 52]);
    expect(() => TextCorpus.fromText(text, { valFraction: 1 })).toThrow(/TextCorpus: valFraction must be in \[0, 1\), got 1/);
  });

  it('samples windows whose targets are the inputs shifted by one', () => {
    const corpus = TextCorpus.fromText(text);
    const { x, y, starts } = corpus.sampleWindows('train', 6, 8, 1);
    for (let b = 0; b < 6; b++) {
      expect(starts[b] >= 0 && starts[b] + 8 < corpus.train.length).toBe(true);
      for (let t = 0; t < 8; t++) {
        expect(x[b * 8 + t]).toBe(corpus.train[starts[b] + t]);
        expect(y[b * 8 + t]).toBe(corpus.train[starts[b] + t + 1]);
      }
    }
    // A seed number gives the same windows every call; a SeededRandom is a stream of new ones.
    expect(corpus.sampleWindows('train', 6, 8, 1).starts).toEqual(starts);
    const random = new SeededRandom(1);
    expect(corpus.sampleWindows('train', 6, 8, random).starts).toEqual(starts);
    expect(corpus.sampleWindows('train', 6, 8, random).starts).not.toEqual(starts);
    // The corpus's own generator (seed option) is reproducible across corpora.
    expect(TextCorpus.fromText(text, { seed: 4 }).sampleWindows('val', 3, 5).starts).toEqual(TextCorpus.fromText(text, { seed: 4 }).sampleWindows('val', 3, 5).starts);
    expect(() => corpus.sampleWindows('val', 2, 11)).toThrow(/the val split has 11 tokens; a window of blockSize 11 needs 12/);
    expect(() => corpus.sampleWindows('test' as 'val', 2, 2)).toThrow(/TextCorpus: split must be 'train' or 'val', got 'test'/);
  });

  it('uploads batches as i32 tensors [B, T]', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const corpus = TextCorpus.fromText(text);
    const { x, y } = corpus.sampleBatch('train', 3, 5, 11);
    const windows = corpus.sampleWindows('train', 3, 5, 11);
    expect([x.shape, x.dtype, y.shape, y.dtype]).toEqual([[3, 5], 'i32', [3, 5], 'i32']);
    expect(await x.data()).toEqual(windows.x);
    expect(await y.data()).toEqual(windows.y);
    x.dispose();
    y.dispose();
    expect(rt.memory().liveBuffers).toBe(baseline);
  });

  it('reads any UTF-8 text file', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'gengpu-text-'));
    try {
      writeFileSync(join(directory, 'poem.txt'), 'Über alles, naïve café.\n');
      const corpus = await TextCorpus.fromFile(join(directory, 'poem.txt'), { valFraction: 0 });
      expect(corpus.vocab.decode(corpus.train)).toBe('Über alles, naïve café.\n');
      expect(corpus.val.length).toBe(0);
    } finally {
      rmSync(directory, { recursive: true });
    }
  });

  it('loads tiny Shakespeare from the path given, split 90/10 as nanoGPT', async () => {
    // A stand-in written here: tests never read the real file, which lives outside the repository.
    const text = 'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n'.repeat(37);
    const directory = mkdtempSync(join(tmpdir(), 'gengpu-shakespeare-'));
    try {
      writeFileSync(join(directory, 'tinyshakespeare.txt'), text);
      const corpus = await tinyShakespeare(join(directory, 'tinyshakespeare.txt'));
      expect(corpus.text).toBe(text);
      expect(corpus.vocab.chars.slice(0, 4)).toEqual(['\n', ' ', ',', '.']);
      expect([corpus.train.length, corpus.val.length]).toEqual([Math.floor(0.9 * text.length), text.length - Math.floor(0.9 * text.length)]);
    } finally {
      rmSync(directory, { recursive: true });
    }
    await expect(tinyShakespeare('/nonexistent/tiny.txt')).rejects.toThrow(/tinyShakespeare: cannot read \/nonexistent\/tiny.txt/);
  });
});

describe('the Brown corpus default', () => {
  it('joins tagged tokens into printed text', () => {
    const tagged = [
      '\n\n\tThe/at jury/nn said/vbd ,/, ``/`` it/pps is/bez over/rb \'\'/\'\' ./.',
      'Mr./np Pye/np (/( 1/2/cd )/) left/vbd at/in 3/cd p.m./rb ./.\n\n',
      'Thirty-three/cd-hl\nHe/pps ate/vbd ;/. ;/.\nshe/pps did/dod not/* !/.',
      '\n\n\tA/at 1/8\'\'/nn \'\'/\'\' rod/nn ./.',
    ].join('\n');
    expect(detokenizeBrown(tagged)).toBe('The jury said, "it is over". Mr. Pye (1/2) left at 3 p.m.\nThirty-three\nHe ate; she did not!\nA 1/8" rod.');
  });

  it('ships about 6 million characters with no part-of-speech tags left', async () => {
    const corpus = await defaultCorpus();
    expect(corpus.text.length).toBeGreaterThan(5_000_000);
    expect(corpus.text.startsWith('The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.')).toBe(true);
    expect(corpus.text.match(/\/(at|nn|np|in|jj|vbd|vbz|cc|rb|nns|pps|[a-z]+-(tl|hl))(?=\s|$)|``|''/)).toBeNull();
    // Slashes that remain belong to the words themselves (fractions like 1-1/2, and/or): a few hundred, not a million tags.
    expect((corpus.text.match(/\//g) ?? []).length).toBeLessThan(1000);
    expect(corpus.vocab.size).toBeLessThan(100);
    const news = await defaultCorpus({ categories: ['news'] });
    expect(news.text.length).toBeLessThan(corpus.text.length / 5);
    await expect(defaultCorpus({ categories: ['poetry'] })).rejects.toThrow(/defaultCorpus: unknown category 'poetry'; the Brown corpus has news, editorial/);
  });
});
