// Training a GAN: the five losses, WGAN-GP's gradient penalty, a watch that reports divergence while
// training runs, and GanTrainer (Adam with DCGAN's betas (0.5, 0.999), separate learning rates for
// the two players (two-timescale update rule), one-sided label smoothing, n discriminator steps per
// generator step, progress lines with D and G losses and ms per step).
//
// Losses, for discriminator logits r = D(x) on real and f = D(G(z)) on generated samples, each a
// mean over the batch (s = the one-sided label smoothing; real targets become 1 - s, fakes stay 0):
//   nonSaturating  D: BCE(r, 1 - s) + BCE(f, 0)              G: BCE(f, 1) = softplus(-f)
//   minimax        D: as nonSaturating                        G: -BCE(f, 0) = -softplus(f)   (Goodfellow's log(1 - D))
//   hinge          D: relu(1 - r) + relu(1 + f)               G: -f
//   leastSquares   D: ((r - (1 - s))^2 + f^2) / 2             G: (f - 1)^2 / 2              (LSGAN, a = 0, b = c = 1)
//   wganGp         D: f - r + λ (|∇x̂ D(x̂)| - 1)^2            G: -f
// with x̂ = α x + (1 - α) G(z), α ~ U(0, 1) per sample. The penalty differentiates D's gradient:
// the engine's backward rules are tensor ops, so grad(..., {createGraph: true}) records the backward
// pass as a graph of its own, and the penalty's backward runs through it exactly (tests/ops/conv.test.ts
// and tests/models/gan.test.ts check it against finite differences of a float64 reference).

import { grad, noGrad } from '../autograd.js';
import { formatShape, Tensor, scope } from '../tensor.js';
import { fullLike, zeros } from '../ops/creation.js';
import { concat } from '../ops/indexing.js';
import { softplus, relu } from '../ops/elementwise.js';
import { rand, randn, Generator } from '../ops/random.js';
import { binaryCrossEntropyWithLogits } from '../nn/losses.js';
import { composite } from '../nn/common.js';
import { BatchNorm } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { FiniteWatch, formatDuration } from '../train.js';
import type { GanDiscriminator, GanGenerator } from './gan-model.js';

/**
 * The five GAN objectives: non-saturating and minimax BCE (Goodfellow et al.), hinge, least squares (LSGAN) and
 * WGAN-GP.
 */
export type GanLoss = 'nonSaturating' | 'minimax' | 'hinge' | 'leastSquares' | 'wganGp';

/** Every {@link GanLoss}, in a fixed order (for menus and validation). */
export const GAN_LOSSES: readonly GanLoss[] = ['nonSaturating', 'minimax', 'hinge', 'leastSquares', 'wganGp'];

/** The losses with real targets, which one-sided label smoothing moves. */
export const SMOOTHABLE_LOSSES: readonly GanLoss[] = ['nonSaturating', 'minimax', 'leastSquares'];

function checkLoss(owner: string, loss: GanLoss): void {
  if (!GAN_LOSSES.includes(loss)) throw new Error(`${owner}: loss must be one of ${GAN_LOSSES.join(', ')}, got '${String(loss)}'`);
}

function checkLogits(owner: string, logits: Tensor[]): void {
  for (const t of logits) {
    t.assertAlive(owner);
    if (t.dtype !== 'f32' || t.rank !== 1) throw new Error(`${owner}: expected f32 logits [N], got ${formatShape(t.shape)} ${t.dtype}`);
  }
}

function checkSmoothing(owner: string, loss: GanLoss, labelSmoothing: number): void {
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new Error(`${owner}: labelSmoothing must be in [0, 1), got ${labelSmoothing}`);
  if (labelSmoothing > 0 && !SMOOTHABLE_LOSSES.includes(loss)) {
    throw new Error(`${owner}: labelSmoothing applies to the ${SMOOTHABLE_LOSSES.join(', ')} losses, not '${loss}'`);
  }
}

/** Options of `discriminatorLoss`. */
export interface DiscriminatorLossOptions {
  /** One-sided label smoothing: real samples get target 1 - s (default 0; Salimans et al. use 0.1). */
  labelSmoothing?: number;
}

/** The discriminator's loss (to minimise) from its logits on real [N] and generated [M] samples; without WGAN-GP's penalty. */
export function discriminatorLoss(loss: GanLoss, realLogits: Tensor, fakeLogits: Tensor, options: DiscriminatorLossOptions = {}): Tensor {
  const owner = 'discriminatorLoss';
  const { labelSmoothing = 0 } = options;
  checkLoss(owner, loss);
  checkLogits(owner, [realLogits, fakeLogits]);
  checkSmoothing(owner, loss, labelSmoothing);
  const realTarget = 1 - labelSmoothing;
  // In a scope of its own unless a graph is recorded (see composite): no intermediates outlive it then.
  return composite([realLogits, fakeLogits], () => {
    switch (loss) {
      case 'nonSaturating':
      case 'minimax': {
        const real = binaryCrossEntropyWithLogits(realLogits, fullLike(realLogits, realTarget));
        return real.add(softplus(fakeLogits).mean());
      }
      case 'hinge':
        return relu(realLogits.neg().add(1)).mean().add(relu(fakeLogits.add(1)).mean());
      case 'leastSquares':
        return realLogits.sub(realTarget).square().mean().add(fakeLogits.square().mean()).mul(0.5);
      case 'wganGp':
        return fakeLogits.mean().sub(realLogits.mean());
    }
  });
}

/** The generator's loss (to minimise) from the discriminator's logits on generated samples [M]. */
export function generatorLoss(loss: GanLoss, fakeLogits: Tensor): Tensor {
  const owner = 'generatorLoss';
  checkLoss(owner, loss);
  checkLogits(owner, [fakeLogits]);
  return composite([fakeLogits], () => {
    switch (loss) {
      case 'nonSaturating':
        return softplus(fakeLogits.neg()).mean();
      case 'minimax':
        return softplus(fakeLogits).mean().neg();
      case 'hinge':
      case 'wganGp':
        return fakeLogits.mean().neg();
      case 'leastSquares':
        return fakeLogits.sub(1).square().mean().mul(0.5);
    }
  });
}

/** Options of `gradientPenalty`. */
export interface GradientPenaltyOptions {
  /** The interpolation weights, one per sample ([N]; default: drawn from U(0, 1)). */
  alpha?: Tensor;
  /** The stream α is drawn from (default: the default generator). */
  generator?: Generator;
}

/**
 * WGAN-GP's penalty (Gulrajani et al., 2017): mean over the batch of (|∇x̂ D(x̂)|₂ - 1)² at
 * x̂ = α real + (1 - α) fake (fake is detached). Its graph runs through D's backward pass, so its
 * backward reaches D's parameters with the exact second-order terms.
 */
export function gradientPenalty(discriminator: (x: Tensor) => Tensor, real: Tensor, fake: Tensor, options: GradientPenaltyOptions = {}): Tensor {
  const owner = 'gradientPenalty';
  for (const t of [real, fake]) t.assertAlive(owner);
  if (real.dtype !== 'f32' || fake.dtype !== 'f32' || formatShape(real.shape) !== formatShape(fake.shape) || real.rank < 1) {
    throw new Error(`${owner}: real and fake must be f32 batches of one shape, got ${formatShape(real.shape)} ${real.dtype} and ${formatShape(fake.shape)} ${fake.dtype}`);
  }
  const n = real.shape[0];
  if (options.alpha) {
    options.alpha.assertAlive(owner);
    if (options.alpha.dtype !== 'f32' || formatShape(options.alpha.shape) !== formatShape([n])) {
      throw new Error(`${owner}: alpha must be f32 [${n}], got ${formatShape(options.alpha.shape)} ${options.alpha.dtype}`);
    }
  }
  const broadcastShape = [n, ...real.shape.slice(1).map(() => 1)];
  const interpolates = noGrad(() => {
    const alpha = (options.alpha ?? rand([n], { generator: options.generator })).reshape(broadcastShape);
    return fake.add(real.sub(fake).mul(alpha));
  }).requiresGrad_();
  const [slopes] = grad(discriminator(interpolates).sum(), [interpolates], undefined, { createGraph: true });
  // x̂ was a variable only for the inner gradient: the penalty's own backward needs none for it, and
  // without requiresGrad the enclosing scope frees it like any intermediate.
  interpolates.requiresGrad_(false);
  const norms = slopes.reshape([n, slopes.size / n]).square().sum(1).add(1e-12).sqrt();
  return norms.sub(1).square().mean();
}

// ---- divergence ----------------------------------------------------------------------------------

/** How GAN training is going wrong: the discriminator winning outright, a loss exploding, or NaN/Inf. */
export type DivergenceKind = 'discriminator-loss-pinned' | 'generator-loss-exploding' | 'discriminator-loss-exploding' | 'non-finite';

/** One divergence report. */
export interface DivergenceEvent {
  /** The step at which the condition was first seen. */
  step: number;
  /** What went wrong. */
  kind: DivergenceKind;
  /** A readable description with the numbers involved. */
  message: string;
}

/** Options of {@link DivergenceWatch}. */
export interface DivergenceWatchOptions {
  /** One-sided label smoothing in use (raises the least discriminator loss of the BCE losses). */
  labelSmoothing?: number;
  /** The discriminator loss counts as pinned within this distance of its least possible value (default 0.05). */
  pinnedTolerance?: number;
  /** Consecutive pinned observations before reporting (default 3). */
  patience?: number;
  /** A loss explodes when |loss| exceeds this factor times max(1, |its first observed value|) (default 20). */
  explosionFactor?: number;
}

/** Binary entropy in nats: the least BCE against target t. */
function binaryEntropy(t: number): number {
  return t <= 0 || t >= 1 ? 0 : -(t * Math.log(t) + (1 - t) * Math.log(1 - t));
}

/**
 * Reads the averaged losses at each logging step and reports the usual ways GAN training fails: the
 * discriminator's loss pinned at its minimum (it separates real from fake perfectly and the
 * generator's gradient vanishes or saturates; not checked for WGAN-GP, whose critic loss has no
 * minimum), a loss exploding, and NaN/Inf. Each kind is reported once until it recovers.
 */
export class DivergenceWatch {
  /** The loss being trained with (sets what "pinned" means). */
  readonly loss: GanLoss;
  /**
   * The discriminator loss's least possible value (the binary entropy of the real target for the BCE losses, 0 for
   * hinge and least squares); null for WGAN-GP, whose critic loss has none.
   */
  readonly leastDiscriminatorLoss: number | null;
  private readonly tolerance: number;
  private readonly patience: number;
  private readonly factor: number;
  private pinnedRun = 0;
  private firstLosses: [number, number] | null = null;
  private readonly active = new Set<DivergenceKind>();

  constructor(loss: GanLoss, options: DivergenceWatchOptions = {}) {
    this.loss = loss;
    checkLoss('DivergenceWatch', loss);
    const { labelSmoothing = 0, pinnedTolerance = 0.05, patience = 3, explosionFactor = 20 } = options;
    this.tolerance = pinnedTolerance;
    this.patience = patience;
    this.factor = explosionFactor;
    this.leastDiscriminatorLoss = loss === 'wganGp' ? null : loss === 'nonSaturating' || loss === 'minimax' ? binaryEntropy(1 - labelSmoothing) : 0;
  }

  /** The events that start at this observation (none while a reported condition persists). */
  observe(step: number, discriminatorLoss: number, generatorLoss: number): DivergenceEvent[] {
    const events: DivergenceEvent[] = [];
    const report = (kind: DivergenceKind, holds: boolean, message: string) => {
      if (holds && !this.active.has(kind)) events.push({ step, kind, message: `step ${step}: ${message}` });
      if (holds) this.active.add(kind);
      else this.active.delete(kind);
    };
    if (!Number.isFinite(discriminatorLoss) || !Number.isFinite(generatorLoss)) {
      report('non-finite', true, `a loss became NaN or Inf (D ${discriminatorLoss}, G ${generatorLoss})`);
      return events;
    }
    this.firstLosses ??= [discriminatorLoss, generatorLoss];
    const [firstD, firstG] = this.firstLosses;
    if (this.leastDiscriminatorLoss !== null) {
      const pinned = discriminatorLoss - this.leastDiscriminatorLoss < this.tolerance;
      this.pinnedRun = pinned ? this.pinnedRun + 1 : 0;
      report(
        'discriminator-loss-pinned',
        this.pinnedRun >= this.patience,
        `the discriminator loss has stayed at its minimum ${this.leastDiscriminatorLoss.toFixed(4)} (now ${discriminatorLoss.toFixed(4)}) for ${this.pinnedRun} logs: it wins outright`,
      );
    } else {
      const limit = this.factor * Math.max(1, Math.abs(firstD));
      report('discriminator-loss-exploding', Math.abs(discriminatorLoss) > limit, `the critic loss ${discriminatorLoss.toFixed(3)} is past ${limit.toFixed(1)}`);
    }
    const limit = this.factor * Math.max(1, Math.abs(firstG));
    report('generator-loss-exploding', Math.abs(generatorLoss) > limit, `the generator loss ${generatorLoss.toFixed(3)} is past ${limit.toFixed(1)}`);
    return events;
  }
}

// ---- the trainer ---------------------------------------------------------------------------------

/** Options of {@link GanTrainer}. */
export interface GanTrainerOptions {
  /** The objective (default 'nonSaturating'). */
  loss?: GanLoss;
  /** The generator's learning rate (default 2e-4). */
  generatorLr?: number;
  /** The discriminator's learning rate (default 2e-4; two-timescale training sets it higher, e.g. 4e-4 with 1e-4). */
  discriminatorLr?: number;
  /** Adam's betas for both players (default [0.5, 0.999], DCGAN's). */
  betas?: [number, number];
  /** One-sided label smoothing of the real targets (default 0). */
  labelSmoothing?: number;
  /** λ of WGAN-GP's penalty (default 10). */
  penaltyWeight?: number;
  /** Discriminator updates per generator update (default 1; WGAN-GP uses 5). */
  discriminatorSteps?: number;
  /** Seed of the latent noise and of the penalty's α (default 0). */
  seed?: number;
}

/** The losses of one training step (scalar tensors owned by the step's scope). */
export interface GanStepLosses {
  /** The last discriminator update's loss (with the penalty for WGAN-GP), a scalar. */
  discriminator: Tensor;
  /** The generator update's loss, a scalar. */
  generator: Tensor;
}

/** One progress record of `GanTrainer.fit`. */
export interface GanLogRecord {
  /** The step just finished (counted from 1). */
  step: number;
  /** Means over the steps since the previous record. */
  discriminatorLoss: number;
  /** Mean generator loss over the same steps. */
  generatorLoss: number;
  /** Wall time per training step since the previous record (GPU work included; evaluation excluded). */
  msPerStep: number;
  /** Training wall time so far, in seconds (evaluation excluded). */
  elapsedSeconds: number;
  /** What `evaluate` returned at this step (e.g. modes covered). */
  metrics: Record<string, number>;
  /** Divergence that started at this step. */
  divergence: DivergenceEvent[];
}

/** Options of `GanTrainer.fit`. */
export interface GanFitOptions {
  /** Training steps to run (a positive integer). */
  steps: number;
  /** A batch of real samples for discriminator update `update` (counts from 1), made inside the step's scope. */
  realBatch: (update: number) => Tensor;
  /** Steps between records (default: about 20 per run). */
  logEvery?: number;
  /** Extra numbers for each record (e.g. mode coverage or a Fréchet distance), computed outside the timing. */
  evaluate?: (step: number) => Promise<Record<string, number>> | Record<string, number>;
  /** Receives each record; the default prints formatGanProgress. */
  onLog?: (record: GanLogRecord, totalSteps: number) => void;
  /** Check both networks' parameters and gradients for NaN/Inf every step, not only the losses (default true). */
  watchParameters?: boolean;
  /** Stop at the first divergence report instead of only reporting it (default false; NaN/Inf always stops). */
  stopOnDivergence?: boolean;
  /** Thresholds of the divergence watch (its label smoothing comes from the trainer). */
  divergence?: Omit<DivergenceWatchOptions, 'labelSmoothing'>;
}

/** What `GanTrainer.fit` returns. */
export interface GanHistory {
  /** Every progress record, in order. */
  records: GanLogRecord[];
  /** Every divergence event of the run, in order. */
  divergence: DivergenceEvent[];
  /** The step training stopped at early (NaN/Inf, or divergence with stopOnDivergence), else null. */
  stoppedAt: number | null;
  /** Mean wall time per step over the run (evaluation excluded). */
  msPerStep: number;
  /** Steps actually run. */
  steps: number;
}

/**
 * The default progress line: step/total, D and G losses, ms per step, the metrics, ETA, and a warning line per
 * divergence event.
 */
export function formatGanProgress(record: GanLogRecord, totalSteps: number): string {
  const width = String(totalSteps).length;
  const metrics = Object.entries(record.metrics).map(([name, value]) => `  ${name} ${Number.isInteger(value) ? value : value.toFixed(3)}`).join('');
  const eta = (record.msPerStep * (totalSteps - record.step)) / 1000;
  const warnings = record.divergence.map((event) => `\n  ! ${event.message}`).join('');
  return (
    `step ${String(record.step).padStart(width)}/${totalSteps}  D ${record.discriminatorLoss.toFixed(4)}  G ${record.generatorLoss.toFixed(4)}  ` +
    `${record.msPerStep.toFixed(1)} ms/step${metrics}  ETA ${formatDuration(eta)}${warnings}`
  );
}

function checkRate(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`GanTrainer: ${name} must be a finite number > 0, got ${value}`);
}

/**
 * Trains a generator against a discriminator. Each step makes `discriminatorSteps` discriminator
 * updates (each on a fresh real batch and a detached generated batch of the same size) and one
 * generator update (on a fresh latent batch; the discriminator's parameters take no gradient there).
 */
export class GanTrainer {
  /** The generator being trained (owned by the caller). */
  readonly generator: GanGenerator;
  /** The discriminator being trained (owned by the caller). */
  readonly discriminator: GanDiscriminator;
  /** The objective. */
  readonly loss: GanLoss;
  /** One-sided label smoothing of the real targets. */
  readonly labelSmoothing: number;
  /** λ of WGAN-GP's gradient penalty. */
  readonly penaltyWeight: number;
  /** Discriminator updates per generator update. */
  readonly discriminatorSteps: number;
  /** Adam over the generator's parameters. */
  readonly generatorOptimizer: Adam;
  /** Adam over the discriminator's parameters. */
  readonly discriminatorOptimizer: Adam;
  /** The stream of latent noise and of the penalty's α. */
  readonly noise: Generator;
  private updates = 0;

  constructor(generator: GanGenerator, discriminator: GanDiscriminator, options: GanTrainerOptions = {}) {
    this.generator = generator;
    this.discriminator = discriminator;
    const {
      loss = 'nonSaturating',
      generatorLr = 2e-4,
      discriminatorLr = 2e-4,
      betas = [0.5, 0.999],
      labelSmoothing = 0,
      penaltyWeight = 10,
      discriminatorSteps = 1,
      seed = 0,
    } = options;
    checkLoss('GanTrainer', loss);
    checkSmoothing('GanTrainer', loss, labelSmoothing);
    checkRate('generatorLr', generatorLr);
    checkRate('discriminatorLr', discriminatorLr);
    if (!(penaltyWeight >= 0) || !Number.isFinite(penaltyWeight)) throw new Error(`GanTrainer: penaltyWeight must be a finite number >= 0, got ${penaltyWeight}`);
    if (!Number.isInteger(discriminatorSteps) || discriminatorSteps < 1) throw new Error(`GanTrainer: discriminatorSteps must be a positive integer, got ${discriminatorSteps}`);
    if (loss === 'wganGp') {
      const norm = discriminator.namedModules().find(([, m]) => m instanceof BatchNorm);
      if (norm) {
        throw new Error(`GanTrainer: WGAN-GP penalises each sample's gradient, which BatchNorm couples across the batch; the discriminator has ${norm[1].constructor.name} at '${norm[0]}' (use batchNorm: false)`);
      }
    }
    this.loss = loss;
    this.labelSmoothing = labelSmoothing;
    this.penaltyWeight = penaltyWeight;
    this.discriminatorSteps = discriminatorSteps;
    const named = (prefix: string, module: Module) => module.namedParameters().map(([name, t]) => [`${prefix}.${name}`, t] as const);
    this.generatorOptimizer = new Adam(named('generator', generator), { lr: generatorLr, betas });
    this.discriminatorOptimizer = new Adam(named('discriminator', discriminator), { lr: discriminatorLr, betas });
    this.noise = new Generator(seed);
  }

  private latents(n: number): Tensor {
    return randn([n, this.generator.latentDim], { generator: this.noise });
  }

  /** One discriminator update on `real`; returns its loss. */
  discriminatorStep(real: Tensor): Tensor {
    const d = this.discriminator;
    const n = real.shape[0];
    const fake = noGrad(() => this.generator.forward(this.latents(n)));
    this.discriminatorOptimizer.zeroGrad();
    let loss = discriminatorLoss(this.loss, d.forward(real), d.forward(fake), { labelSmoothing: this.labelSmoothing });
    if (this.loss === 'wganGp' && this.penaltyWeight > 0) {
      loss = loss.add(gradientPenalty((x) => d.forward(x), real, fake, { generator: this.noise }).mul(this.penaltyWeight));
    }
    loss.backward();
    this.discriminatorOptimizer.step();
    return loss;
  }

  /** One generator update on a batch of n latents; returns its loss. */
  generatorStep(n: number): Tensor {
    const params = this.discriminator.parameters();
    for (const p of params) p.requiresGrad_(false);
    try {
      this.generatorOptimizer.zeroGrad();
      const loss = generatorLoss(this.loss, this.discriminator.forward(this.generator.forward(this.latents(n))));
      loss.backward();
      this.generatorOptimizer.step();
      return loss;
    } finally {
      for (const p of params) p.requiresGrad_(true);
    }
  }

  /** One training step (call inside a scope): discriminatorSteps updates of D, then one of G. */
  step(realBatch: (update: number) => Tensor): GanStepLosses {
    let d: Tensor | null = null;
    let n = 0;
    for (let k = 0; k < this.discriminatorSteps; k++) {
      const real = realBatch(++this.updates);
      n = real.shape[0];
      d = this.discriminatorStep(real);
    }
    return { discriminator: d!, generator: this.generatorStep(n) };
  }

  /** Frees both optimizers' state (the networks belong to the caller). */
  dispose(): void {
    this.generatorOptimizer.dispose();
    this.discriminatorOptimizer.dispose();
  }

  /** Trains for `steps` steps, logging, evaluating and watching for divergence. */
  async fit(options: GanFitOptions): Promise<GanHistory> {
    const { steps, watchParameters = true, stopOnDivergence = false } = options;
    if (!Number.isInteger(steps) || steps < 1) throw new Error(`GanTrainer.fit: steps must be a positive integer, got ${steps}`);
    const logEvery = options.logEvery ?? Math.max(1, Math.round(steps / 20));
    const onLog = options.onLog ?? ((record: GanLogRecord, total: number) => console.log(formatGanProgress(record, total)));
    const divergenceWatch = new DivergenceWatch(this.loss, { ...options.divergence, labelSmoothing: this.labelSmoothing });
    const finiteWatch = new FiniteWatch();
    const sums = zeros([2]);
    const history: GanHistory = { records: [], divergence: [], stoppedAt: null, msPerStep: 0, steps: 0 };
    const named = [
      ...this.generator.namedParameters().map(([name, t]): [string, Tensor] => [`generator.${name}`, t]),
      ...this.discriminator.namedParameters().map(([name, t]): [string, Tensor] => [`discriminator.${name}`, t]),
    ];
    let trainingMs = 0;
    let sinceLog = 0;
    let windowStart = performance.now();
    try {
      for (let step = 1; step <= steps; step++) {
        scope(() => {
          const losses = this.step(options.realBatch);
          finiteWatch.check(losses.discriminator, 'the discriminator loss', step);
          finiteWatch.check(losses.generator, 'the generator loss', step);
          if (watchParameters) {
            for (const [name, t] of named) {
              if (t.grad) finiteWatch.check(t.grad, `the gradient of ${name}`, step);
              finiteWatch.check(t, name, step);
            }
          }
          noGrad(() => sums.assign(sums.add(concat([losses.discriminator.reshape([1]), losses.generator.reshape([1])]))));
        });
        sinceLog++;
        if (step % logEvery !== 0 && step !== steps) continue;
        const bad = await finiteWatch.firstBad(); // first: it hears the optimizers' watch too
        const [dSum, gSum] = await sums.data();
        const windowMs = performance.now() - windowStart;
        trainingMs += windowMs;
        scope(() => void sums.assign(zeros([2])));
        const record: GanLogRecord = {
          step,
          discriminatorLoss: dSum / sinceLog,
          generatorLoss: gSum / sinceLog,
          msPerStep: windowMs / sinceLog,
          elapsedSeconds: trainingMs / 1000,
          metrics: {},
          divergence: [],
        };
        sinceLog = 0;
        history.steps = step;
        if (bad) {
          record.divergence.push({ step: bad.step, kind: 'non-finite', message: `training stopped: ${bad.name} became NaN or Inf at step ${bad.step}` });
        } else {
          record.divergence.push(...divergenceWatch.observe(step, record.discriminatorLoss, record.generatorLoss));
          if (options.evaluate) record.metrics = await options.evaluate(step);
        }
        history.records.push(record);
        history.divergence.push(...record.divergence);
        onLog(record, steps);
        const stop = bad !== null || (stopOnDivergence && record.divergence.length > 0);
        if (stop) {
          history.stoppedAt = bad ? bad.step : step;
          break;
        }
        windowStart = performance.now();
      }
    } finally {
      finiteWatch.dispose();
      sums.dispose();
    }
    history.msPerStep = history.steps ? trainingMs / history.steps : 0;
    return history;
  }
}
