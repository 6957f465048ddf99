// BatchNorm1d / BatchNorm2d: training normalises with the batch's statistics (values and gradients
// through them against float64), evaluation with the running ones; the running statistics follow a
// plain-JS reference over several steps (momentum, unbiased variance, num_batches_tracked) and do
// not move in evaluation; affine and trackRunningStats off; the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { expectClose } from '../helpers/check.js';
import { random, rng } from '../helpers/reference.js';
import { batchNormRef, channelStats, checkModule, toRef } from './helpers.js';

const { nn } = gg;

function randomizeParameters(module: gg.nn.Module, seed: number): void {
  const generator = new gg.Generator(seed);
  for (const p of module.parameters()) nn.init.uniform(p, 0.5, 1.5, { generator });
}

const trainCases: [string, () => gg.nn.BatchNorm, number[]][] = [
  ['BatchNorm1d [N, C]', () => new nn.BatchNorm1d(3), [5, 3]],
  ['BatchNorm1d [N, C, L]', () => new nn.BatchNorm1d(3), [4, 3, 5]],
  ['BatchNorm2d', () => new nn.BatchNorm2d(2), [3, 2, 4, 5]],
];

describe('BatchNorm', () => {
  for (const [name, make, shape] of trainCases) {
    it(`${name}: training uses the batch statistics (values and gradients)`, async () => {
      const layer = make();
      randomizeParameters(layer, shape.length);
      await checkModule({
        module: layer,
        inputs: [shape],
        ref: ([x], p) => {
          const { mean, variance } = channelStats(x);
          return batchNormRef(x, mean, variance, p.weight, p.bias, 1e-5);
        },
        gradAtol: 3e-4,
        gradRtol: 3e-3,
      });
      layer.dispose();
    });
  }

  it('evaluation uses the running statistics (values and gradients)', async () => {
    const layer = new nn.BatchNorm2d(3);
    randomizeParameters(layer, 1);
    const runningMean = gg.tensor([0.5, -0.25, 0.1]);
    const runningVar = gg.tensor([2, 0.5, 1.25]);
    layer.loadStateDict({ ...layer.stateDict(), running_mean: runningMean, running_var: runningVar });
    layer.eval();
    await checkModule({
      module: layer,
      inputs: [[2, 3, 3, 4]],
      ref: ([x], p) => batchNormRef(x, [0.5, -0.25, 0.1], [2, 0.5, 1.25], p.weight, p.bias, 1e-5),
    });
    expect(Array.from(await layer.runningMean!.data())).toEqual(Array.from(await runningMean.data()));
    for (const t of [runningMean, runningVar]) t.dispose();
    layer.dispose();
  });

  it('running statistics follow momentum and the unbiased variance over several steps; evaluation leaves them', async () => {
    for (const momentum of [0.1, 0.3]) {
      const layer = new nn.BatchNorm1d(4, { momentum });
      const expectedMean = [0, 0, 0, 0];
      const expectedVar = [1, 1, 1, 1];
      const next = rng(5);
      for (let step = 0; step < 3; step++) {
        const x = random([6, 4, 2], next, -1 + step, 2 + step);
        const { mean, variance, count } = channelStats(x);
        for (let c = 0; c < 4; c++) {
          expectedMean[c] = (1 - momentum) * expectedMean[c] + momentum * mean[c];
          expectedVar[c] = (1 - momentum) * expectedVar[c] + (momentum * variance[c] * count) / (count - 1);
        }
        const input = gg.tensor(Float32Array.from(x.data), x.shape);
        gg.scope(() => layer.forward(input).sum());
        input.dispose();
      }
      expectClose(await layer.runningMean!.data(), expectedMean, 1e-6, 1e-5, `running_mean (momentum ${momentum})`);
      expectClose(await layer.runningVar!.data(), expectedVar, 1e-6, 1e-5, `running_var (momentum ${momentum})`);
      expect(await layer.numBatchesTracked!.item()).toBe(3);

      layer.eval();
      const x = gg.randn([6, 4, 2]);
      gg.scope(() => layer.forward(x));
      expectClose(await layer.runningMean!.data(), expectedMean, 1e-6, 1e-5, 'running_mean after evaluation');
      expect(await layer.numBatchesTracked!.item()).toBe(3);
      x.dispose();
      layer.dispose();
    }
  });

  it('without running statistics both modes use the batch; without affine there are no parameters', async () => {
    const layer = new nn.BatchNorm1d(2, { trackRunningStats: false, affine: false }).eval();
    expect(layer.namedBuffers()).toEqual([]);
    expect(layer.numParameters()).toBe(0);
    const x = gg.tensor([[1, 10], [3, 20], [5, 60]]);
    const y = gg.scope(() => layer.forward(x));
    const { mean, variance } = channelStats(await toRef(x));
    expectClose(await y.data(), batchNormRef(await toRef(x), mean, variance, undefined, undefined, 1e-5).data, 1e-5, 1e-4, 'batch statistics in eval');
    for (const t of [x, y]) t.dispose();
  });

  it('keys follow PyTorch', () => {
    const layer = new nn.BatchNorm2d(3);
    expect(Object.keys(layer.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(layer.numBatchesTracked!.dtype).toBe('i32');
    expect(String(layer)).toBe('BatchNorm2d(3, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)');
    layer.dispose();
  });

  it('names the layer and the shapes on bad input', () => {
    const bn2 = new nn.BatchNorm2d(3);
    const bn1 = new nn.BatchNorm1d(3);
    const flat = gg.zeros([4, 3]);
    const single = gg.zeros([1, 3]);
    const image = gg.zeros([2, 4, 5, 5]);
    expect(() => bn2.forward(flat)).toThrow(/BatchNorm2d: expected an input \[N, C, H, W\] with C = 3, got \[4, 3\] f32/);
    expect(() => bn2.forward(image)).toThrow(/BatchNorm2d: .* C = 3, got \[2, 4, 5, 5\]/);
    expect(() => bn1.forward(single)).toThrow(/batchNorm: expected more than 1 value per channel when training, got input \[1, 3\]/);
    expect(() => nn.functional.batchNorm(flat, null, null)).toThrow(/batchNorm: evaluation \(training: false\) needs the running statistics/);
    for (const t of [flat, single, image]) t.dispose();
    bn1.dispose();
    bn2.dispose();
  });
});
