// The char-RNN: the whole model against a float64 reference, with every parameter gradient
// (backpropagation through time) checked by central finite differences (its GRU, gg.nn.GRU, is
// checked alone in tests/nn/rnn.test.ts); the hidden-state decoder against the full forward pass; a
// few steps of training on a short text; and a checkpoint saved by an earlier version
// (tests/fixtures/char_rnn_checkpoint.ts), which must load.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { CharRNN, LanguageModelTrainer, loadLanguageModelCheckpoint, sampleText, trainLanguageModel } from '../../src/models/lm/index.js';
import { checkModule, type Params } from '../nn/helpers.js';
import { expectClose } from '../helpers/check.js';
import { ref, type Ref } from '../helpers/reference.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** One float64 GRU step of layer k for every batch row: x [B, in] and h [B, H] as nested arrays. */
function gruStep(x: number[][], h: number[][], params: Params, prefix: string, k: number): number[][] {
  const wIh = params[`${prefix}weight_ih_l${k}`];
  const wHh = params[`${prefix}weight_hh_l${k}`];
  const bIh = params[`${prefix}bias_ih_l${k}`];
  const bHh = params[`${prefix}bias_hh_l${k}`];
  const H = wHh.shape[1];
  const affine = (w: Ref, b: Ref, v: number[], row: number) => b.data[row] + v.reduce((s, vi, i) => s + vi * w.data[row * v.length + i], 0);
  return x.map((xb, b) =>
    Array.from({ length: H }, (_, j) => {
      const r = sigmoid(affine(wIh, bIh, xb, j) + affine(wHh, bHh, h[b], j));
      const z = sigmoid(affine(wIh, bIh, xb, H + j) + affine(wHh, bHh, h[b], H + j));
      const n = Math.tanh(affine(wIh, bIh, xb, 2 * H + j) + r * affine(wHh, bHh, h[b], 2 * H + j));
      return (1 - z) * n + z * h[b][j];
    }),
  );
}

/** Float64 multi-layer GRU: inputs per step [T][B][in] from zero states; the top layer's outputs per step. */
function gruReference(steps: number[][][], params: Params, prefix: string, layers: number, hiddenSize: number): number[][][] {
  const B = steps[0].length;
  let hidden = Array.from({ length: layers }, () => Array.from({ length: B }, () => new Array<number>(hiddenSize).fill(0)));
  return steps.map((x) => {
    let input = x;
    hidden = hidden.map((h, k) => (input = gruStep(input, h, params, prefix, k)));
    return input;
  });
}

describe('char-RNN', () => {
  it('CharRNN: logits and BPTT gradients of every parameter through embedding, GRU and head', async () => {
    const [V, B, T, E, H] = [5, 2, 5, 3, 4];
    const model = new CharRNN({ vocabSize: V, hiddenSize: H, embeddingDim: E }, { generator: new gg.Generator(6) });
    const tokens = ref([B, T], [0, 3, 1, 4, 2, 2, 2, 0, 1, 3]);
    await checkModule({
      module: model,
      inputs: [tokens],
      indexInputs: [0],
      ref: ([ids], params) => {
        const embed = (id: number) => Array.from(params['embedding.weight'].data.subarray(id * E, (id + 1) * E));
        const steps = Array.from({ length: T }, (_, t) => Array.from({ length: B }, (_, b) => embed(ids.data[b * T + t])));
        const outs = gruReference(steps, params, 'gru.', 1, H);
        const w = params['head.weight'];
        const bias = params['head.bias'];
        return ref([B, T, V], (i) => {
          const [b, t, v] = [Math.floor(i / (T * V)), Math.floor(i / V) % T, i % V];
          return bias.data[v] + outs[t][b].reduce((s, hj, j) => s + hj * w.data[v * H + j], 0);
        });
      },
    });
    model.dispose();
  });

  it('the hidden-state decoder gives the logits of the full forward pass, token by token', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const model = new CharRNN({ vocabSize: 7, hiddenSize: 8, numLayers: 2 }, { generator: new gg.Generator(2) });
    model.eval();
    const ids = Int32Array.from([3, 1, 4, 1, 5, 6, 2, 0, 2, 6]); // two sequences of 5
    const full = gg.scope(() => gg.noGrad(() => model.forward(gg.tensor(ids, [2, 5]))));
    const expected = await full.data();
    const decoder = model.decoder(2);
    const check = async (logits: gg.Tensor, position: number) => {
      const got = await logits.data();
      for (let b = 0; b < 2; b++) {
        const start = (b * 5 + position) * 7;
        expectClose(got.subarray(b * 7, (b + 1) * 7), expected.subarray(start, start + 7), 1e-5, 1e-4, `position ${position}`);
      }
      logits.dispose();
    };
    // Two tokens per sequence at once, then one at a time.
    await check(decoder.feed(Int32Array.from([ids[0], ids[1], ids[5], ids[6]]), 2), 1);
    for (let position = 2; position < 5; position++) await check(decoder.feed(Int32Array.from([ids[position], ids[5 + position]]), 1), position);
    decoder.dispose();
    full.dispose();
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('learns a short text by BPTT, then samples it back', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const corpus = gg.data.TextCorpus.fromText('abcdef'.repeat(20), { valFraction: 0.2 });
    const model = new CharRNN({ vocabSize: corpus.vocab.size, hiddenSize: 12 }, { generator: new gg.Generator(4) });
    const result = await trainLanguageModel(model, corpus, {
      steps: 25, batchSize: 4, blockSize: 6, lr: 3e-2, warmupSteps: 0, weightDecay: 0, evalInterval: 25, evalBatches: 1,
      onProgress: () => {}, onEval: () => {},
    });
    const [first, last] = [result.evals[0], result.evals[result.evals.length - 1]];
    expect(first.val.loss).toBeGreaterThan(1.5); // about ln 6 = 1.79 untrained
    expect(last.val.loss).toBeLessThan(0.3);
    const [sample] = await sampleText(model, corpus.vocab.encode('a'), { maxNewTokens: 6, temperature: 0 });
    expect(corpus.vocab.decode(sample)).toBe('bcdefa');
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('loads a checkpoint saved by an earlier version and gives its logits', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const saved = JSON.parse(readFileSync(new URL('../fixtures/char-rnn-checkpoint.json', import.meta.url), 'utf8')) as {
      config: gg.models.CharRNNConfig; tokens: number[][]; logits: number[]; checkpoint: string;
    };
    const generator = new gg.Generator(1);
    const model = new CharRNN(saved.config, { generator });
    const trainer = new LanguageModelTrainer(model, { lr: 0.05, generator });
    await loadLanguageModelCheckpoint(Uint8Array.from(Buffer.from(saved.checkpoint, 'base64')), trainer);
    expect(trainer.stepCount).toBe(2);
    model.eval();
    const logits = gg.scope(() => gg.noGrad(() => model.forward(gg.tensor(Int32Array.from(saved.tokens.flat()), [2, 5]))));
    expectClose(await logits.data(), saved.logits, 1e-6, 1e-5, 'logits');
    logits.dispose();
    trainer.dispose();
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});
