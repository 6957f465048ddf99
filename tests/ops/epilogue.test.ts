// Matmul epilogues (src/ops/fusion.ts): with fusion on, a matmul waits for its first use, and the
// elementwise group that reads it at its own coordinates runs in the product's store stage. Each case is
// checked bit for bit against fusion off (every variant, odd sizes, transposes, batches, broadcast
// inputs, NaN), with the dispatches counted; then the product's lifetimes: stored only while something
// else may read it, never computed twice, in-place writes of its operands, live buffers at baseline.
import { afterEach, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { bitsOf, randomTensor, runWith } from '../helpers/fusion.js';
import { rng } from '../helpers/reference.js';

const fusionAtStart = gg.isFusionEnabled();
afterEach(() => gg.setFusion(fusionAtStart));

const live = () => gg.runtime().memory().liveBuffers;
const dispatches = () => gg.runtime().counters.dispatches;

/** f32 values of `shape` over [-2, 2), a few of them NaN, infinite or -0 with `specials`. */
const values = (next: () => number, shape: number[], specials = false) => randomTensor(next, shape, 4, specials ? 0.05 : 0);

const variants = gg.matmulVariants.filter((v) => !gg.matmulVariantSpecs[v].subgroups || gg.runtime().hasSubgroups);

describe('matmul epilogues', () => {
  it('runs x W + b, its activation and a residual in the product kernel, with the bits of unfused kernels', async () => {
    const next = rng(7);
    const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [17, 65, 3], [65, 33, 130], [33, 40, 64]];
    for (const variant of variants) {
      for (const [M, K, N] of shapes) {
        const x = values(next, [M, K], true);
        const w = values(next, [N, K]);
        const b = values(next, [N]);
        const residual = values(next, [M, N]);
        const block = () => x.matmul(w, { transB: true, variant }).add(b).gelu().mul(0.5).add(residual);
        const unfused = await runWith(false, block);
        const fused = await runWith(true, block);
        expect(fused.bits, `${variant} ${M}x${K}x${N}`).toEqual(unfused.bits);
        expect(unfused.dispatches).toBe(5);
        expect(fused.dispatches).toBe(1);
        for (const t of [x, w, b, residual]) t.dispose();
      }
    }
  });

  it('takes transposed operands, broadcast batches, rows, columns and single values, and where', async () => {
    const next = rng(11);
    const a = values(next, [2, 1, 9, 6]);
    const b = values(next, [3, 9, 5]);
    const values5 = values(next, [5]);
    const column = values(next, [3, 6, 1]);
    const single = values(next, [1]);
    // Coordinates read off (z, m, n) for a flat layout and rows by columns, from the flat index otherwise.
    const builds = [
      () => gg.matmul(a, b, { transA: true }).mul(single).exp(),
      () => gg.matmul(a, b, { transA: true }).add(values5),
      () => gg.matmul(a, b, { transA: true }).mul(column).relu(),
      () => gg.matmul(b, a.reshape([2, 1, 6, 9]), { transA: true, transB: true }).sub(1).tanh(),
      () => { const y = gg.matmul(a, b, { transA: true }); return gg.where(y.gt(0), y.sigmoid(), y.mul(-2)); },
    ];
    for (const build of builds) {
      const unfused = await runWith(false, build);
      const fused = await runWith(true, build);
      expect(fused.bits).toEqual(unfused.bits);
      expect(fused.dispatches).toBeLessThan(unfused.dispatches);
    }
    for (const t of [a, b, column, single, values5]) t.dispose();
  });

  it('stores the product too while its tensor is alive, so a second reader never computes it again', async () => {
    gg.setFusion(true);
    const next = rng(3);
    const x = values(next, [9, 7]);
    const w = values(next, [7, 5]);
    const y = x.matmul(w);
    const first = y.add(1);
    const second = y.mul(3);
    const before = dispatches();
    const [a, b] = [await first.data(), await second.data()];
    expect(dispatches() - before).toBe(2); // the product with first's epilogue, then second reading it
    expect(y.isPending).toBe(false);
    gg.setFusion(false);
    const reference = x.matmul(w);
    const expected = await reference.data();
    expect(Array.from(await y.data())).toEqual(Array.from(expected));
    expect(Array.from(a)).toEqual(Array.from(expected, (v) => Math.fround(v + 1)));
    expect(Array.from(b)).toEqual(Array.from(expected, (v) => Math.fround(v * 3)));
    for (const t of [x, w, y, first, second, reference]) t.dispose();
  });

  it('stores nothing but the epilogue when the product was disposed, and frees what it held', async () => {
    gg.setFusion(true);
    const next = rng(5);
    const x = values(next, [6, 4]);
    const w = values(next, [4, 8]);
    const baseline = live();
    const y = x.matmul(w);
    const z = y.relu();
    y.dispose();
    expect(gg.fusedKernelSource(z)).toMatch(/fn store_out[^}]*result\[i\]/);
    expect(gg.fusedKernelSource(z)).not.toMatch(/out\[i\] = value/);
    const values1 = await z.data();
    expect(live()).toBe(baseline + 1);
    z.dispose();
    expect(live()).toBe(baseline);
    gg.setFusion(false);
    const expected = gg.scope(() => x.matmul(w).relu());
    expect(Array.from(values1)).toEqual(Array.from(await expected.data()));
    for (const t of [x, w, expected]) t.dispose();
  });

  it('never runs a product disposed unread, and computes it before an in-place write of an operand', async () => {
    gg.setFusion(true);
    const x = gg.tensor([[1, 2], [3, 4]]);
    const w = gg.tensor([[1, 0], [0, 1]]);
    const baseline = live();
    const before = dispatches();
    x.matmul(w).add(1).dispose();
    expect(dispatches()).toBe(before);
    expect(live()).toBe(baseline);

    const y = x.matmul(w).add(1);
    const product = x.matmul(w);
    x.assign(gg.scope(() => gg.tensor([[0, 0], [0, 0]])));
    expect(y.isPending).toBe(false);
    expect(product.isPending).toBe(false);
    expect(await y.toArray()).toEqual([[2, 3], [4, 5]]);
    expect(await product.toArray()).toEqual([[1, 2], [3, 4]]);
    for (const t of [x, w, y, product]) t.dispose();
  });

  it('computes a second product, and products read broadcast, before the group', async () => {
    const next = rng(9);
    const a = values(next, [5, 3]);
    const b = values(next, [3, 4]);
    const c = values(next, [5, 6]);
    const d = values(next, [6, 4]);
    const row = values(next, [1, 3]);
    // Four inputs besides the product: one more than an epilogue takes.
    const [bias, e, f, g] = [values(next, [4]), values(next, [5, 4]), values(next, [5, 1]), values(next, [5, 4])];
    const builds = [
      () => a.matmul(b).add(c.matmul(d)).exp(),
      () => row.matmul(b).add(a.matmul(b)),
      () => a.matmul(b).add(bias).add(e).mul(f).sub(g),
    ];
    for (const build of builds) {
      const unfused = await runWith(false, build);
      const fused = await runWith(true, build);
      expect(fused.bits).toEqual(unfused.bits);
    }
    for (const t of [a, b, c, d, row, bias, e, f, g]) t.dispose();
  });

  it('gives the same gradients fused and unfused through a GELU MLP block, with live buffers at baseline', async () => {
    const gradients = async (fusion: boolean) => {
      gg.setFusion(fusion);
      const baseline = live();
      const next = rng(21);
      const x = values(next, [13, 8]);
      const w1 = values(next, [24, 8]).requiresGrad_();
      const b1 = values(next, [24]).requiresGrad_();
      const w2 = values(next, [8, 24]).requiresGrad_();
      const b2 = values(next, [8]).requiresGrad_();
      gg.scope(() => {
        const h = gg.nn.functional.linear(x, w1, b1).gelu();
        gg.nn.functional.linear(h, w2, b2).add(x).square().mean().backward();
      });
      const result = [];
      for (const p of [w1, b1, w2, b2]) result.push(await bitsOf(p.grad!));
      for (const t of [x, w1, b1, w2, b2]) t.dispose();
      expect(live()).toBe(baseline);
      return result;
    };
    expect(await gradients(true)).toEqual(await gradients(false));
  });
});
