// The objectives of GAN training: the five losses and WGAN-GP's gradient penalty. Losses, for discriminator logits r = D(x) on real and f = D(G(z)) on generated samples, each a
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

import { composite, grad, noGrad } from '../../autograd.js';
import { formatShape, type Tensor } from '../../tensor.js';
import { fullLike } from '../../ops/creation.js';
import { softplus, relu } from '../../ops/elementwise.js';
import { rand, type Generator } from '../../ops/random.js';
import { binaryCrossEntropyWithLogits } from '../../nn/losses.js';

/**
 * The five GAN objectives: non-saturating and minimax BCE (Goodfellow et al.), hinge, least squares (LSGAN) and
 * WGAN-GP.
 */
export type GanLoss = 'nonSaturating' | 'minimax' | 'hinge' | 'leastSquares' | 'wganGp';

/** Every {@link GanLoss}, in a fixed order (for menus and validation). */
export const GAN_LOSSES: readonly GanLoss[] = ['nonSaturating', 'minimax', 'hinge', 'leastSquares', 'wganGp'];

/** The losses with real targets, which one-sided label smoothing moves. */
export const SMOOTHABLE_LOSSES: readonly GanLoss[] = ['nonSaturating', 'minimax', 'leastSquares'];

/** Throws unless `loss` is one of the five. */
export function checkLoss(owner: string, loss: GanLoss): void {
  if (!GAN_LOSSES.includes(loss)) throw new Error(`${owner}: loss must be one of ${GAN_LOSSES.join(', ')}, got '${String(loss)}'`);
}

function checkLogits(owner: string, logits: Tensor[]): void {
  for (const t of logits) {
    t.assertAlive(owner);
    if (t.dtype !== 'f32' || t.rank !== 1) throw new Error(`${owner}: expected f32 logits [N], got ${formatShape(t.shape)} ${t.dtype}`);
  }
}

/** Throws unless the label smoothing is in [0, 1) and the loss has real targets to smooth. */
export function checkSmoothing(owner: string, loss: GanLoss, labelSmoothing: number): void {
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
