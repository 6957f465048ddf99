// Sampling refuses bad input instead of drawing from it: prompt tokens outside the vocabulary,
// logits holding NaN or +Infinity or a row of only -Infinity (on every path: greedy, the GPU draw,
// the host-side top-k / top-p filter), and a GPT whose weights went NaN.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { GPT, type GPTConfig, sampleText, generate, sampleNext, type Decoder } from '../../src/models/lm/index.js';

const tiny: GPTConfig = { vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16 };

describe('sampling rejects bad input', () => {
  it('prompt tokens outside the vocabulary, negative or not integers', async () => {
    const rt = gg.runtime();
    const before = rt.memory().liveBuffers;
    const model = new GPT(tiny, { generator: new gg.Generator(1) });
    await expect(sampleText(model, [1, 999], { maxNewTokens: 2 })).rejects.toThrow(
      'sampleText: prompt token 999 at position 1 is not a token id (ids are integers in [0, 11), the vocabulary)',
    );
    await expect(sampleText(model, [11], { maxNewTokens: 2 })).rejects.toThrow('sampleText: prompt token 11 at position 0');
    await expect(sampleText(model, [-1], { maxNewTokens: 2 })).rejects.toThrow('sampleText: prompt token -1 at position 0');
    await expect(sampleText(model, [2.5], { maxNewTokens: 2 })).rejects.toThrow('sampleText: prompt token 2.5 at position 0');
    // A decoder that does not know its vocabulary still gets integers >= 0, and the GPU check catches the rest.
    const decoder = model.decoder(1);
    await expect(generate(decoder, [NaN], { maxNewTokens: 1 })).rejects.toThrow('generate: prompt token NaN at position 0 is not a token id (ids are integers >= 0)');
    await expect(generate(decoder, [999], { maxNewTokens: 1 })).rejects.toThrow('Embedding: index 999 is out of range for a table of 11 rows');
    decoder.dispose();
    model.dispose();
    expect(rt.memory().liveBuffers).toBe(before);
  });

  it('logits with NaN, +Infinity or a row of only -Infinity, on every path', async () => {
    const rt = gg.runtime();
    const before = rt.memory().liveBuffers;
    const rows: [number[][], RegExp][] = [
      [[[0, 1, 2], [0, NaN, 1]], /row 1 of the logits holds NaN/],
      [[[0, Infinity, 2]], /row 0 of the logits holds (NaN or \+Infinity|Infinity)/],
      [[[0, 1, 2], [-Infinity, -Infinity, -Infinity]], /row 1 of the logits is all -Infinity/],
    ];
    const paths = [{ temperature: 0 }, { temperature: 0.8 }, { topK: 2 }, { topP: 0.9 }];
    for (const [values, message] of rows) {
      for (const options of paths) {
        const logits = gg.tensor(values);
        await expect(sampleNext(logits, { ...options, generator: new gg.Generator(1) }), JSON.stringify(options)).rejects.toThrow(message);
        logits.dispose();
      }
    }
    // Nothing stays behind to fail a later, good draw.
    const good = gg.tensor([[0, 5, 0]]);
    expect([...(await sampleNext(good, { temperature: 0 }))]).toEqual([1]);
    good.dispose();
    expect(rt.memory().liveBuffers).toBe(before);
  });

  it('a GPT whose weights are NaN does not sample tokens', async () => {
    const model = new GPT(tiny, { generator: new gg.Generator(2) });
    const head = model.parameters()[0];
    const nan = gg.full(head.shape, NaN);
    gg.noGrad(() => gg.assign(head, nan));
    nan.dispose();
    for (const options of [{ temperature: 0 }, { temperature: 1 }, { topK: 3 }]) {
      await expect(sampleText(model, [1, 2], { maxNewTokens: 3, ...options })).rejects.toThrow(/sampleNext: row 0 of the logits holds NaN/);
    }
    model.dispose();
  });

  it('a decoder that returns bad logits mid-generation stops the generation with the error', async () => {
    let step = 0;
    const decoder: Decoder = {
      batchSize: 1,
      vocabSize: 3,
      feed: () => gg.tensor([step++ < 2 ? [0, 1, 0] : [NaN, 0, 0]]),
      dispose: () => {},
    };
    const seen: number[] = [];
    await expect(generate(decoder, [0], { maxNewTokens: 5, onToken: (t) => seen.push(t[0]) })).rejects.toThrow(/row 0 of the logits holds NaN/);
    expect(seen.length).toBe(2);
    await expect(generate(decoder, [3], { maxNewTokens: 1 })).rejects.toThrow('generate: prompt token 3 at position 0 is not a token id (ids are integers in [0, 3), the vocabulary)');
  });
  it('stopToken ends each sample at its first end token and stops once every sample has drawn one', async () => {
    // Row s of the logits peaks at token (s + step) % 4, so with temperature 0 sample 0 draws 0 1 2 3 ...
    // and sample 1 draws 1 2 3 0 ...: with stopToken 2, sample 0 stops after 3 tokens and sample 1 after 2.
    let step = 0;
    let fed = 0;
    const decoder: Decoder = {
      batchSize: 2,
      vocabSize: 4,
      feed: () => {
        fed++;
        const rows = [0, 1].map((s) => [0, 1, 2, 3].map((v) => (v === (s + step) % 4 ? 5 : 0)));
        step++;
        return gg.tensor(rows);
      },
      dispose: () => {},
    };
    const samples = await generate(decoder, [0], { maxNewTokens: 10, numSamples: 2, temperature: 0, stopToken: 2 });
    expect(samples.map((t) => Array.from(t))).toEqual([[0, 1, 2], [1, 2]]);
    expect(fed).toBe(3);
    await expect(generate(decoder, [0], { maxNewTokens: 1, numSamples: 2, stopToken: 4 })).rejects.toThrow('generate: stopToken 4 is not a token id (ids are integers in [0, 4), the vocabulary)');
    await expect(generate(decoder, [0], { maxNewTokens: 1, numSamples: 2, stopToken: -1 })).rejects.toThrow('generate: stopToken must be an integer >= 0 (a token id), got -1');
  });
});
