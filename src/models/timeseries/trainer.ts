// Training the forecaster's network: ForecasterTrainer implements the Trainer contract
// (src/train/trainer.ts) with Adam on the Gaussian negative log-likelihood of each row's next value
// (gg.nn.gaussianNll with the variance exp(logVar) and the constant, so the loss is in nats per value
// of the standardised series), and an optional cosine decay of the learning rate.

import { runtime } from '../../context.js';
import { noGrad } from '../../autograd.js';
import { gaussianNll } from '../../nn/losses.js';
import { Adam } from '../../optim/adam.js';
import { CosineWithWarmup } from '../../optim/schedulers.js';
import { Tensor, formatShape } from '../../tensor.js';
import { checkStateTensors, type Losses, type Trainer, type TrainerState } from '../../train/trainer.js';
import type { OptimizerHyperparameters } from '../../optim/optimizer.js';
import type { GaussianMlp } from './network.js';

/** One step's rows: inputs [B, inputSize] and the value that followed each, [B]. */
export interface ForecastBatch {
  /** Rows of past values and covariates. */
  inputs: Tensor;
  /** The next value of each row. */
  targets: Tensor;
}

/** Options of {@link ForecasterTrainer}. */
export interface ForecasterTrainerOptions {
  /** Adam's learning rate (default 2e-3). */
  lr?: number;
  /** Cosine decay of the learning rate to minLr over this many steps (default: a constant lr). */
  decaySteps?: number;
  /** Where the cosine decay ends (default lr / 20). */
  minLr?: number;
}

/** Trains a {@link GaussianMlp} by Adam on the Gaussian NLL; a step returns { loss } in nats per value. */
export class ForecasterTrainer implements Trainer<ForecastBatch> {
  /** The trained network (owned by the caller). */
  readonly model: GaussianMlp;
  /** Adam over the network's parameters. */
  readonly optimizer: Adam;
  /** The learning-rate schedule, or null for a constant lr. */
  readonly schedule: CosineWithWarmup | null;
  /** Adam steps taken so far. */
  stepCount = 0;

  constructor(model: GaussianMlp, options: ForecasterTrainerOptions = {}) {
    const { lr = 2e-3, decaySteps } = options;
    const minLr = options.minLr ?? lr / 20;
    if (!(lr > 0)) throw new Error(`ForecasterTrainer: lr must be a number > 0, got ${lr}`);
    if (!(minLr >= 0 && minLr <= lr)) throw new Error(`ForecasterTrainer: minLr must be in [0, lr = ${lr}], got ${minLr}`);
    this.model = model;
    this.optimizer = new Adam(model.namedParameters(), { lr });
    this.schedule = decaySteps === undefined ? null : new CosineWithWarmup(this.optimizer, { warmupSteps: 0, totalSteps: decaySteps, minLr });
  }

  /** One Adam step on the batch's Gaussian NLL; the caller's scope frees the loss. */
  step(batch: ForecastBatch): Losses {
    const { inputs, targets } = batch;
    const B = inputs.shape[0];
    if (targets.rank !== 1 || targets.shape[0] !== B) {
      throw new Error(`ForecasterTrainer.step: expected targets [${B}] for inputs ${formatShape(inputs.shape)}, got ${formatShape(targets.shape)}`);
    }
    this.optimizer.zeroGrad();
    const { mean, logVar } = this.model.gaussian(inputs);
    const loss = gaussianNll(mean, targets, logVar.exp(), { full: true });
    loss.backward();
    this.optimizer.step();
    // Host state a replayed step (gg.capture) advances too: the schedule's lr reaches the next update.
    runtime().replayable(() => {
      this.schedule?.step();
      this.stepCount++;
    });
    return { loss: noGrad(() => loss.detach()) };
  }

  namedParameters(): [string, Tensor][] {
    return this.model.namedParameters();
  }

  /** The network, Adam's state and the step count (the schedule follows the step count). */
  stateDict(): TrainerState {
    return {
      model: this.model.stateDict(),
      optimizer: this.optimizer.stateDict(),
      hyperparameters: this.optimizer.hyperparameters(),
      step: this.stepCount,
      counters: {},
      random: {},
      settings: {},
    };
  }

  async loadStateDict(state: TrainerState): Promise<void> {
    const owner = 'ForecasterTrainer.loadStateDict';
    checkStateTensors(owner, this.model.stateDict(), state.model);
    await this.optimizer.loadStateDict(state.optimizer, state.hyperparameters as OptimizerHyperparameters);
    this.model.loadStateDict(state.model);
    this.stepCount = state.step;
    this.schedule?.loadStateDict({ lastEpoch: state.step, baseLrs: this.schedule.baseLrs });
  }

  /** Frees Adam's state (the network is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }
}
