// The mode-collapse laboratory: MLP GANs on the ring of 8 and the grid of 25 Gaussians, where mode
// collapse can be counted. At every logging step the generator draws a fixed set of latents and
// the record gets
//   modes        modes covered: at least 1% of the samples lie within 3 std of the mode's centre;
//   highQuality  the share of samples within 3 std of some centre;
// so a run shows when modes appear and disappear (a collapsing generator hops between a few modes)
// for each loss and stabilizer (spectral norm, label smoothing, two-timescale learning rates).

import { noGrad } from '../../autograd.js';
import { scope } from '../../tensor.js';
import { indexSelect } from '../../ops/indexing.js';
import { DEFAULT_SEED, Generator, randint, randn, type Seed } from '../../ops/random.js';
import { gridOfGaussians, modeCoverage, ringOfGaussians, type ToyDataset } from '../../data/toy2d.js';
import { MlpDiscriminator, MlpGenerator } from './model.js';
import type { GanLoss } from './losses.js';
import { GanTrainer, type DivergenceEvent, type GanLogRecord } from './trainer.js';

/** The lab's mixtures: the ring of 8 Gaussians or the 5 x 5 grid. */
export type LabDataset = 'ring' | 'grid';

/** One configuration of the lab: a loss and its stabilizers. */
export interface LabSetting {
  /** A label for reports. */
  name: string;
  /** The GAN objective. */
  loss: GanLoss;
  /** Spectral norm on every discriminator layer (default false). */
  spectralNorm?: boolean;
  /** One-sided label smoothing of the real targets (default 0). */
  labelSmoothing?: number;
  /** The generator's learning rate (default 1e-4). */
  generatorLr?: number;
  /** The discriminator's learning rate (default 1e-4). */
  discriminatorLr?: number;
  /** Adam's betas for both players (default GanTrainer's, [0.5, 0.999]). */
  betas?: [number, number];
  /** Discriminator updates per generator update (default 1). */
  discriminatorSteps?: number;
  /** Width of both networks' two hidden layers (default 128). */
  hiddenDim?: number;
}

/** Options of `modeCollapseLab`. */
export interface LabOptions {
  /** Which mixture to learn. */
  dataset: LabDataset;
  /** Training steps. */
  steps: number;
  /** Real and generated samples per batch (default 256). */
  batchSize?: number;
  /** Steps between records (default steps / 10). */
  logEvery?: number;
  /** Generated points each coverage count uses (default 2500). */
  samples?: number;
  /**
   * Seeds the one stream that draws, in this order, the weights, the latents the coverage is counted
   * on, and the real batches (default: the default generator's seed, DEFAULT_SEED). The trainer's
   * latent noise has a stream of its own (GanTrainer's seed 0); the mixture's points are fixed (seed 0).
   */
  seed?: Seed;
  /** The std of every mode (default: the mixture's own, 0.02 for the ring and 0.05 for the grid). */
  std?: number;
  /** Receives each record (default: silent). */
  onLog?: (record: LabRecord) => void;
}

/** One logging step of a lab run. */
export interface LabRecord {
  /** The step just finished. */
  step: number;
  /** Mean discriminator loss since the previous record. */
  discriminatorLoss: number;
  /** Mean generator loss since the previous record. */
  generatorLoss: number;
  /** Modes covered: at least 1% of the generated points within 3 std of the mode's center. */
  modes: number;
  /** Share of generated points within 3 std of some center. */
  highQuality: number;
  /** Divergence reported at this step. */
  divergence: DivergenceEvent[];
}

/** What `modeCollapseLab` returns for one setting. */
export interface LabResult {
  /** The setting that was trained. */
  setting: LabSetting;
  /** The mixture it was trained on. */
  dataset: LabDataset;
  /** The mixture's number of modes (8 or 25). */
  totalModes: number;
  /** Every record, in order. */
  records: LabRecord[];
  /** Modes the last record covered. */
  finalModes: number;
  /** The last record's high-quality share. */
  finalHighQuality: number;
  /** The most modes any record covered. */
  bestModes: number;
  /** The generated points [samples, 2] (row-major) of the last record. */
  samples: Float32Array;
  /** Mean wall time per training step (coverage counting excluded). */
  msPerStep: number;
  /** Every divergence event of the run. */
  divergence: DivergenceEvent[];
}

/** The lab's mixtures: the ring (radius 2, std 0.02) and the 5 x 5 grid (spacing 2, std 0.05), or another std. */
export function labMixture(dataset: LabDataset, n: number, seed: number, std?: number): ToyDataset {
  if (dataset === 'ring') return ringOfGaussians(n, { seed, std });
  if (dataset === 'grid') return gridOfGaussians(n, { seed, std });
  throw new Error(`modeCollapseLab: dataset must be 'ring' or 'grid', got '${String(dataset)}'`);
}

/** Trains one setting and counts modes at every logging step. */
export async function modeCollapseLab(setting: LabSetting, options: LabOptions): Promise<LabResult> {
  const { dataset, steps, batchSize = 256, samples = 2500, seed = DEFAULT_SEED, std } = options;
  const logEvery = options.logEvery ?? Math.max(1, Math.round(steps / 10));
  const mixture = labMixture(dataset, 20000, 0, std);
  const hiddenDim = setting.hiddenDim ?? 128;
  const stream = new Generator(seed);
  const generator = new MlpGenerator({ hiddenDim, generator: stream });
  const discriminator = new MlpDiscriminator({ hiddenDim, spectralNorm: setting.spectralNorm ?? false, generator: stream });
  const trainer = new GanTrainer(generator, discriminator, {
    loss: setting.loss,
    labelSmoothing: setting.labelSmoothing,
    generatorLr: setting.generatorLr ?? 1e-4,
    discriminatorLr: setting.discriminatorLr ?? 1e-4,
    betas: setting.betas,
    discriminatorSteps: setting.discriminatorSteps,
  });
  const points = mixture.toTensor();
  const fixedLatents = randn([samples, generator.latentDim], { generator: stream });
  const minCount = Math.ceil(0.01 * samples);
  let lastSamples = new Float32Array(0);
  const coverage = async () => {
    const generated = noGrad(() => scope(() => generator.forward(fixedLatents)));
    try {
      lastSamples = Float32Array.from(await generated.data());
      const counted = modeCoverage(lastSamples, mixture, { minCount });
      return { modes: counted.covered, highQuality: counted.highQualityFraction };
    } finally {
      generated.dispose();
    }
  };
  try {
    const history = await trainer.fit({
      steps,
      logEvery,
      realBatch: () => scope(() => indexSelect(points, 0, randint(0, mixture.length, [batchSize], { generator: stream }))),
      evaluate: coverage,
      // The losses are still checked every step, which names the step a NaN reaches them; checking
      // every parameter too would add two dispatches per tensor to these small, dispatch-bound steps.
      watchParameters: false,
      onLog: (record: GanLogRecord) => options.onLog?.(toLabRecord(record)),
    });
    const records = history.records.map(toLabRecord);
    const last = records[records.length - 1];
    return {
      setting,
      dataset,
      totalModes: mixture.modes,
      records,
      finalModes: last?.modes ?? 0,
      finalHighQuality: last?.highQuality ?? 0,
      bestModes: Math.max(0, ...records.map((r) => r.modes)),
      samples: lastSamples,
      msPerStep: history.msPerStep,
      divergence: history.divergence,
    };
  } finally {
    points.dispose();
    fixedLatents.dispose();
    trainer.dispose();
    generator.dispose();
    discriminator.dispose();
  }
}

function toLabRecord(record: GanLogRecord): LabRecord {
  return {
    step: record.step,
    discriminatorLoss: record.discriminatorLoss,
    generatorLoss: record.generatorLoss,
    modes: record.metrics.modes ?? 0,
    highQuality: record.metrics.highQuality ?? 0,
    divergence: record.divergence,
  };
}

/** A one-line summary: name, final and best modes, high-quality share, ms per step, divergence. */
export function formatLabResult(result: LabResult): string {
  const warned = result.divergence.length ? `  divergence: ${result.divergence.map((d) => `${d.kind}@${d.step}`).join(', ')}` : '';
  return (
    `${result.setting.name.padEnd(28)} ${result.dataset}: modes ${result.finalModes}/${result.totalModes} (best ${result.bestModes})  ` +
    `high quality ${(100 * result.finalHighQuality).toFixed(1)}%  ${result.msPerStep.toFixed(1)} ms/step${warned}`
  );
}
