// The GPT: nanoGPT's state-dict keys and weight tying; KV-cache decoding against full recomputation
// (prefill, single tokens, a batch, and the restart when the context passes blockSize); a tiny
// model overfitting a short text; seeded sampling (reproducible, temperature / top-k / top-p);
// training that resumes from a checkpoint exactly; evaluation's units; dropout; errors; memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { GPT, type GPTConfig, evaluate, sampleText, trainLanguageModel, filterLogits, sampleNext } from '../../src/models/lm/index.js';
import { expectClose } from '../helpers/check.js';

const tiny: GPTConfig = { vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };
const quiet = { onProgress: () => {}, onEval: () => {} };

/** Logits [B, T, V] of the whole sequences, read back. */
async function fullLogits(model: GPT, ids: Int32Array, batch: number): Promise<Float32Array> {
  const logits = gg.scope(() => gg.noGrad(() => model.forward(gg.tensor(ids, [batch, ids.length / batch]))));
  const values = (await logits.data()) as Float32Array;
  logits.dispose();
  return values;
}

describe('GPT', () => {
  it("has nanoGPT's state-dict keys, one output head tied to the token embedding, and the parameter count", () => {
    const model = new GPT({ ...tiny, nLayer: 1, bias: false });
    expect(Object.keys(model.stateDict())).toEqual([
      'transformer.wte.weight',
      'transformer.wpe.weight',
      'transformer.h.0.ln_1.weight',
      'transformer.h.0.attn.c_attn.weight',
      'transformer.h.0.attn.c_proj.weight',
      'transformer.h.0.ln_2.weight',
      'transformer.h.0.mlp.c_fc.weight',
      'transformer.h.0.mlp.c_proj.weight',
      'transformer.ln_f.weight',
    ]);
    const C = tiny.nEmbd;
    expect(model.numParameters()).toBe(11 * C + 8 * C + C + 3 * C * C + C * C + C + 4 * C * C + 4 * C * C + C);
    model.dispose();
  });

  it('decoding with the KV cache gives the logits of full recomputation', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const model = new GPT(tiny, { generator: new gg.Generator(3) });
    model.eval();
    // Two sequences of 8 (the block size): a prefill of 3 tokens, then one token at a time.
    const ids = Int32Array.from([1, 5, 3, 7, 2, 9, 4, 0, 10, 2, 2, 6, 8, 1, 3, 5]);
    const expected = await fullLogits(model, ids, 2);
    const decoder = model.decoder(2);
    const check = async (logits: gg.Tensor, position: number) => {
      const got = await logits.data();
      for (let b = 0; b < 2; b++) {
        const at = (b * 8 + position) * 11;
        expectClose(got.subarray(b * 11, (b + 1) * 11), expected.subarray(at, at + 11), 1e-5, 1e-4, `sequence ${b}, position ${position}`);
      }
      logits.dispose();
    };
    await check(decoder.feed(Int32Array.from([...ids.subarray(0, 3), ...ids.subarray(8, 11)]), 3), 2);
    for (let position = 3; position < 8; position++) {
      await check(decoder.feed(Int32Array.from([ids[position], ids[8 + position]]), 1), position);
    }
    // Past the block size the cache restarts from the last half window (4 tokens, the new one included).
    const next = decoder.feed(Int32Array.from([6, 7]), 1);
    const window = Int32Array.from([...ids.subarray(5, 8), 6, ...ids.subarray(13, 16), 7]);
    const restarted = await fullLogits(model, window, 2);
    const got = await next.data();
    for (let b = 0; b < 2; b++) expectClose(got.subarray(b * 11, (b + 1) * 11), restarted.subarray((b * 4 + 3) * 11, (b * 4 + 4) * 11), 1e-5, 1e-4, `restart ${b}`);
    next.dispose();
    decoder.dispose();
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('overfits a short text to near-zero loss, then recites it', async () => {
    const before = gg.runtime().memory().liveBuffers;
    // 17 training characters make exactly one window of 16 (the other 17 are the validation split).
    const corpus = gg.data.TextCorpus.fromText('First Citizen: Before we proceed a', { valFraction: 0.5 });
    const model = new GPT({ vocabSize: corpus.vocab.size, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 32 }, { generator: new gg.Generator(1) });
    const result = await trainLanguageModel(model, corpus, {
      steps: 30, batchSize: 4, blockSize: 16, lr: 2e-2, minLr: 2e-2, warmupSteps: 2, weightDecay: 0, evalInterval: 30, evalBatches: 1, ...quiet,
    });
    expect(result.evals[0].train.loss).toBeGreaterThan(2.5); // about ln 19 = 2.94 untrained
    expect(result.evals[1].train.loss).toBeLessThan(0.02);
    const [continuation] = await sampleText(model, corpus.vocab.encode('F'), { maxNewTokens: 15, temperature: 0 });
    expect(corpus.vocab.decode(continuation)).toBe('irst Citizen: B');
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});

describe('sampling', () => {
  it('a fixed seed gives the same tokens, streamed as they are drawn; another seed gives others', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const model = new GPT(tiny, { generator: new gg.Generator(9) });
    const draw = async (seed: number, options: { topK?: number; topP?: number } = {}) => {
      const streamed: number[][] = [];
      const samples = await sampleText(model, [1, 2], {
        maxNewTokens: 20, numSamples: 2, temperature: 1.5, generator: new gg.Generator(seed), ...options,
        onToken: (tokens) => streamed.push([...tokens]),
      });
      expect(streamed.map((step) => step[1])).toEqual([...samples[1]]);
      return samples.map((s) => [...s]);
    };
    expect(await draw(7)).toEqual(await draw(7));
    expect(await draw(7)).not.toEqual(await draw(8));
    expect(await draw(7, { topK: 3, topP: 0.9 })).toEqual(await draw(7, { topK: 3, topP: 0.9 }));
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('temperature 0 and top-k 1 take the most likely token; top-k and top-p keep what they should', async () => {
    const logits = gg.tensor([[0.5, 2, -1, 1.9], [3, 2.9, 0, -2]]);
    expect([...(await sampleNext(logits, { temperature: 0 }))]).toEqual([1, 0]);
    expect([...(await sampleNext(logits, { topK: 1, generator: new gg.Generator(1) }))]).toEqual([1, 0]);
    logits.dispose();
    const kept = (row: number[], options: Parameters<typeof filterLogits>[1]) =>
      [...filterLogits(Float32Array.from(row), options)].map((v, i) => (v === -Infinity ? -1 : i)).filter((i) => i >= 0);
    expect(kept([0.5, 2, -1, 1.9], { topK: 2 })).toEqual([1, 3]);
    expect(kept([1, 3, 3, 0], { topK: 2 })).toEqual([1, 2]);
    expect(kept([1, 3, 3, 0], { topK: 1 })).toEqual([1, 2]); // ties with the k-th stay, as in nanoGPT
    // Probabilities 0.64, 0.24, 0.09, 0.03: top-p 0.7 keeps two tokens, 0.6 one, 0.95 three.
    const row = [Math.log(0.64), Math.log(0.24), Math.log(0.09), Math.log(0.03)];
    expect(kept(row, { topP: 0.7 })).toEqual([0, 1]);
    expect(kept(row, { topP: 0.6 })).toEqual([0]);
    expect(kept(row, { topP: 0.95 })).toEqual([0, 1, 2]);
    expect([...filterLogits(Float32Array.from([2, 4]), { temperature: 2 })]).toEqual([1, 2]);
    await expect(sampleNext(gg.zeros([2, 3]), { topP: 1.5 })).rejects.toThrow('sampleNext: topP must be in (0, 1], got 1.5');
  });
});

describe('training', () => {
  it('resumes from a checkpoint exactly, with gradient accumulation, clipping and the cosine schedule', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const dir = mkdtempSync(join(tmpdir(), 'gengpu-gpt-'));
    const corpus = gg.data.TextCorpus.fromText('to be or not to be, that is the question. '.repeat(4), { valFraction: 0.25 });
    const config: GPTConfig = { vocabSize: corpus.vocab.size, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0.1 };
    const options = { batchSize: 2, blockSize: 8, accumulationSteps: 2, lr: 1e-2, warmupSteps: 1, gradClip: 0.5, evalInterval: 2, evalBatches: 1, ...quiet };
    const train = async (steps: number, checkpointPath: string, generator: gg.Generator, model: GPT) =>
      trainLanguageModel(model, corpus, { ...options, steps, decaySteps: 4, checkpointPath, resume: true, generator });

    const straightGenerator = new gg.Generator(11);
    const straight = new GPT(config, { generator: straightGenerator });
    const straightRun = await train(4, join(dir, 'straight.safetensors'), straightGenerator, straight);

    // Two steps, then a fresh model and generator continue from the checkpoint for two more.
    const firstGenerator = new gg.Generator(11);
    const first = new GPT(config, { generator: firstGenerator });
    await train(2, join(dir, 'resumed.safetensors'), firstGenerator, first);
    const resumedGenerator = new gg.Generator(11);
    const resumed = new GPT(config, { generator: resumedGenerator });
    const resumedRun = await train(4, join(dir, 'resumed.safetensors'), resumedGenerator, resumed);

    expect(resumedRun.evals.map((e) => e.step)).toEqual([4]);
    expect(resumedRun.evals[0].val.loss).toBe(straightRun.evals[2].val.loss);
    const a = straight.stateDict();
    const b = resumed.stateDict();
    for (const key of Object.keys(a)) expect([...(await b[key].data())], key).toEqual([...(await a[key].data())]);
    for (const m of [straight, first, resumed]) m.dispose();
    rmSync(dir, { recursive: true });
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('evaluation reports nats, bits per character and perplexity over the whole split', async () => {
    const corpus = gg.data.TextCorpus.fromText('abcabcabcabcabcabcabcabcabcabc', { valFraction: 0.5 });
    const model = new GPT({ vocabSize: corpus.vocab.size, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 8 });
    const e = await evaluate(model, corpus, { split: 'val', batchSize: 2, blockSize: 4 });
    expect(e.tokens).toBe(12); // 15 validation tokens: 3 windows of 4 with their next tokens
    expect(Math.abs(e.loss - Math.log(3))).toBeLessThan(0.2); // an untrained model is near uniform
    expect(e.bitsPerChar).toBeCloseTo(e.loss / Math.LN2, 10);
    expect(e.perplexity).toBeCloseTo(Math.exp(e.loss), 10);
    model.dispose();
  });

  it('dropout draws new masks in training and none in evaluation', async () => {
    const model = new GPT({ ...tiny, dropout: 0.5 }, { generator: new gg.Generator(2) });
    const ids = Int32Array.from([1, 2, 3, 4]);
    const [a, b] = [await fullLogits(model, ids, 1), await fullLogits(model, ids, 1)];
    expect(a).not.toEqual(b);
    model.eval();
    expect(await fullLogits(model, ids, 1)).toEqual(await fullLogits(model, ids, 1));
    model.dispose();
  });

  it('names the class and the shapes on bad input', () => {
    expect(() => new GPT({ ...tiny, nHead: 3 })).toThrow('GPT: nEmbd (16) must be a multiple of nHead (3)');
    expect(() => new GPT({ ...tiny, blockSize: 0 })).toThrow('GPT: blockSize must be a positive integer, got 0');
    const model = new GPT(tiny);
    gg.scope(() => {
      expect(() => model.forward(gg.zeros([1, 9], { dtype: 'i32' }))).toThrow('GPT.forward: expected i32 tokens [B, T] with 1 <= T <= blockSize 8, got [1, 9] i32');
      expect(() => model.forward(gg.zeros([1, 4]))).toThrow('got [1, 4] f32');
    });
    const decoder = model.decoder(1);
    expect(() => decoder.feed(Int32Array.from([1, 2]), 3)).toThrow('GPTDecoder.feed: expected 1 rows of count >= 1 tokens, got 2 tokens for count 3');
    decoder.dispose();
    model.dispose();
  });
});
