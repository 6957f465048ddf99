// Benchmark (not a test): replays PyTorch's longer DDPM run, as recorded by
// `python3 bench/reference/pytorch_ddpm.py --long` (a 28x28 conditional U-Net, 100+ steps), with gengpu's
// UNet, diffusionLossAt, Adam, clipGradNorm and weight average on the same initial weights and draws, and
// prints each step's loss from both sides, the largest loss and gradient-norm differences, and how far the
// final weights and their average are from PyTorch's. tests/models/ddpm-pytorch.test.ts does the same for
// ten steps of a small U-Net.
//   python3 bench/reference/pytorch_ddpm.py --long && npx tsx bench/models/ddpm-replay.ts
import { existsSync, readFileSync } from 'node:fs';
import * as gg from '../../src/node.js';
import { NoiseSchedule, UNet, diffusionLossAt, type UNetConfig } from '../../src/models/diffusion/index.js';
import { Adam } from '../../src/optim/adam.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { rampedDecay, updateWeightAverage } from '../../src/train/weight-average.js';

type Fingerprint = { sum: number; sumOfSquares: number; first: number[] };
interface Replay {
  config: Omit<UNetConfig, 'kind'>;
  train: { batchSize: number; steps: number; lr: number; betas: [number, number]; eps: number; gradClip: number; emaDecay: number; diffusionSteps: number; betaStart: number; betaEnd: number };
  init: Record<string, [number, number]>;
  images: number[][];
  labels: number[][];
  t: number[][];
  noise: number[][];
  losses: number[];
  gradNorms: number[];
  final: Record<string, Fingerprint>;
  averageFinal: Record<string, Fingerprint>;
}

const path = new URL('../results/pytorch-ddpm-replay.json', import.meta.url).pathname;
if (!existsSync(path)) throw new Error(`bench/models/ddpm-replay: ${path} is missing; make it with: python3 bench/reference/pytorch_ddpm.py --long`);
const replay = JSON.parse(readFileSync(path, 'utf8')) as Replay;

/** The fixture script's integer hash, bit for bit. */
function hash32(x: number): number {
  x >>>= 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The fixture script's hashed_uniform: mean + (2u - 1) std sqrt(3), u from hash32(stream * 2^20 + i), rounded to f32 once. */
function hashedUniform(n: number, [mean, std]: [number, number], stream: number): Float32Array {
  const spread = std * Math.sqrt(3);
  return Float32Array.from({ length: n }, (_, i) => mean + (2 * ((hash32(stream * 2 ** 20 + i) + 0.5) / 2 ** 32) - 1) * spread);
}

/** The fixture script's fingerprint's sums, without the attention's key bias (its gradient is zero but for rounding). */
function sums(name: string, values: Float32Array): { sum: number; sumOfSquares: number; first: number[] } {
  const third = values.length / 3;
  const kept = name.endsWith('qkv.bias') ? Float32Array.from([...values.subarray(0, third), ...values.subarray(2 * third)]) : values;
  let [sum, sumOfSquares] = [0, 0];
  for (const v of kept) {
    sum += v;
    sumOfSquares += v * v;
  }
  return { sum, sumOfSquares, first: Array.from(kept.subarray(0, 4)) };
}

await gg.init();
const { config, train } = replay;
const model = new UNet(config);
const names = model.namedParameters().map(([name]) => name);
if (names.join() !== Object.keys(replay.init).join()) throw new Error('bench/models/ddpm-replay: the fixture names other parameters than UNet has; regenerate it');
gg.noGrad(() => {
  model.namedParameters().forEach(([name, weight], stream) => {
    const values = gg.tensor(hashedUniform(weight.size, replay.init[name], stream), weight.shape);
    weight.assign(values);
    values.dispose();
  });
});
const average = new UNet(config);
average.loadStateDict(model.stateDict());
const schedule = new NoiseSchedule({ steps: train.diffusionSteps, betaStart: train.betaStart, betaEnd: train.betaEnd });
const params = model.parameters();
const optimizer = new Adam(model.namedParameters(), { lr: train.lr, betas: train.betas, eps: train.eps });

const [B, C, S] = [train.batchSize, config.channels, config.size];
console.log(`replaying PyTorch's DDPM run: ${model.numParameters()} parameters (${C}x${S}x${S}, channels ${config.baseChannels} x [${config.channelMults.join(', ')}], ` +
  `${config.numClasses} classes), batch ${B}, ${train.steps} steps`);
console.log('step   t (per example)          gengpu loss   PyTorch loss   difference   grad norm rel. diff');
const started = performance.now();
let [worstLoss, worstLossStep, worstNorm, worstNormStep] = [0, 0, 0, 0];
for (let step = 0; step < train.steps; step++) {
  optimizer.zeroGrad();
  const [loss, norm] = gg.scope(() => {
    const x0 = gg.tensor(Float32Array.from(replay.images[step], (pixel) => pixel / 127.5 - 1), [B, C, S, S]);
    const t = gg.tensor(Int32Array.from(replay.t[step]), [B]);
    const noise = gg.tensor(Float32Array.from(replay.noise[step]), [B, C, S, S]);
    const labels = gg.tensor(Int32Array.from(replay.labels[step]), [B]);
    const l = diffusionLossAt(model, schedule, x0, t, noise, { labels });
    l.backward();
    return [l.detach(), clipGradNorm(params, train.gradClip)];
  });
  optimizer.step();
  updateWeightAverage(average.parameters(), params, () => rampedDecay(train.emaDecay, step + 1));
  const [ours, theirs] = [(await loss.data())[0], replay.losses[step]];
  const normDiff = (await norm.data())[0] / replay.gradNorms[step] - 1;
  loss.dispose();
  norm.dispose();
  if (Math.abs(ours - theirs) > worstLoss) [worstLoss, worstLossStep] = [Math.abs(ours - theirs), step];
  if (Math.abs(normDiff) > worstNorm) [worstNorm, worstNormStep] = [Math.abs(normDiff), step];
  console.log(`${String(step).padStart(4)}   ${replay.t[step].map((v) => String(v).padStart(3)).join(' ').padEnd(22)}   ${ours.toFixed(7)}     ${theirs.toFixed(7)}     ${(ours - theirs).toExponential(2).padStart(9)}    ${normDiff.toExponential(2).padStart(9)}`);
}
const seconds = (performance.now() - started) / 1000;

/** The largest difference of the first values, and of the sums scaled by 1/sqrt(n), over a module's weights. */
async function weightGap(module: UNet, expected: Record<string, Fingerprint>): Promise<{ first: number; sums: number }> {
  let [first, sumGap] = [0, 0];
  for (const [name, weight] of module.namedParameters()) {
    const actual = sums(name, (await weight.data()) as Float32Array);
    const e = expected[name];
    first = Math.max(first, ...actual.first.map((v, i) => Math.abs(v - e.first[i])));
    sumGap = Math.max(sumGap, Math.abs(actual.sum - e.sum) / Math.sqrt(weight.size), Math.abs(actual.sumOfSquares - e.sumOfSquares) / Math.sqrt(weight.size));
  }
  return { first, sums: sumGap };
}
const weights = await weightGap(model, replay.final);
const averaged = await weightGap(average, replay.averageFinal);
console.log(`\n${train.steps} steps in ${seconds.toFixed(0)} s (${((1000 * seconds) / train.steps).toFixed(0)} ms per step, ${gg.runtime().adapterInfo.description || gg.runtime().adapterInfo.vendor})`);
console.log(`largest loss difference:               ${worstLoss.toExponential(2)} (step ${worstLossStep})`);
console.log(`largest gradient norm rel. difference: ${worstNorm.toExponential(2)} (step ${worstNormStep})`);
console.log(`final weights, largest |first values difference|: ${weights.first.toExponential(2)}; |sum difference| / sqrt(n): ${weights.sums.toExponential(2)}`);
console.log(`weight average, the same:                          ${averaged.first.toExponential(2)}; ${averaged.sums.toExponential(2)}`);
optimizer.dispose();
schedule.dispose();
model.dispose();
average.dispose();
