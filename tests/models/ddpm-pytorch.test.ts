// The diffusion U-Net trained side by side with PyTorch: bench/reference/pytorch_ddpm.py restates
// UNet and DiffusionTrainer's recipe (linear schedule, epsilon prediction, MSE, Adam, clipping at 1,
// ramped weight average) and ran it on a small conditional U-Net (8x8 images, two levels, attention
// in the middle, label dropout) from initial weights given by an integer hash, recording its draws
// (images, labels, steps t over the whole range 0..999, noise), each step's loss and gradient norm,
// and fingerprints of the final weights and of their average. gengpu replays the same steps with its
// own kernels, autodiff and optimizer, passing the draws to diffusionLossAt.
// Everything runs on the engine's kernels (timestep embedding, convolutions, GroupNorm, attention,
// upsampling, concat, loss, autodiff, clipping, Adam, the average). The embedding's sin and cos are the
// engine's own range-reduced polynomials (shaders/include/unary_ops.wgsl), float32-accurate up to
// arguments of about 1e4: WGSL's built-ins erred by 2e-4 on a software adapter, and Adam's first steps,
// dividing each gradient by its own magnitude, turned that into loss gaps of about 1e-4. Losses are
// held to 1e-6, gradient norms to 2e-6 relative and weights to 1e-6 (sums to 1e-6 sqrt(n), as rounding
// errors add up): a few float32 ulps, about eight times the gaps seen with and without fusion.
// bench/models/ddpm-replay.ts replays a longer 28x28 run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { NoiseSchedule, UNet, diffusionLossAt, type UNetConfig } from '../../src/models/diffusion/index.js';
import { Adam } from '../../src/optim/adam.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { rampedDecay, updateWeightAverage } from '../../src/train/weight-average.js';
import { expectClose } from '../helpers/check.js';

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

const replay = JSON.parse(readFileSync(new URL('../fixtures/pytorch-ddpm-replay.json', import.meta.url), 'utf8')) as Replay;

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

/** The fixture script's fingerprint: sum, sum of squares and first values, without the attention's key bias (see there). */
function fingerprint(name: string, values: Float32Array): Fingerprint {
  const third = values.length / 3;
  const kept = name.endsWith('qkv.bias') ? Float32Array.from([...values.subarray(0, third), ...values.subarray(2 * third)]) : values;
  let [sum, sumOfSquares] = [0, 0];
  for (const v of kept) {
    sum += v;
    sumOfSquares += v * v;
  }
  return { sum, sumOfSquares, first: Array.from(kept.subarray(0, 4)) };
}

/** Checks each weight's fingerprint against PyTorch's: first values to atol, sums to atol sqrt(n) (rounding errors add up as a random walk). */
async function expectWeights(module: UNet, expected: Record<string, Fingerprint>, atol: number, what: string): Promise<void> {
  for (const [name, weight] of module.namedParameters()) {
    const actual = fingerprint(name, (await weight.data()) as Float32Array);
    expectClose([actual.sum, actual.sumOfSquares], [expected[name].sum, expected[name].sumOfSquares], atol * Math.sqrt(weight.size), 0, `${what} ${name}: sum and sum of squares`);
    expectClose(actual.first, expected[name].first, atol, 0, `${what} ${name}: first values`);
  }
}

/** The steps gengpu trains with, by the fixture's draws: a fresh model from the hashed weights, Adam, and its weight average. */
async function replaySteps(steps: number): Promise<{ losses: number[]; gradNorms: number[]; model: UNet; average: UNet }> {
  const { config, train } = replay;
  const model = new UNet(config);
  expect(model.namedParameters().map(([name]) => name)).toEqual(Object.keys(replay.init));
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
  const losses: number[] = [];
  const gradNorms: number[] = [];
  for (let step = 0; step < steps; step++) {
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
    losses.push((await loss.data())[0]);
    gradNorms.push((await norm.data())[0]);
    loss.dispose();
    norm.dispose();
  }
  optimizer.dispose();
  schedule.dispose();
  return { losses, gradNorms, model, average };
}

describe('DDPM U-Net against PyTorch', () => {
  it('replays PyTorch training steps: the same losses, gradient norms, final weights and weight average', async () => {
    const baseline = gg.runtime().memory().liveBuffers;
    const { losses, gradNorms, model, average } = await replaySteps(replay.train.steps);
    expectClose(losses, replay.losses, 1e-6, 0, 'loss per step');
    expectClose(gradNorms, replay.gradNorms, 0, 2e-6, 'gradient norm per step');
    await expectWeights(model, replay.final, 1e-6, 'weight');
    await expectWeights(average, replay.averageFinal, 1e-6, 'average');
    model.dispose();
    average.dispose();
    expect(gg.runtime().memory().liveBuffers, 'live buffers after the replay').toBe(baseline);
  });
});
