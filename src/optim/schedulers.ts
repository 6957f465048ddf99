// Learning-rate schedules, PyTorch-style: a schedule owns the optimizer's learning rates, sets each
// group's from its initial ("base") lr and the epoch counter when made (epoch 0) and at every
// step(). Call optimizer.step() then scheduler.step() once per iteration (or per epoch).
// ReduceLROnPlateau differs: it follows a metric rather than the epoch count, so it keeps its own state.

import type { GroupOptions, Optimizer } from './optimizer.js';

/** The learning rate of one group at `epoch`, given the lr the group started with. */
export type LrSchedule = (epoch: number, baseLr: number, group: number) => number;

/**
 * A learning-rate schedule, PyTorch-style: it owns the optimizer's learning rates and sets each group's from its base
 * lr and the epoch counter, when made (epoch 0) and at every `step()`. Call `optimizer.step()`, then
 * `scheduler.step()`, once per iteration (or per epoch).
 */
export class LRScheduler {
  /** The optimizer whose groups' `lr` this schedule sets. */
  readonly optimizer: Optimizer<GroupOptions>;
  private readonly schedule: LrSchedule;
  private readonly name: string;
  /** Each group's lr when the schedule was made. */
  readonly baseLrs: number[];
  /** Steps taken so far (0 right after construction). */
  lastEpoch = 0;
  private lastLrs: number[] = [];

  constructor(optimizer: Optimizer<GroupOptions>, schedule: LrSchedule, name = 'LRScheduler') {
    this.optimizer = optimizer;
    this.schedule = schedule;
    this.name = name;
    this.baseLrs = optimizer.paramGroups.map((group) => group.lr);
    this.apply();
  }

  /** Advances one epoch and sets every group's lr. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** The lr of each group as last set by this schedule. */
  get lastLr(): number[] {
    return [...this.lastLrs];
  }

  /** JSON-able position of the schedule, for checkpoints. */
  stateDict(): {
    /** Steps taken so far. */
    lastEpoch: number;
    /** Each group's lr when the schedule was made. */
    baseLrs: number[];
  } {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /**
   * Restores a position saved by `stateDict()` and sets the lrs for it; throws (changing nothing) on a bad state or a
   * different number of groups.
   */
  loadStateDict(state: { lastEpoch: number; baseLrs: number[] }): void {
    const badLr = state.baseLrs.some((lr) => !Number.isFinite(lr) || lr < 0);
    if (!Number.isInteger(state.lastEpoch) || state.lastEpoch < 0 || state.baseLrs.length !== this.baseLrs.length || badLr) {
      throw new Error(`${this.name}.loadStateDict: expected an integer lastEpoch >= 0 and ${this.baseLrs.length} base lrs >= 0, got ${JSON.stringify(state)}`);
    }
    this.baseLrs.splice(0, this.baseLrs.length, ...state.baseLrs);
    this.lastEpoch = state.lastEpoch;
    this.apply();
  }

  /** Sets every group's lr for lastEpoch; a bad value from the schedule changes none of them. */
  private apply(): void {
    const lrs = this.baseLrs.map((baseLr, g) => this.schedule(this.lastEpoch, baseLr, g));
    lrs.forEach((lr, g) => {
      if (!Number.isFinite(lr) || lr < 0) {
        throw new Error(`${this.name}: the schedule gave lr ${lr} for group ${g} at epoch ${this.lastEpoch} (must be a finite number >= 0)`);
      }
    });
    this.optimizer.paramGroups.forEach((group, g) => (group.lr = lrs[g]));
    this.lastLrs = lrs;
  }
}

/** lr = baseLr * gamma ^ floor(epoch / stepSize). */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer<GroupOptions>, { stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }) {
    if (!Number.isInteger(stepSize) || stepSize < 1) throw new Error(`StepLR: stepSize must be an integer >= 1, got ${stepSize}`);
    if (!Number.isFinite(gamma) || gamma < 0) throw new Error(`StepLR: gamma must be a finite number >= 0, got ${gamma}`);
    super(optimizer, (epoch, baseLr) => baseLr * gamma ** Math.floor(epoch / stepSize), 'StepLR');
  }
}

/**
 * nanoGPT's get_lr, per group: linear warmup baseLr * (epoch + 1) / (warmupSteps + 1) for
 * epoch < warmupSteps, then cosine decay from baseLr to minLr at totalSteps, minLr after that.
 */
export class CosineWithWarmup extends LRScheduler {
  constructor(optimizer: Optimizer<GroupOptions>, { warmupSteps, totalSteps, minLr = 0 }: { warmupSteps: number; totalSteps: number; minLr?: number }) {
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new Error(`CosineWithWarmup: warmupSteps must be an integer >= 0, got ${warmupSteps}`);
    if (!Number.isInteger(totalSteps) || totalSteps <= warmupSteps) {
      throw new Error(`CosineWithWarmup: totalSteps must be an integer > warmupSteps (${warmupSteps}), got ${totalSteps}`);
    }
    if (!Number.isFinite(minLr) || minLr < 0) throw new Error(`CosineWithWarmup: minLr must be a finite number >= 0, got ${minLr}`);
    super(optimizer, (epoch, baseLr) => {
      if (epoch < warmupSteps) return (baseLr * (epoch + 1)) / (warmupSteps + 1);
      if (epoch > totalSteps) return minLr;
      const decayRatio = (epoch - warmupSteps) / (totalSteps - warmupSteps);
      return minLr + 0.5 * (1 + Math.cos(Math.PI * decayRatio)) * (baseLr - minLr);
    }, 'CosineWithWarmup');
  }
}

/** lr = baseLr * lrLambda(epoch); one function for every group, or one per group. */
export class LambdaLR extends LRScheduler {
  constructor(optimizer: Optimizer<GroupOptions>, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[]) {
    const lambdas = Array.isArray(lrLambda) ? lrLambda : optimizer.paramGroups.map(() => lrLambda);
    if (lambdas.length !== optimizer.paramGroups.length) {
      throw new Error(`LambdaLR: ${lambdas.length} lambdas for ${optimizer.paramGroups.length} parameter groups`);
    }
    super(optimizer, (epoch, baseLr, group) => baseLr * lambdas[group](epoch), 'LambdaLR');
  }
}

/** lr = baseLr * gamma ^ epoch (torch.optim.lr_scheduler.ExponentialLR). */
export class ExponentialLR extends LRScheduler {
  constructor(optimizer: Optimizer<GroupOptions>, { gamma }: { gamma: number }) {
    if (!Number.isFinite(gamma) || gamma < 0) throw new Error(`ExponentialLR: gamma must be a finite number >= 0, got ${gamma}`);
    super(optimizer, (epoch, baseLr) => baseLr * gamma ** epoch, 'ExponentialLR');
  }
}

/** lr = baseLr * gamma ^ (how many milestones are <= epoch) (torch.optim.lr_scheduler.MultiStepLR). */
export class MultiStepLR extends LRScheduler {
  constructor(optimizer: Optimizer<GroupOptions>, { milestones, gamma = 0.1 }: { milestones: readonly number[]; gamma?: number }) {
    if (!Array.isArray(milestones) || !milestones.every((m) => Number.isInteger(m) && m >= 0)) {
      throw new Error(`MultiStepLR: milestones must be a list of integers >= 0, got ${String(milestones)}`);
    }
    if (!Number.isFinite(gamma) || gamma < 0) throw new Error(`MultiStepLR: gamma must be a finite number >= 0, got ${gamma}`);
    // A milestone listed twice counts twice, as in PyTorch (a Counter of milestones).
    const sorted = [...milestones].sort((a, b) => a - b);
    super(optimizer, (epoch, baseLr) => baseLr * gamma ** sorted.filter((m) => m <= epoch).length, 'MultiStepLR');
  }
}

/** Options of {@link OneCycleLR}, PyTorch's names camelCased and its defaults. */
export interface OneCycleLROptions {
  /** The peak lr: one for every group, or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** With `stepsPerEpoch`, totalSteps = epochs * stepsPerEpoch. */
  epochs?: number;
  /** With `epochs`, totalSteps = epochs * stepsPerEpoch. */
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent raising the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (the default) or 'linear' annealing between the phases' ends. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD's momentum, Adam's beta1) inversely to the lr, between baseMomentum and maxMomentum (default true). */
  cycleMomentum?: boolean;
  /** The momentum at the lr's peak (default 0.85). */
  baseMomentum?: number;
  /** The momentum at the cycle's ends (default 0.95). */
  maxMomentum?: number;
  /** initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial lr, down to the final lr) instead of two (default false). */
  threePhase?: boolean;
}

/**
 * The 1cycle policy (torch.optim.lr_scheduler.OneCycleLR, Smith & Topin): the lr rises from maxLr / divFactor
 * to maxLr over pctStart of totalSteps, then anneals to initial lr / finalDivFactor, while the momentum
 * (SGD's momentum, Adam's beta1) moves the opposite way when cycleMomentum is on. Stepping past totalSteps
 * throws, as in PyTorch. Step it after every batch. At step totalSteps itself (after the last batch) it
 * holds the final lr where PyTorch extrapolates the last phase.
 */
export class OneCycleLR extends LRScheduler {
  /** Steps in the cycle. */
  readonly totalSteps: number;

  constructor(optimizer: Optimizer<GroupOptions>, options: OneCycleLROptions) {
    const name = 'OneCycleLR';
    const {
      pctStart = 0.3, annealStrategy = 'cos', cycleMomentum = true, baseMomentum = 0.85, maxMomentum = 0.95, divFactor = 25, finalDivFactor = 1e4,
      threePhase = false,
    } = options;
    const groups = optimizer.paramGroups.length;
    const maxLrs = typeof options.maxLr === 'number' ? new Array<number>(groups).fill(options.maxLr) : [...(options.maxLr ?? [])];
    if (maxLrs.length !== groups || !maxLrs.every((lr) => Number.isFinite(lr) && lr >= 0)) {
      throw new Error(`${name}: maxLr must be a finite number >= 0 or one per parameter group (${groups}), got ${String(options.maxLr)}`);
    }
    let totalSteps = options.totalSteps;
    if (totalSteps === undefined) {
      const { epochs, stepsPerEpoch } = options;
      if (!Number.isInteger(epochs) || !Number.isInteger(stepsPerEpoch) || epochs! < 1 || stepsPerEpoch! < 1) {
        throw new Error(`${name}: give totalSteps, or epochs and stepsPerEpoch (integers >= 1), got epochs ${epochs} and stepsPerEpoch ${stepsPerEpoch}`);
      }
      totalSteps = epochs! * stepsPerEpoch!;
    }
    if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`${name}: totalSteps must be an integer >= 1, got ${totalSteps}`);
    if (!(pctStart >= 0 && pctStart <= 1)) throw new Error(`${name}: pctStart must be in [0, 1], got ${pctStart}`);
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new Error(`${name}: annealStrategy must be 'cos' or 'linear', got '${annealStrategy}'`);
    for (const [key, value] of Object.entries({ divFactor, finalDivFactor })) {
      if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name}: ${key} must be a finite number > 0, got ${value}`);
    }
    const usesBetas = optimizer.paramGroups.every((group) => 'betas' in group);
    if (cycleMomentum && !usesBetas && !optimizer.paramGroups.every((group) => 'momentum' in group)) {
      throw new Error(`${name}: cycleMomentum needs an optimizer with momentum or betas (${optimizer.optimizerName} has neither); pass cycleMomentum: false`);
    }
    const total = totalSteps;
    // PyTorch's phases: each ends at a step, going from one multiple of the initial lr to another, and
    // the momentum from one end of its range to the other.
    const phases = threePhase
      ? [
          { end: pctStart * total - 1, from: 'initial', to: 'max', momentum: [maxMomentum, baseMomentum] },
          { end: 2 * pctStart * total - 2, from: 'max', to: 'initial', momentum: [baseMomentum, maxMomentum] },
          { end: total - 1, from: 'initial', to: 'min', momentum: [maxMomentum, maxMomentum] },
        ]
      : [
          { end: pctStart * total - 1, from: 'initial', to: 'max', momentum: [maxMomentum, baseMomentum] },
          { end: total - 1, from: 'max', to: 'min', momentum: [baseMomentum, maxMomentum] },
        ];
    const anneal = (start: number, end: number, pct: number) =>
      annealStrategy === 'cos' ? end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
    super(optimizer, (step, _baseLr, g) => {
      if (step > total) throw new Error(`${name}: stepped ${step} times, past totalSteps ${total}`);
      const lrs = { max: maxLrs[g], initial: maxLrs[g] / divFactor, min: maxLrs[g] / divFactor / finalDivFactor };
      const i = phases.findIndex((phase, k) => step <= phase.end || k === phases.length - 1);
      const phase = phases[i];
      const start = i === 0 ? 0 : phases[i - 1].end;
      // PyTorch extrapolates past the last phase's end at step totalSteps (an lr no update uses, since the
      // last batch's is set at totalSteps - 1), which can go negative with linear annealing; this holds
      // the final lr instead.
      const pct = Math.min(1, (step - start) / (phase.end - start));
      if (cycleMomentum) {
        const momentum = anneal(phase.momentum[0], phase.momentum[1], pct);
        const group = optimizer.paramGroups[g] as GroupOptions & { momentum?: number; betas?: readonly [number, number] };
        if (usesBetas) group.betas = [momentum, group.betas![1]];
        else group.momentum = momentum;
      }
      return anneal(lrs[phase.from as keyof typeof lrs], lrs[phase.to as keyof typeof lrs], pct);
    }, name);
    this.totalSteps = total;
  }
}

/** Options of {@link ReduceLROnPlateau}, PyTorch's names camelCased and its defaults. */
export interface ReduceLROnPlateauOptions {
  /** 'min' (the default): the metric should fall, as a loss; 'max': it should rise, as an accuracy. */
  mode?: 'min' | 'max';
  /** new lr = lr * factor (default 0.1; below 1). */
  factor?: number;
  /** Epochs without improvement tolerated; the lr drops on the next one (default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4). */
  threshold?: number;
  /** 'rel' (the default): better than best * (1 -/+ threshold); 'abs': better than best -/+ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a drop before counting bad epochs again (default 0). */
  cooldown?: number;
  /** The lowest lr: one for every group, or one per group (default 0). */
  minLr?: number | readonly number[];
  /** A drop smaller than this is not made (default 1e-8). */
  eps?: number;
}

/** The position of a {@link ReduceLROnPlateau}, for checkpoints (best is ±Infinity before the first step). */
export interface ReduceLROnPlateauState {
  /** The best metric so far. */
  best: number;
  /** Epochs since it improved. */
  numBadEpochs: number;
  /** Epochs of cooldown left. */
  cooldownCounter: number;
  /** step() calls so far. */
  lastEpoch: number;
}

/**
 * Drops every group's lr by `factor` when a metric has stopped improving for `patience` epochs
 * (torch.optim.lr_scheduler.ReduceLROnPlateau): call `step(metric)` once per epoch with the held-out loss
 * (or accuracy, in 'max' mode). The metric is a number, so read it with `await loss.item()` first.
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' `lr` this sets. */
  readonly optimizer: Optimizer<GroupOptions>;
  private readonly mode: 'min' | 'max';
  private readonly factor: number;
  private readonly patience: number;
  private readonly threshold: number;
  private readonly thresholdMode: 'rel' | 'abs';
  private readonly cooldown: number;
  private readonly minLrs: number[];
  private readonly eps: number;
  private state: ReduceLROnPlateauState;

  constructor(optimizer: Optimizer<GroupOptions>, options: ReduceLROnPlateauOptions = {}) {
    const name = 'ReduceLROnPlateau';
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = options;
    if (mode !== 'min' && mode !== 'max') throw new Error(`${name}: mode must be 'min' or 'max', got '${mode}'`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new Error(`${name}: thresholdMode must be 'rel' or 'abs', got '${thresholdMode}'`);
    if (!(factor >= 0 && factor < 1)) throw new Error(`${name}: factor must be in [0, 1), got ${factor}`);
    for (const [key, value] of Object.entries({ patience, cooldown })) {
      if (!Number.isInteger(value) || value < 0) throw new Error(`${name}: ${key} must be an integer >= 0, got ${value}`);
    }
    for (const [key, value] of Object.entries({ threshold, eps })) {
      if (!(Number.isFinite(value) && value >= 0)) throw new Error(`${name}: ${key} must be a finite number >= 0, got ${value}`);
    }
    const groups = optimizer.paramGroups.length;
    const minLrs = typeof minLr === 'number' ? new Array<number>(groups).fill(minLr) : [...minLr];
    if (minLrs.length !== groups || !minLrs.every((lr) => Number.isFinite(lr) && lr >= 0)) {
      throw new Error(`${name}: minLr must be a finite number >= 0 or one per parameter group (${groups}), got ${String(minLr)}`);
    }
    this.optimizer = optimizer;
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLrs = minLrs;
    this.eps = eps;
    this.state = { best: mode === 'min' ? Infinity : -Infinity, numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 0 };
  }

  /** Each group's lr now. */
  get lastLr(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** Records one epoch's metric, and drops the lrs when it has not improved for more than `patience` epochs. */
  step(metric: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric)) {
      throw new Error(`ReduceLROnPlateau.step: the metric must be a number (read a tensor with await t.item()), got ${String(metric)}`);
    }
    const s = this.state;
    s.lastEpoch++;
    if (this.isBetter(metric)) {
      s.best = metric;
      s.numBadEpochs = 0;
    } else {
      s.numBadEpochs++;
    }
    if (s.cooldownCounter > 0) {
      s.cooldownCounter--;
      s.numBadEpochs = 0;
    }
    if (s.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((group, g) => {
        const lr = Math.max(group.lr * this.factor, this.minLrs[g]);
        if (group.lr - lr > this.eps) group.lr = lr;
      });
      s.cooldownCounter = this.cooldown;
      s.numBadEpochs = 0;
    }
  }

  private isBetter(metric: number): boolean {
    const { best } = this.state;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? metric < best * (1 - this.threshold) : metric < best - this.threshold;
    return this.thresholdMode === 'rel' ? metric > best * (1 + this.threshold) : metric > best + this.threshold;
  }

  /** The position (best metric, counters) as plain numbers; the lrs themselves live in the optimizer's groups. */
  stateDict(): ReduceLROnPlateauState {
    return { ...this.state };
  }

  /** Restores a position saved by `stateDict()`; throws (changing nothing) on a bad one. */
  loadStateDict(state: ReduceLROnPlateauState): void {
    const counts = [state.numBadEpochs, state.cooldownCounter, state.lastEpoch];
    if (typeof state.best !== 'number' || Number.isNaN(state.best) || !counts.every((c) => Number.isInteger(c) && c >= 0)) {
      throw new Error(`ReduceLROnPlateau.loadStateDict: expected a number best and integer counters >= 0, got ${JSON.stringify(state)}`);
    }
    this.state = { best: state.best, numBadEpochs: state.numBadEpochs, cooldownCounter: state.cooldownCounter, lastEpoch: state.lastEpoch };
  }
}
