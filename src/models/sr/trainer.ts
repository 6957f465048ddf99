// Training a super-resolution network on (low-resolution, high-resolution) patch pairs: SrTrainer
// implements the Trainer contract (src/train/trainer.ts) with Adam on a pixel loss (MSE, which PSNR
// measures, or L1) and an optional cosine decay of the learning rate. Given a discriminator it trains
// an SRGAN: the generator's loss adds the adversarial loss of the GAN family (gan/losses.ts) and a
// feature-matching content loss on the discriminator's hidden features, the discriminator one update
// per step on real high-resolution patches against the generator's output. SRGAN's content loss is
// on VGG-19 features; no pretrained VGG ships with gengpu, so the discriminator's own features stand in
// (feature matching, Salimans et al. 2016; pix2pixHD) and the pixel loss keeps the colours anchored.

import { noGrad } from '../../autograd.js';
import type { Tensor } from '../../tensor.js';
import { Adam } from '../../optim/adam.js';
import { CosineWithWarmup } from '../../optim/schedulers.js';
import { mseLoss } from '../../nn/losses.js';
import { runtime } from '../../context.js';
import { checkStateTensors, prefixed, settingsMismatch, unprefixed, type Losses, type Trainer, type TrainerState } from '../../train/trainer.js';
import type { OptimizerHyperparameters } from '../../optim/optimizer.js';
import { checkLoss, discriminatorLoss, generatorLoss, type GanLoss } from '../gan/losses.js';
import type { SrDiscriminator } from './discriminator.js';
import type { SuperResolver } from './networks.js';

/** The pixel losses: mean squared error (what PSNR measures) or mean absolute error. */
export type PixelLoss = 'mse' | 'l1';

/** The adversarial part of an SRGAN's training. */
export interface AdversarialOptions {
  /** The discriminator, trained by the trainer (the caller owns it). */
  discriminator: SrDiscriminator;
  /** The GAN loss (default 'nonSaturating', SRGAN's). */
  loss?: GanLoss;
  /** Weight of the generator's adversarial loss (default 1e-3, SRGAN's). */
  weight?: number;
  /** Weight of the feature-matching content loss on the discriminator's features (default 1). */
  featureWeight?: number;
  /** The discriminator's learning rate (default: the generator's). */
  lr?: number;
}

/** Options of {@link SrTrainer}. */
export interface SrTrainerOptions {
  /** Adam's learning rate (default 1e-3). */
  lr?: number;
  /** The pixel loss (default 'mse'). */
  pixelLoss?: PixelLoss;
  /** Weight of the pixel loss (default 1; an SRGAN fine-tune may lower it). */
  pixelWeight?: number;
  /** Cosine decay of the learning rate to lr / 100 over this many steps (default: a constant lr). */
  decaySteps?: number;
  /** Train as an SRGAN with this discriminator. */
  adversarial?: AdversarialOptions;
}

/** One step's patches: low-resolution inputs [B, C, h, w] and their high-resolution targets [B, C, h s, w s]. */
export interface SrBatch {
  /** The inputs, values in [0, 1]. */
  lowRes: Tensor;
  /** The targets, values in [0, 1]. */
  highRes: Tensor;
}

const pixelLossOf = (kind: PixelLoss, output: Tensor, target: Tensor) => (kind === 'mse' ? mseLoss(output, target) : output.sub(target).abs().mean());

/** Mean absolute difference of the discriminator's hidden features on generated and real images (real ones held fixed). */
function featureMatching(fake: readonly Tensor[], real: readonly Tensor[]): Tensor {
  return fake.map((f, i) => f.sub(real[i].detach()).abs().mean()).reduce((sum, term) => sum.add(term)).mul(1 / fake.length);
}

/**
 * Trains a {@link SuperResolver} with Adam on a pixel loss, or as an SRGAN with a discriminator. A step returns
 * { loss } (the pixel loss), and an SRGAN's also { adversarial, features, discriminator }.
 */
export class SrTrainer implements Trainer<SrBatch> {
  /** The trained network (the generator of an SRGAN). */
  readonly model: SuperResolver;
  /** Adam steps taken so far. */
  stepCount = 0;
  private readonly optimizer: Adam;
  private readonly schedule: CosineWithWarmup | null;
  private readonly pixelLoss: PixelLoss;
  private readonly pixelWeight: number;
  private readonly adversarial: Required<Omit<AdversarialOptions, 'lr'>> | null;
  private readonly discriminatorOptimizer: Adam | null;

  constructor(model: SuperResolver, options: SrTrainerOptions = {}) {
    const { lr = 1e-3, pixelLoss = 'mse', pixelWeight = 1, decaySteps } = options;
    if (pixelLoss !== 'mse' && pixelLoss !== 'l1') throw new Error(`SrTrainer: pixelLoss must be 'mse' or 'l1', got ${String(pixelLoss)}`);
    if (!(pixelWeight >= 0)) throw new Error(`SrTrainer: pixelWeight must be a number >= 0, got ${pixelWeight}`);
    this.model = model;
    this.pixelLoss = pixelLoss;
    this.pixelWeight = pixelWeight;
    this.optimizer = new Adam(model.namedParameters(), { lr });
    this.schedule = decaySteps === undefined ? null : new CosineWithWarmup(this.optimizer, { warmupSteps: 0, totalSteps: decaySteps, minLr: lr / 100 });
    const adversarial = options.adversarial;
    if (adversarial) {
      const { discriminator, loss = 'nonSaturating', weight = 1e-3, featureWeight = 1 } = adversarial;
      checkLoss('SrTrainer', loss);
      if (loss === 'wganGp') throw new Error("SrTrainer: 'wganGp' needs a gradient penalty, which the SR trainer does not compute; use 'nonSaturating', 'hinge' or 'leastSquares'");
      for (const [name, value] of Object.entries({ weight, featureWeight })) {
        if (!(value >= 0)) throw new Error(`SrTrainer: adversarial.${name} must be a number >= 0, got ${value}`);
      }
      this.adversarial = { discriminator, loss, weight, featureWeight };
      this.discriminatorOptimizer = new Adam(discriminator.namedParameters(), { lr: adversarial.lr ?? lr, betas: [0.9, 0.999] });
    } else {
      this.adversarial = null;
      this.discriminatorOptimizer = null;
    }
  }

  /** The discriminator of an SRGAN, or null. */
  get discriminator(): SrDiscriminator | null {
    return this.adversarial?.discriminator ?? null;
  }

  /** One generator step (and an SRGAN's discriminator step); the caller's scope frees the losses. */
  step(batch: SrBatch): Losses {
    const { lowRes, highRes } = batch;
    this.optimizer.zeroGrad();
    const output = this.model.forward(lowRes);
    if (output.shape.some((d, i) => d !== highRes.shape[i]) || output.rank !== highRes.rank) {
      throw new Error(`SrTrainer.step: the network made [${output.shape.join(', ')}] from low-resolution [${lowRes.shape.join(', ')}], but the targets are [${highRes.shape.join(', ')}]`);
    }
    const pixel = pixelLossOf(this.pixelLoss, output, highRes);
    const losses: Losses = {};
    if (!this.adversarial) {
      pixel.backward();
    } else {
      const { discriminator, loss, weight, featureWeight } = this.adversarial;
      const fake = discriminator.features(output);
      const real = discriminator.features(highRes);
      const adversarial = generatorLoss(loss, fake.logits);
      const features = featureMatching(fake.hidden, real.hidden);
      pixel.mul(this.pixelWeight).add(adversarial.mul(weight)).add(features.mul(featureWeight)).backward();
      // The discriminator's update, on the generator's output cut from the generator's graph.
      this.discriminatorOptimizer!.zeroGrad();
      const critic = discriminatorLoss(loss, discriminator.forward(highRes), discriminator.forward(output.detach()));
      critic.backward();
      this.discriminatorOptimizer!.step();
      Object.assign(losses, noGrad(() => ({ adversarial: adversarial.detach(), features: features.detach(), discriminator: critic.detach() })));
    }
    this.optimizer.step();
    // Host state a replayed step (gg.capture) advances too: the schedule's lr reaches the next update.
    runtime().replayable(() => {
      this.schedule?.step();
      this.stepCount++;
    });
    return { loss: noGrad(() => pixel.detach()), ...losses };
  }

  namedParameters(): [string, Tensor][] {
    const own = this.model.namedParameters().map(([name, t]): [string, Tensor] => [`generator.${name}`, t]);
    const critic = this.discriminator?.namedParameters().map(([name, t]): [string, Tensor] => [`discriminator.${name}`, t]) ?? [];
    return [...own, ...critic];
  }

  /** The settings a state must have been trained with. */
  private settings() {
    return { pixelLoss: this.pixelLoss, adversarial: this.adversarial?.loss ?? null };
  }

  /** The networks' weights and Adam's state under 'generator.' (and 'discriminator.'), the step count. */
  stateDict(): TrainerState {
    const players = this.players();
    return {
      model: Object.assign({}, ...players.map(([name, module]) => prefixed(name, module.stateDict()))),
      optimizer: Object.assign({}, ...players.map(([name, , optimizer]) => prefixed(name, optimizer.stateDict()))),
      hyperparameters: Object.fromEntries(players.map(([name, , optimizer]) => [name, optimizer.hyperparameters()])),
      step: this.stepCount,
      counters: {},
      random: {},
      settings: this.settings(),
    };
  }

  async loadStateDict(state: TrainerState): Promise<void> {
    const owner = 'SrTrainer.loadStateDict';
    const mismatch = settingsMismatch(state.settings, this.settings());
    if (mismatch) throw new Error(`${owner}: the state was trained with ${mismatch}`);
    const players = this.players();
    for (const [name, module] of players) checkStateTensors(`${owner} (${name})`, module.stateDict(), unprefixed(name, state.model));
    const hyperparameters = state.hyperparameters as Record<string, OptimizerHyperparameters>;
    for (const [name, , optimizer] of players) await optimizer.loadStateDict(unprefixed(name, state.optimizer), hyperparameters[name]);
    for (const [name, module] of players) module.loadStateDict(unprefixed(name, state.model));
    this.stepCount = state.step;
    this.schedule?.loadStateDict({ lastEpoch: state.step, baseLrs: this.schedule.baseLrs });
  }

  /** Each trained network with its name and optimizer. */
  private players(): [string, SuperResolver | SrDiscriminator, Adam][] {
    const players: [string, SuperResolver | SrDiscriminator, Adam][] = [['generator', this.model, this.optimizer]];
    if (this.adversarial) players.push(['discriminator', this.adversarial.discriminator, this.discriminatorOptimizer!]);
    return players;
  }

  /** Frees the optimizers' state (the networks are the caller's). */
  dispose(): void {
    this.optimizer.dispose();
    this.discriminatorOptimizer?.dispose();
  }
}
