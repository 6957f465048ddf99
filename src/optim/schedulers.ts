// Learning-rate schedules, PyTorch-style: a schedule owns the optimizer's learning rates, sets each
// group's from its initial ("base") lr and the epoch counter when made (epoch 0) and at every
// step(). Call optimizer.step() then scheduler.step() once per iteration (or per epoch).

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
