// Benchmark (not a test): trains bench/models/gpt.ts's nanoGPT configuration from PyTorch's initial weights
// on PyTorch's batches, as recorded by `python3 bench/reference/pytorch_nanogpt.py --dump PREFIX`,
// and compares the two runs: the loss of every step (the mean gap per 250 steps) and the validation
// loss over the whole split at the end. The first steps agree to float32 rounding; after that the
// runs drift apart as any two float32 runs do, so the end figures say whether gengpu trains to the
// same place, not to the same bits.
//   python3 bench/reference/pytorch_nanogpt.py --dump /tmp/nanogpt && npx tsx bench/models/gpt-replay.ts /tmp/nanogpt
import { readFileSync } from 'node:fs';
import * as gg from '../../src/node.js';
import { GPT, evaluate, formatEvaluation } from '../../src/models/lm/index.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { AdamW } from '../../src/optim/adam.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { CosineWithWarmup } from '../../src/optim/schedulers.js';

const prefix = process.argv[2];
if (!prefix) throw new Error('bench/models/gpt-replay: give the --dump prefix of bench/reference/pytorch_nanogpt.py, e.g. npx tsx bench/models/gpt-replay.ts /tmp/nanogpt');
const record = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as { seed: number; iters: number; starts: number[][]; losses: number[]; wholeSplitVal: number };

await gg.init();
const corpus = await gg.data.tinyShakespeare();
const blockSize = 64;
const batchSize = record.starts[0].length;
const model = new GPT({ vocabSize: corpus.vocab.size, blockSize, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false });
const initial = gg.io.loadTensors(readFileSync(`${prefix}-init.safetensors`));
model.loadStateDict(initial);
for (const t of Object.values(initial)) t.dispose();

const params = model.namedParameters().map(([, t]) => t);
const optimizer = new AdamW([{ params: params.filter((t) => t.rank >= 2), weightDecay: 0.1 }, { params: params.filter((t) => t.rank < 2), weightDecay: 0 }], { lr: 1e-3, betas: [0.9, 0.99] });
// pytorch_nanogpt.py warms up for 100 steps whatever the length (a shorter run never leaves the warmup).
const schedule = new CosineWithWarmup(optimizer, { warmupSteps: 100, totalSteps: Math.max(record.iters, 101), minLr: 1e-4 });
console.log(`replaying PyTorch's run (seed ${record.seed}, ${record.iters} steps, batch ${batchSize}, block ${blockSize}) from its initial weights`);

/** The windows at `starts` of the training split: x [B, T] and the next tokens y [B, T]. */
function windows(starts: number[]): { x: Int32Array; y: Int32Array } {
  const x = new Int32Array(starts.length * blockSize);
  const y = new Int32Array(starts.length * blockSize);
  starts.forEach((start, b) => {
    x.set(corpus.train.subarray(start, start + blockSize), b * blockSize);
    y.set(corpus.train.subarray(start + 1, start + blockSize + 1), b * blockSize);
  });
  return { x, y };
}

const started = performance.now();
let gapSum = 0;
let lossSum = 0;
let counted = 0;
model.train();
for (let step = 0; step < record.iters; step++) {
  const { x, y } = windows(record.starts[step]);
  optimizer.zeroGrad();
  const loss = gg.scope(() => {
    const l = crossEntropy(model.forward(gg.tensor(x, [batchSize, blockSize])), gg.tensor(y, [batchSize, blockSize]), { axis: -1 });
    l.backward();
    clipGradNorm(params, 1);
    return l.detach();
  });
  optimizer.step();
  schedule.step();
  const value = await loss.item();
  loss.dispose();
  if (!Number.isFinite(value)) throw new Error(`bench/models/gpt-replay: the loss is ${value} at step ${step}`);
  gapSum += value - record.losses[step];
  lossSum += value;
  counted++;
  if (step < 3 || (step + 1) % 250 === 0) {
    const tokensPerSecond = ((step + 1) * batchSize * blockSize) / ((performance.now() - started) / 1000);
    console.log(
      `step ${String(step + 1).padStart(4)}: loss ${value.toFixed(6)} (PyTorch ${record.losses[step].toFixed(6)}); ` +
        `mean over the last ${counted}: ${(lossSum / counted).toFixed(4)}, gap to PyTorch ${(gapSum >= 0 ? '+' : '') + (gapSum / counted).toFixed(4)}  ` +
        `${Math.round(tokensPerSecond)} tokens/s`,
    );
    gapSum = 0;
    lossSum = 0;
    counted = 0;
  }
}
const full = await evaluate(model, corpus, { split: 'val', batchSize: 64, blockSize });
console.log(`val over the whole split: gengpu ${formatEvaluation(full)}; PyTorch ${record.wholeSplitVal.toFixed(4)} nats`);
console.log(`total: ${gg.formatDuration((performance.now() - started) / 1000)}`);
optimizer.dispose();
model.dispose();
process.exit(0);
