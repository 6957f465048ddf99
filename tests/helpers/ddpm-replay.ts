// A diffusion U-Net's training run recorded by PyTorch (bench/reference/pytorch_ddpm.py), replayed by
// gengpu: the fixture's layout, its integer-hash initial weights and weight fingerprints (the script's
// functions, bit for bit), and the replay itself: the fixture's images, labels, steps t and noise
// through diffusionLossAt, clipGradNorm, Adam and the weight average. tests/models/ddpm-pytorch.test.ts
// checks a short run in CI; bench/models/ddpm-replay.ts a long one.
import * as gg from '../../src/index.js';
import { NoiseSchedule, UNet, diffusionLossAt, type UNetConfig } from '../../src/models/diffusion/index.js';
import { Adam } from '../../src/optim/adam.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { rampedDecay, updateWeightAverage } from '../../src/train/weight-average.js';

/** A weight's sum, sum of squares and first values. */
export type Fingerprint = { sum: number; sumOfSquares: number; first: number[] };

/** What pytorch_ddpm.py writes. */
export interface DdpmReplay {
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

/**
 * The fixture script's fingerprint, without the attention's key bias: softmax ignores it, so its gradient is zero but
 * for rounding, which Adam turns into random-sign steps on either side.
 */
export function fingerprint(name: string, values: Float32Array): Fingerprint {
  const third = values.length / 3;
  const kept = name.endsWith('qkv.bias') ? Float32Array.from([...values.subarray(0, third), ...values.subarray(2 * third)]) : values;
  let [sum, sumOfSquares] = [0, 0];
  for (const v of kept) {
    sum += v;
    sumOfSquares += v * v;
  }
  return { sum, sumOfSquares, first: Array.from(kept.subarray(0, 4)) };
}

/** One replayed step's loss and gradient norm (before clipping). */
export interface ReplayedStep {
  loss: number;
  gradNorm: number;
}

/**
 * Trains a fresh U-Net from the hashed weights on the fixture's draws for `steps` steps; `onStep` sees each. Returns
 * the trained model and its weight average (the caller disposes them). Throws if the fixture names other parameters.
 */
export async function replayDdpm(replay: DdpmReplay, steps: number, onStep?: (step: number, result: ReplayedStep) => void): Promise<{ model: UNet; average: UNet }> {
  const { config, train } = replay;
  const model = new UNet(config);
  const names = model.namedParameters().map(([name]) => name);
  if (names.join() !== Object.keys(replay.init).join()) throw new Error('replayDdpm: the fixture names other parameters than UNet has; regenerate it');
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
    onStep?.(step, { loss: await loss.item(), gradNorm: await norm.item() });
    loss.dispose();
    norm.dispose();
  }
  optimizer.dispose();
  schedule.dispose();
  return { model, average };
}
