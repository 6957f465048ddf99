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
import type { UNet } from '../../src/models/diffusion/index.js';
import { expectClose } from '../helpers/check.js';
import { fingerprint, replayDdpm, type DdpmReplay, type Fingerprint } from '../helpers/ddpm-replay.js';

const replay = JSON.parse(readFileSync(new URL('../fixtures/pytorch-ddpm-replay.json', import.meta.url), 'utf8')) as DdpmReplay;

/** Checks each weight's fingerprint against PyTorch's: first values to atol, sums to atol sqrt(n) (rounding errors add up as a random walk). */
async function expectWeights(module: UNet, expected: Record<string, Fingerprint>, atol: number, what: string): Promise<void> {
  for (const [name, weight] of module.namedParameters()) {
    const actual = fingerprint(name, (await weight.data()) as Float32Array);
    expectClose([actual.sum, actual.sumOfSquares], [expected[name].sum, expected[name].sumOfSquares], atol * Math.sqrt(weight.size), 0, `${what} ${name}: sum and sum of squares`);
    expectClose(actual.first, expected[name].first, atol, 0, `${what} ${name}: first values`);
  }
}

describe('DDPM U-Net against PyTorch', () => {
  it('replays PyTorch training steps: the same losses, gradient norms, final weights and weight average', async () => {
    const baseline = gg.runtime().memory().liveBuffers;
    const [losses, gradNorms]: number[][] = [[], []];
    const { model, average } = await replayDdpm(replay, replay.train.steps, (_, { loss, gradNorm }) => {
      losses.push(loss);
      gradNorms.push(gradNorm);
    });
    expectClose(losses, replay.losses, 1e-6, 0, 'loss per step');
    expectClose(gradNorms, replay.gradNorms, 0, 2e-6, 'gradient norm per step');
    await expectWeights(model, replay.final, 1e-6, 'weight');
    await expectWeights(average, replay.averageFinal, 1e-6, 'average');
    model.dispose();
    average.dispose();
    expect(gg.runtime().memory().liveBuffers, 'live buffers after the replay').toBe(baseline);
  });
});
