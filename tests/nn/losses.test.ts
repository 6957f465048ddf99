// Every loss against a float64 reference, values and finite-difference gradients, under each
// reduction: mse, binary cross-entropy with logits, cross-entropy (class axis 1, -1, unbatched,
// every combination of class weights, ignoreIndex and label smoothing, probability targets; PyTorch's
// values for the combinations easy to get wrong from tests/fixtures/pytorch-cross-entropy.json),
// nllLoss (weights, ignoreIndex), the diagonal-Gaussian KL, Gaussian NLL (variance shapes, full, the clamp's
// straight-through gradient); logits of +-100 stay finite and exact; the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { readFileSync } from 'node:fs';
import { checkOp, expectClose } from '../helpers/check.js';
import { random, ravel, ref, rng, unravel, zip, type Ref } from '../helpers/reference.js';

const { nn } = gg;
const reductions = ['mean', 'sum', 'none'] as const;
type Reduction = (typeof reductions)[number];

function reduceRef(losses: Ref, reduction: Reduction): Ref {
  if (reduction === 'none') return losses;
  const total = losses.data.reduce((a, v) => a + v, 0);
  return ref([], [reduction === 'sum' ? total : total / losses.data.length]);
}

/** Stable float64 softplus(x) - x y. */
const bceRef = (x: number, y: number) => Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));

interface ClassLossSettings {
  /** Per-class weights (default all 1). */
  weight?: number[];
  ignoreIndex?: number;
  smoothing?: number;
  /** The target holds probabilities of the logits' shape instead of class indices. */
  probabilities?: boolean;
  /** nllLoss: the input already holds log-probabilities. */
  logInput?: boolean;
}

/**
 * Cross-entropy (or NLL) over class axis `axis` as PyTorch defines it, in float64: the per-position
 * losses and what 'mean' divides by (the kept targets' weights, or the number of positions for
 * probability targets).
 */
function classLossTerms(logits: Ref, target: Ref, axis: number, settings: ClassLossSettings): { losses: Ref; divisor: number } {
  const { weight, ignoreIndex = -100, smoothing = 0, probabilities = false, logInput = false } = settings;
  const classes = logits.shape[axis];
  const w = (c: number) => (weight ? weight[c] : 1);
  const shape = logits.shape.filter((_, i) => i !== axis);
  let divisor = 0;
  const losses = ref(shape, (i) => {
    const position = unravel(i, shape);
    const at = (c: number) => ravel([...position.slice(0, axis), c, ...position.slice(axis)], logits.shape);
    const values = Array.from({ length: classes }, (_, c) => logits.data[at(c)]);
    const max = Math.max(...values);
    const lse = max + Math.log(values.reduce((a, v) => a + Math.exp(v - max), 0));
    const logProbs = logInput ? values : values.map((v) => v - lse);
    if (probabilities) {
      divisor += 1;
      return -logProbs.reduce((a, lp, c) => a + w(c) * ((1 - smoothing) * target.data[at(c)] + smoothing / classes) * lp, 0);
    }
    const y = target.data[i];
    if (y === ignoreIndex) return 0;
    divisor += w(y);
    const smooth = -logProbs.reduce((a, lp, c) => a + w(c) * lp, 0);
    return (1 - smoothing) * -w(y) * logProbs[y] + (smoothing / classes) * smooth;
  });
  return { losses, divisor };
}

function classLossRef(logits: Ref, target: Ref, axis: number, settings: ClassLossSettings, reduction: Reduction): Ref {
  const { losses, divisor } = classLossTerms(logits, target, axis, settings);
  if (reduction === 'none') return losses;
  const total = losses.data.reduce((a, v) => a + v, 0);
  return ref([], [reduction === 'sum' ? total : total / divisor]);
}

/** Per-position cross-entropy over class axis `axis` of logits, against class indices. */
const crossEntropyRef = (logits: Ref, target: Ref, axis: number, smoothing: number): Ref => classLossTerms(logits, target, axis, { smoothing }).losses;

function gaussianNllRef(input: Ref, target: Ref, variance: Ref, full: boolean, eps: number): Ref {
  return zip([input, target, variance], (x, y, v) => {
    const w = Math.max(v, eps);
    return 0.5 * (Math.log(w) + (x - y) ** 2 / w) + (full ? 0.5 * Math.log(2 * Math.PI) : 0);
  });
}

describe('losses', () => {
  it('mseLoss', async () => {
    for (const reduction of reductions) {
      await checkOp({ inputs: [[3, 5], [3, 5]], gpu: (x, y) => nn.mseLoss(x, y, { reduction }), ref: (x, y) => reduceRef(zip([x, y], (a, b) => (a - b) ** 2), reduction) });
    }
  });

  it('binaryCrossEntropyWithLogits, including logits of +-100', async () => {
    const next = rng(3);
    for (const reduction of reductions) {
      await checkOp({
        inputs: [random([4, 7], next, -4, 4), random([4, 7], next, 0, 1)],
        gpu: (x, y) => nn.binaryCrossEntropyWithLogits(x, y, { reduction }),
        ref: (x, y) => reduceRef(zip([x, y], bceRef), reduction),
      });
    }
    const extreme = ref([2, 4], [100, -100, 100, -100, 100, -100, 30, -30]);
    const targets = ref([2, 4], [1, 0, 0, 1, 0.5, 0.25, 1, 0]);
    await checkOp({
      inputs: [extreme, targets],
      gpu: (x, y) => nn.binaryCrossEntropyWithLogits(x, y, { reduction: 'none' }),
      ref: (x, y) => zip([x, y], bceRef),
      eps: 1e-3,
      rtol: 1e-6,
    });
  });

  describe('crossEntropy', () => {
    // [logits shape, class axis option, class axis, label smoothing]
    const cases: [number[], number | undefined, number, number][] = [
      [[4, 5], undefined, 1, 0],
      [[2, 5, 3], undefined, 1, 0],
      [[2, 3, 5], -1, 2, 0.1],
      [[5], undefined, 0, 0],
      [[3, 4], undefined, 1, 0.25],
    ];
    for (const [shape, axisOption, axis, labelSmoothing] of cases) {
      it(`logits ${JSON.stringify(shape)}, axis ${axisOption ?? 'default'}, labelSmoothing ${labelSmoothing}`, async () => {
        const next = rng(shape.length);
        const targetShape = shape.filter((_, i) => i !== axis);
        const classes = ref(targetShape, () => Math.floor(next() * shape[axis]));
        const target = gg.tensor(Int32Array.from(classes.data), targetShape);
        for (const reduction of reductions) {
          await checkOp({
            inputs: [random(shape, next, -3, 3)],
            gpu: (x) => nn.crossEntropy(x, target, { axis: axisOption, labelSmoothing, reduction }),
            ref: (x) => reduceRef(crossEntropyRef(x, classes, axis, labelSmoothing), reduction),
          });
        }
        target.dispose();
      });
    }

    // Every combination of weight, ignoreIndex (-100 on some positions, or a real class) and label
    // smoothing, under each reduction, on [5, 4] and on [2, 4, 3] with class axis 1.
    for (const [shape, axis] of [[[5, 4], 1], [[2, 4, 3], 1]] as [number[], number][]) {
      for (const weighted of [false, true]) {
        for (const ignoreIndex of [-100, 1]) {
          for (const smoothing of [0, 0.2]) {
            it(`logits ${JSON.stringify(shape)}, weight ${weighted}, ignoreIndex ${ignoreIndex}, labelSmoothing ${smoothing}`, async () => {
              const next = rng(shape.length * 7 + ignoreIndex + smoothing * 10 + (weighted ? 1 : 0));
              const targetShape = shape.filter((_, i) => i !== axis);
              // Positions 0 and 3 are ignored when the ignored value is not a class.
              const classes = ref(targetShape, (i) => (ignoreIndex < 0 && (i === 0 || i === 3) ? ignoreIndex : Math.floor(next() * shape[axis])));
              const weights = Array.from({ length: shape[axis] }, () => Math.fround(0.25 + next()));
              const target = gg.tensor(Int32Array.from(classes.data), targetShape);
              const weight = weighted ? gg.tensor(Float32Array.from(weights)) : null;
              const settings = { weight: weighted ? weights : undefined, ignoreIndex, smoothing };
              for (const reduction of reductions) {
                await checkOp({
                  inputs: [random(shape, next, -3, 3)],
                  gpu: (x) => nn.crossEntropy(x, target, { weight, ignoreIndex, labelSmoothing: smoothing, reduction }),
                  ref: (x) => classLossRef(x, classes, axis, settings, reduction),
                });
              }
              target.dispose();
              weight?.dispose();
            });
          }
        }
      }
    }

    it('probability targets: weight and label smoothing, each reduction, gradients to logits and target', async () => {
      const next = rng(11);
      for (const [shape, axisOption, axis] of [[[4, 5], undefined, 1], [[2, 3, 4], -1, 2]] as [number[], number | undefined, number][]) {
        const weights = Array.from({ length: shape[axis] }, () => Math.fround(0.25 + next()));
        for (const weighted of [false, true]) {
          const weight = weighted ? gg.tensor(Float32Array.from(weights)) : null;
          for (const smoothing of [0, 0.3]) {
            for (const reduction of reductions) {
              await checkOp({
                inputs: [random(shape, next, -3, 3), random(shape, next, 0, 1)],
                gpu: (x, t) => nn.crossEntropy(x, t, { axis: axisOption, weight, labelSmoothing: smoothing, reduction }),
                ref: (x, t) => classLossRef(x, t, axis, { weight: weighted ? weights : undefined, smoothing, probabilities: true }, reduction),
              });
            }
          }
          weight?.dispose();
        }
      }
    });

    it('ignoreIndex: all targets ignored give NaN for the mean (as PyTorch) and 0 otherwise; NaN logits of ignored positions count nothing', async () => {
      const logits = gg.tensor([[1, 2, 3], [Number.NaN, 0, 1]]);
      const ignored = gg.tensor(Int32Array.from([-100, -100]));
      const weight = gg.tensor([0.5, 1, 2]);
      const results = gg.scope(() => [
        nn.crossEntropy(logits, ignored),
        nn.crossEntropy(logits, ignored, { weight, labelSmoothing: 0.1 }),
        nn.nllLoss(logits, ignored),
        nn.crossEntropy(logits, ignored, { reduction: 'sum' }),
        nn.crossEntropy(logits, ignored, { reduction: 'none', labelSmoothing: 0.1 }),
        nn.crossEntropy(logits, gg.tensor(Int32Array.from([2, 7])), { ignoreIndex: 7, labelSmoothing: 0.1, reduction: 'none' }),
      ].map((t) => t.keep()));
      const values = await Promise.all(results.map(async (t) => Array.from(await t.data())));
      expect(values.slice(0, 3).flat().every(Number.isNaN)).toBe(true);
      expect(values[3]).toEqual([0]);
      expect(values[4]).toEqual([0, 0]);
      const logProbs = [1, 2, 3].map((v) => v - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
      expectClose(values[5], [0.9 * -logProbs[2] - (0.1 / 3) * logProbs.reduce((a, b) => a + b), 0], 1e-5, 1e-5, 'kept and ignored');
      for (const t of [logits, ignored, weight, ...results]) t.dispose();
    });

    it("matches PyTorch's F.cross_entropy and F.nll_loss (tests/fixtures/pytorch-cross-entropy.json)", async () => {
      interface Tensorish { shape: number[]; data: number[] }
      interface FixtureCase {
        name: string;
        fn: 'crossEntropy' | 'nllLoss';
        logits: Tensorish;
        target: Tensorish & { dtype: 'i32' | 'f32' };
        weight: number[] | null;
        ignoreIndex: number;
        labelSmoothing: number;
        reductions: Record<Reduction, { loss: Tensorish; probe: number[]; logitsGrad: number[]; targetGrad: number[] | null }>;
      }
      const fixture = JSON.parse(readFileSync(new URL('../fixtures/pytorch-cross-entropy.json', import.meta.url), 'utf8')) as { cases: FixtureCase[] };
      const before = gg.runtime().memory().liveBuffers;
      for (const c of fixture.cases) {
        const probabilities = c.target.dtype === 'f32';
        const weight = c.weight ? gg.tensor(Float32Array.from(c.weight)) : null;
        for (const reduction of reductions) {
          const expected = c.reductions[reduction];
          const logits = gg.tensor(Float32Array.from(c.logits.data), c.logits.shape, { requiresGrad: true });
          const target = probabilities
            ? gg.tensor(Float32Array.from(c.target.data), c.target.shape, { requiresGrad: true })
            : gg.tensor(Int32Array.from(c.target.data), c.target.shape);
          const options = { weight, ignoreIndex: c.ignoreIndex, reduction };
          const loss = gg.scope(() => {
            const l = c.fn === 'nllLoss' ? nn.nllLoss(logits.logSoftmax(1), target, options) : nn.crossEntropy(logits, target, { ...options, labelSmoothing: c.labelSmoothing });
            l.mul(gg.tensor(Float32Array.from(expected.probe), l.shape)).sum().backward();
            return l;
          });
          const what = `${c.name}, ${reduction}`;
          expect([...loss.shape], what).toEqual(expected.loss.shape);
          expectClose(await loss.data(), expected.loss.data, 1e-5, 1e-5, `${what}: loss`);
          expectClose(await logits.grad!.data(), expected.logitsGrad, 1e-6, 1e-5, `${what}: logits gradient`);
          if (expected.targetGrad) expectClose(await target.grad!.data(), expected.targetGrad, 1e-6, 1e-5, `${what}: target gradient`);
          for (const t of [logits, target, loss]) t.dispose();
        }
        weight?.dispose();
      }
      expect(gg.runtime().memory().liveBuffers).toBe(before);
    });

    it('stays finite and exact for logits of +-100', async () => {
      const logits = ref([3, 4], [100, -100, 0, 50, -100, -100, 100, 100, 100, -100, -100, -100]);
      const classes = ref([3], [1, 2, 0]);
      const target = gg.tensor(Int32Array.from(classes.data), [3]);
      await checkOp({
        inputs: [logits],
        gpu: (x) => nn.crossEntropy(x, target, { reduction: 'none', labelSmoothing: 0.1 }),
        ref: (x) => crossEntropyRef(x, classes, 1, 0.1),
        eps: 1e-3,
        rtol: 1e-6,
      });
      target.dispose();
    });

    it('reports a class label out of range (10 of 10 classes, -1) at the next read instead of scoring a clamped class', async () => {
      const rt = gg.runtime();
      const logits = gg.zeros([2, 10], { requiresGrad: true });
      const before = rt.memory().liveBuffers;
      for (const [labels, bad] of [[[3, 10], 10], [[-1, 0], -1]] as const) {
        const target = gg.tensor(Int32Array.from(labels));
        const loss = gg.scope(() => nn.crossEntropy(logits, target));
        await expect(loss.item()).rejects.toThrow(`crossEntropy: target class ${bad} is out of range for 10 classes (inputs: [2, 10] f32, [2] i32)`);
        for (const t of [target, loss]) t.dispose();
      }
      // Class axis -1 of [..., C] logits, with the labels' own shape in the message.
      const perToken = gg.zeros([2, 3, 4]);
      const tokens = gg.tensor(new Int32Array([0, 1, 2, 3, 4, 0]), [2, 3]);
      const loss = gg.scope(() => nn.crossEntropy(perToken, tokens, { axis: -1 }));
      await expect(loss.item()).rejects.toThrow('crossEntropy: target class 4 is out of range for 4 classes (inputs: [2, 3, 4] f32, [2, 3] i32)');
      for (const t of [perToken, tokens, loss]) t.dispose();
      expect(rt.memory().liveBuffers).toBe(before);
      logits.dispose();
    });

    it('names the shapes and dtypes on bad input', () => {
      const logits = gg.zeros([4, 5]);
      const wrongShape = gg.zeros([5], { dtype: 'i32' });
      const floats = gg.zeros([4]);
      expect(() => nn.crossEntropy(logits, wrongShape)).toThrow(/crossEntropy: target must have the logits' shape without class axis 1: \[4\] \(inputs: \[4, 5\] f32, \[5\] i32\)/);
      expect(() => nn.crossEntropy(logits, floats)).toThrow("crossEntropy: target must be i32 class indices of shape [4] or f32 probabilities of the logits' shape [4, 5] (inputs: [4, 5] f32, [4] f32)");
      expect(() => nn.crossEntropy(logits, wrongShape, { weight: floats })).toThrow('crossEntropy: weight must have shape [5], got [4] (inputs: [4, 5] f32, [5] i32, [4] f32)');
      expect(() => nn.crossEntropy(logits, logits, { ignoreIndex: 0 })).toThrow('crossEntropy: ignoreIndex 0 is not supported for probability targets');
      expect(() => nn.crossEntropy(logits, wrongShape, { ignoreIndex: 0.5 })).toThrow('crossEntropy: ignoreIndex must be an integer, got 0.5');
      expect(() => nn.nllLoss(logits, floats)).toThrow('nllLoss: expected dtype i32, got f32');
      expect(() => nn.nllLoss(logits, wrongShape)).toThrow("nllLoss: target must have the input's shape without class axis 1: [4]");
      expect(() => nn.mseLoss(logits, floats)).toThrow(/mseLoss: input and target must have the same shape/);
      expect(() => nn.mseLoss(logits, logits, { reduction: 'avg' as Reduction })).toThrow(/mseLoss: reduction must be 'mean', 'sum' or 'none', got 'avg'/);
      for (const t of [logits, wrongShape, floats]) t.dispose();
    });
  });

  it('nllLoss: weight and ignoreIndex, each reduction, against log-probabilities', async () => {
    const next = rng(21);
    for (const [shape, axisOption, axis] of [[[6, 4], undefined, 1], [[2, 3, 5], -1, 2]] as [number[], number | undefined, number][]) {
      const targetShape = shape.filter((_, i) => i !== axis);
      const classes = ref(targetShape, (i) => (i % 4 === 1 ? -100 : Math.floor(next() * shape[axis])));
      const target = gg.tensor(Int32Array.from(classes.data), targetShape);
      const weights = Array.from({ length: shape[axis] }, () => Math.fround(0.25 + next()));
      for (const weighted of [false, true]) {
        const weight = weighted ? gg.tensor(Float32Array.from(weights)) : null;
        for (const reduction of reductions) {
          await checkOp({
            inputs: [random(shape, next, -4, 0)],
            gpu: (x) => nn.nllLoss(x, target, { axis: axisOption, weight, reduction }),
            ref: (x) => classLossRef(x, classes, axis, { weight: weighted ? weights : undefined, logInput: true }, reduction),
          });
        }
        weight?.dispose();
      }
      target.dispose();
    }
  });

  it('klDivDiagonalGaussian: -0.5 sum(1 + logVar - mu^2 - exp(logVar)) over the last axis', async () => {
    for (const reduction of reductions) {
      await checkOp({
        inputs: [[3, 4], [3, 4]],
        range: [-2, 2],
        gpu: (mu, logVar) => nn.klDivDiagonalGaussian(mu, logVar, { reduction }),
        ref: (mu, logVar) => {
          const terms = zip([mu, logVar], (m, lv) => -0.5 * (1 + lv - m * m - Math.exp(lv)));
          const perSample = ref([3], (i) => terms.data.slice(i * 4, i * 4 + 4).reduce((a, v) => a + v, 0));
          return reduceRef(perSample, reduction);
        },
      });
    }
  });

  describe('gaussianNll', () => {
    it('variance of the input shape, without the last dimension, or with 1 there; full; each reduction', async () => {
      const next = rng(8);
      const cases: [number[], boolean][] = [[[3, 4], false], [[3], true], [[3, 1], false]];
      for (const [varianceShape, full] of cases) {
        for (const reduction of reductions) {
          const variance = random(varianceShape, next, 0.2, 2);
          await checkOp({
            inputs: [random([3, 4], next, -1, 1), random([3, 4], next, -1, 1), variance],
            gpu: (x, y, v) => nn.gaussianNll(x, y, v, { full, reduction }),
            // A variance without the last dimension is one per row: [3] reads as [3, 1].
            ref: (x, y, v) => reduceRef(gaussianNllRef(x, y, v.shape.length === 1 ? { shape: [3, 1], data: v.data } : v, full, 1e-6), reduction),
          });
        }
      }
    });

    it('clamps the variance to eps for the value, passing the gradient straight through', async () => {
      const eps = 0.1;
      const x = gg.tensor([0.5, -1, 2], { requiresGrad: true });
      const y = gg.tensor([0, 0, 1]);
      const v = gg.tensor([0.01, -3, 0.5], { requiresGrad: true });
      const loss = gg.scope(() => {
        const l = nn.gaussianNll(x, y, v, { eps, reduction: 'sum' });
        l.backward();
        return l;
      });
      const clamped = [eps, eps, 0.5];
      const d = [0.5, -1, 1];
      const expected = clamped.reduce((a, w, i) => a + 0.5 * (Math.log(w) + d[i] ** 2 / w), 0);
      expect(await loss.item()).toBeCloseTo(expected, 4);
      expectClose(await v.grad!.data(), clamped.map((w, i) => 0.5 * (1 / w - d[i] ** 2 / w ** 2)), 1e-4, 1e-5, 'variance gradient');
      expectClose(await x.grad!.data(), clamped.map((w, i) => d[i] / w), 1e-5, 1e-5, 'input gradient');
      for (const t of [x, y, v, loss]) t.dispose();
    });

    it('names the shapes when the variance does not fit', () => {
      const x = gg.zeros([3, 4]);
      const v = gg.ones([4]);
      expect(() => nn.gaussianNll(x, x, v)).toThrow(/gaussianNll: variance must have the input's shape \[3, 4\], or lack its last dimension, or have 1 there/);
      for (const t of [x, v]) t.dispose();
    });
  });
});
