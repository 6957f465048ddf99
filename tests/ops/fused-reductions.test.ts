// A reduction's producer fused into its loads (src/ops/fusion.ts fusedLoads): with fusion on, summing,
// averaging or taking the max / min / logsumexp of a pending group of elementwise ops runs the group inside
// the reduction's first pass. Checked bit for bit against fusion off over every axis pattern and both
// row rungs (odd sizes, broadcast inputs, NaN and infinities), with the dispatches counted; the group
// stays pending for any other reader, and live buffers return to baseline.
import { afterEach, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { randomTensor, runWith } from '../helpers/fusion.js';
import { rng } from '../helpers/reference.js';

const fusionAtStart = gg.isFusionEnabled();
afterEach(() => gg.setFusion(fusionAtStart));

const live = () => gg.runtime().memory().liveBuffers;

/** f32 values of `shape` over [-3, 3), a few of them NaN, infinite or -0 with `specials`. */
const values = (next: () => number, shape: number[], specials = false) => randomTensor(next, shape, 6, specials ? 0.02 : 0);

describe('reductions of fused groups', () => {
  it('sum, mean, max, min and logsumexp of a group give the bits of unfused kernels, in one dispatch fewer', async () => {
    const next = rng(3);
    const shapes = [[7], [4, 9], [3, 8, 5], [2, 3, 64], [5, 1031], [33, 12]];
    for (const shape of shapes) {
      const x = values(next, shape, true);
      const column = values(next, [shape[shape.length - 1]]);
      const group = () => x.mul(column).tanh().add(0.5).square();
      const axesList: (number | number[] | undefined)[] = [undefined, -1, 0, ...(shape.length === 3 ? [[0, 2], 1] : [])];
      for (const axes of axesList) {
        const reductions = [
          () => group().sum(axes),
          () => group().mean(axes),
          () => group().logsumexp(axes ?? [...shape.keys()]),
          ...(typeof axes === 'number' ? [() => group().max(axes), () => group().min(axes)] : []),
        ];
        for (const reduce of reductions) {
          const unfused = await runWith(false, reduce);
          const fused = await runWith(true, reduce);
          expect(fused.bits, `${JSON.stringify(shape)} over ${JSON.stringify(axes)}: ${reduce.toString()}`).toEqual(unfused.bits);
          expect(fused.dispatches).toBeLessThan(unfused.dispatches);
        }
      }
      x.dispose();
      column.dispose();
    }
  });

  it('fuses into both row rungs, and into a loss: mse in one kernel per pass', async () => {
    const next = rng(5);
    const x = values(next, [6, 300]);
    const y = values(next, [6, 300]);
    for (const variant of ['line', 'workgroup'] as const) {
      const build = () => gg.reduceRows(x.sub(y).abs().mul(2), 6, 300, 'sum', 1, { variant });
      const unfused = await runWith(false, build);
      const fused = await runWith(true, build);
      expect(fused.bits).toEqual(unfused.bits);
    }
    const mse = () => gg.nn.mseLoss(x, y);
    const unfused = await runWith(false, mse);
    const fused = await runWith(true, mse);
    expect(fused.bits).toEqual(unfused.bits);
    expect(fused.dispatches).toBeLessThan(unfused.dispatches);
    x.dispose();
    y.dispose();
  });

  it('computes a deferred product the group reads first (a bias gradient of x W + b)', async () => {
    const next = rng(8);
    const [a, b, bias] = [values(next, [9, 5]), values(next, [5, 7]), values(next, [7])];
    for (const build of [() => a.matmul(b).add(bias).relu().sum(0), () => a.matmul(b).mul(2).mean()]) {
      const unfused = await runWith(false, build);
      const fused = await runWith(true, build);
      expect(fused.bits).toEqual(unfused.bits);
    }
    for (const t of [a, b, bias]) t.dispose();
  });

  it('leaves the group pending for its other readers, and frees what it held', async () => {
    gg.setFusion(true);
    const x = gg.tensor([[1, 2, 3], [4, 5, 6]]);
    const baseline = live();
    const doubled = x.mul(2);
    const total = doubled.sum();
    expect(doubled.isPending).toBe(true);
    expect(await total.item()).toBe(42);
    expect(await doubled.toArray()).toEqual([[2, 4, 6], [8, 10, 12]]);
    for (const t of [doubled, total]) t.dispose();
    expect(live()).toBe(baseline);

    // Gradients through a fused reduction are the unfused ones.
    const gradients = async (fusion: boolean) => {
      gg.setFusion(fusion);
      const w = gg.tensor([0.5, -1, 2]).requiresGrad_();
      gg.scope(() => x.mul(w).sigmoid().mean().backward());
      const grad = Array.from(await w.grad!.data());
      w.dispose();
      return grad;
    };
    expect(await gradients(true)).toEqual(await gradients(false));
    x.dispose();
  });
});
