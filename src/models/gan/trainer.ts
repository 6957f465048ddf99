// Training a GAN: a watch that reports divergence while training runs, and GanTrainer, a Trainer
// (src/train/trainer.ts): Adam with DCGAN's betas (0.5, 0.999), separate learning rates for the two
// players (two-timescale update rule), one-sided label smoothing, n discriminator updates per
// generator update, and fit() through gg.trainLoop (progress lines with D and G losses, the NaN/Inf
// watch) with the divergence watch and evaluations at each progress line.

import { noGrad } from '../../autograd.js';
import type { Tensor } from '../../tensor.js';
import { randn, Generator } from '../../ops/random.js';
import { BatchNorm } from '../../nn/layers.js';
import type { Module } from '../../nn/module.js';
import { Adam } from '../../optim/adam.js';
import type { OptimizerHyperparameters } from '../../optim/optimizer.js';
import { formatProgress, NonFiniteError, trainLoop, type Progress } from '../../train/index.js';
import { checkStateTensors, prefixed, randomState, restoreRandom, settingsMismatch, unprefixed, type Trainer, type TrainerSetting, type TrainerState } from '../../train/trainer.js';
import { checkLoss, checkSmoothing, discriminatorLoss, generatorLoss, gradientPenalty, type GanLoss } from './losses.js';
import type { GanDiscriminator, GanGenerator } from './model.js';
import { runtime } from '../../context.js';

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

/** The losses of one training step (scalar tensors without a graph, owned by the step's scope). */
export type GanStepLosses = {
  /** The last discriminator update's loss (with the penalty for WGAN-GP), a scalar. */
  discriminator: Tensor;
  /** The generator update's loss, a scalar. */
  generator: Tensor;
};

/** Real samples for one step: one batch for every discriminator update, or one batch per update (discriminatorSteps of them). */
export type RealBatches = Tensor | readonly Tensor[];

/** One progress record of `GanTrainer.fit`: trainLoop's progress line with the GAN's numbers. */
export interface GanLogRecord extends Progress {
  /** Mean discriminator loss over the steps since the previous record. */
  discriminatorLoss: number;
  /** Mean generator loss over the same steps. */
  generatorLoss: number;
  /** Mean wall time per training step so far (GPU work included; evaluation excluded). */
  msPerStep: number;
  /** Divergence that started at this step (also in `warnings`, as lines for formatProgress). */
  divergence: DivergenceEvent[];
}

/** Options of `GanTrainer.fit`. */
export interface GanFitOptions {
  /** Training steps to run (a positive integer). */
  steps: number;
  /** A batch of real samples for discriminator update `update` (counts from 1 over the trainer's life), made inside the step's scope. */
  realBatch: (update: number) => Tensor;
  /** Steps between records (default: about 20 per run). */
  logEvery?: number;
  /** Extra numbers for each record (e.g. mode coverage or a Fréchet distance), computed outside the timing. */
  evaluate?: (step: number) => Promise<Record<string, number>> | Record<string, number>;
  /** Receives each record; the default prints formatProgress(record) (and the reason when NaN/Inf stops the run). */
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

function checkRate(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`GanTrainer: ${name} must be a finite number > 0, got ${value}`);
}

const PLAYERS = ['generator', 'discriminator'] as const;

/**
 * Trains a generator against a discriminator. Each step makes `discriminatorSteps` discriminator
 * updates (each on a real batch and a detached generated batch of the same size) and one generator
 * update (on a fresh latent batch; the discriminator's parameters take no gradient there).
 */
export class GanTrainer implements Trainer<RealBatches> {
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
  /** Steps taken so far (each discriminatorSteps discriminator updates and one generator update). */
  stepCount = 0;

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
  step(real: RealBatches): GanStepLosses {
    const batches = Array.isArray(real) ? (real as readonly Tensor[]) : Array.from({ length: this.discriminatorSteps }, () => real as Tensor);
    if (batches.length !== this.discriminatorSteps) {
      throw new Error(`GanTrainer.step: expected one real batch or ${this.discriminatorSteps} (one per discriminator update), got ${batches.length}`);
    }
    let d: Tensor | null = null;
    for (const batch of batches) d = this.discriminatorStep(batch);
    const g = this.generatorStep(batches[batches.length - 1].shape[0]);
    runtime().replayable(() => this.stepCount++); // counted by replayed steps (gg.capture) too
    return noGrad(() => ({ discriminator: d!.detach(), generator: g.detach() }));
  }

  /** Both networks' parameters, named 'generator.<key>' and 'discriminator.<key>'. */
  namedParameters(): [string, Tensor][] {
    return PLAYERS.flatMap((player) => this[player].namedParameters().map(([name, t]): [string, Tensor] => [`${player}.${name}`, t]));
  }

  private settings(): Record<string, TrainerSetting> {
    return { loss: this.loss, labelSmoothing: this.labelSmoothing, penaltyWeight: this.penaltyWeight, discriminatorSteps: this.discriminatorSteps };
  }

  /** Both networks and both optimizers under 'generator.' and 'discriminator.', the noise stream, the step count and the settings. */
  stateDict(): TrainerState {
    const optimizers = { generator: this.generatorOptimizer, discriminator: this.discriminatorOptimizer };
    return {
      model: Object.assign({}, ...PLAYERS.map((player) => prefixed(player, this[player].stateDict()))),
      optimizer: Object.assign({}, ...PLAYERS.map((player) => prefixed(player, optimizers[player].stateDict()))),
      hyperparameters: { generator: optimizers.generator.hyperparameters(), discriminator: optimizers.discriminator.hyperparameters() },
      step: this.stepCount,
      counters: {},
      random: { noise: randomState(this.noise) },
      settings: this.settings(),
    };
  }

  async loadStateDict(state: TrainerState): Promise<void> {
    const owner = 'GanTrainer.loadStateDict';
    const mismatch = settingsMismatch(state.settings, this.settings());
    if (mismatch) throw new Error(`${owner}: the state was trained with ${mismatch}`);
    for (const player of PLAYERS) checkStateTensors(`${owner} (${player})`, this[player].stateDict(), unprefixed(player, state.model));
    const stray = Object.keys(state.model).filter((name) => !PLAYERS.some((player) => name.startsWith(`${player}.`)));
    if (stray.length > 0) throw new Error(`${owner}: unexpected tensors ${stray.join(', ')} (names start with 'generator.' or 'discriminator.')`);
    if (!state.random.noise) throw new Error(`${owner}: the state has no random stream 'noise'`);
    const settings = state.hyperparameters as Partial<Record<(typeof PLAYERS)[number], OptimizerHyperparameters>>;
    await this.generatorOptimizer.loadStateDict(unprefixed('generator', state.optimizer), settings.generator);
    await this.discriminatorOptimizer.loadStateDict(unprefixed('discriminator', state.optimizer), settings.discriminator);
    for (const player of PLAYERS) this[player].loadStateDict(unprefixed(player, state.model));
    restoreRandom(owner, { noise: this.noise }, state.random);
    this.stepCount = state.step;
  }

  /** Frees both optimizers' state (the networks belong to the caller). */
  dispose(): void {
    this.generatorOptimizer.dispose();
    this.discriminatorOptimizer.dispose();
  }

  /** Trains for `steps` steps through trainLoop, logging, evaluating and watching for divergence. */
  async fit(options: GanFitOptions): Promise<GanHistory> {
    const { steps, watchParameters = true, stopOnDivergence = false } = options;
    if (!Number.isInteger(steps) || steps < 1) throw new Error(`GanTrainer.fit: steps must be a positive integer, got ${steps}`);
    const onLog = options.onLog ?? ((record: GanLogRecord) => console.log(formatProgress(record)));
    const divergenceWatch = new DivergenceWatch(this.loss, { ...options.divergence, labelSmoothing: this.labelSmoothing });
    const history: GanHistory = { records: [], divergence: [], stoppedAt: null, msPerStep: 0, steps: 0 };
    const firstStep = this.stepCount;
    try {
      const run = await trainLoop({
        trainer: this,
        // Update numbers continue over the trainer's life: step s's updates follow step s - 1's.
        batches: () => Array.from({ length: this.discriminatorSteps }, (_, k) => options.realBatch(this.stepCount * this.discriminatorSteps + k + 1)),
        steps,
        logEvery: options.logEvery,
        watch: watchParameters ? () => this.namedParameters() : undefined,
        evaluate: options.evaluate,
        onProgress: (p) => {
          const { discriminator, generator } = p.losses;
          const divergence = divergenceWatch.observe(p.step, discriminator, generator);
          const record: GanLogRecord = {
            ...p,
            warnings: divergence.map((event) => event.message),
            discriminatorLoss: discriminator,
            generatorLoss: generator,
            msPerStep: 1000 / p.stepsPerSecond,
            divergence,
          };
          history.records.push(record);
          history.divergence.push(...divergence);
          onLog(record, steps);
          if (stopOnDivergence && divergence.length > 0) {
            history.stoppedAt = p.step;
            return 'stop';
          }
        },
      });
      history.msPerStep = (run.seconds * 1000) / run.steps;
    } catch (error) {
      if (!(error instanceof NonFiniteError)) throw error;
      history.divergence.push({ step: error.step, kind: 'non-finite', message: error.message });
      history.stoppedAt = error.step;
      history.msPerStep = history.records[history.records.length - 1]?.msPerStep ?? 0;
      if (!options.onLog) console.log(`  ! ${error.message}`);
    }
    history.steps = this.stepCount - firstStep;
    return history;
  }
}
