// Initializers: bounds, means and standard deviations of seeded draws against PyTorch's formulas
// (fans, gains, modes), in-place filling of parameters without leaks, reproducibility per seed,
// and the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { init } = gg.nn;

interface Moments {
  min: number;
  max: number;
  mean: number;
  std: number;
}

async function moments(t: gg.Tensor): Promise<Moments> {
  const v = [...(await t.data())];
  const mean = v.reduce((a, x) => a + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length);
  return { min: Math.min(...v), max: Math.max(...v), mean, std };
}

/** Uniform in [-bound, bound): reaches close to both ends, mean 0, std bound / sqrt(3). */
function expectUniform(m: Moments, bound: number): void {
  expect(m.max).toBeLessThanOrEqual(bound);
  expect(m.min).toBeGreaterThanOrEqual(-bound);
  expect(m.max).toBeGreaterThan(bound * 0.99);
  expect(m.min).toBeLessThan(-bound * 0.99);
  expect(Math.abs(m.mean)).toBeLessThan(bound * 0.03);
  expect(Math.abs(m.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.03);
}

function expectNormal(m: Moments, mean: number, std: number): void {
  expect(Math.abs(m.mean - mean)).toBeLessThan(std * 0.03);
  expect(Math.abs(m.std / std - 1)).toBeLessThan(0.03);
}

describe('nn.init', () => {
  it('kaiming: gain / sqrt(fan), by mode and nonlinearity', async () => {
    const generator = new gg.Generator(1);
    const linear = gg.zeros([200, 100]);
    const conv = gg.zeros([16, 8, 3, 3]);
    expectUniform(await moments(init.kaimingUniform(linear, { generator })), Math.sqrt(2) * Math.sqrt(3 / 100));
    expectUniform(await moments(init.kaimingUniform(conv, { mode: 'fanOut', nonlinearity: 'relu', generator })), Math.sqrt(2) * Math.sqrt(3 / 144));
    expectUniform(await moments(init.kaimingUniform(linear, { a: Math.sqrt(5), generator })), 1 / Math.sqrt(100));
    expectNormal(await moments(init.kaimingNormal(linear, { generator })), 0, Math.sqrt(2 / 100));
    expectNormal(await moments(init.kaimingNormal(conv, { nonlinearity: 'tanh', generator })), 0, (5 / 3) / Math.sqrt(72));
    for (const t of [linear, conv]) t.dispose();
  });

  it('xavier: gain * sqrt(2 / (fanIn + fanOut))', async () => {
    const generator = new gg.Generator(2);
    const w = gg.zeros([150, 250]);
    expectUniform(await moments(init.xavierUniform(w, { generator })), Math.sqrt(6 / 400));
    expectUniform(await moments(init.xavierUniform(w, { gain: 2, generator })), 2 * Math.sqrt(6 / 400));
    expectNormal(await moments(init.xavierNormal(w, { gain: init.calculateGain('tanh'), generator })), 0, (5 / 3) * Math.sqrt(2 / 400));
    w.dispose();
  });

  it('normal, uniform, constant, zeros and ones', async () => {
    const generator = new gg.Generator(3);
    const t = gg.zeros([100, 200]);
    expectNormal(await moments(init.normal(t, 3, 0.02, { generator })), 3, 0.02);
    const m = await moments(init.uniform(t, -2, 6, { generator }));
    expect(m.min).toBeGreaterThanOrEqual(-2);
    expect(m.max).toBeLessThan(6);
    expect(Math.abs(m.mean - 2)).toBeLessThan(0.05);
    expect(await moments(init.constant(t, 0.5))).toEqual({ min: 0.5, max: 0.5, mean: 0.5, std: 0 });
    expect((await moments(init.zeros(t))).max).toBe(0);
    expect((await moments(init.ones(t))).min).toBe(1);
    t.dispose();
  });

  it('fills parameters in place, reproducibly per seed, without leaking', async () => {
    const rt = gg.runtime();
    const p = gg.zeros([30, 20], { requiresGrad: true });
    const baseline = rt.memory().liveBuffers;
    expect(init.kaimingUniform(p, { generator: new gg.Generator(9) })).toBe(p);
    const first = await p.data();
    init.kaimingUniform(p, { generator: new gg.Generator(9) });
    expect(await p.data()).toEqual(first);
    init.kaimingUniform(p, { generator: new gg.Generator(10) });
    expect(await p.data()).not.toEqual(first);
    gg.manualSeed(4);
    init.normal(p);
    const seeded = await p.data();
    gg.manualSeed(4);
    init.normal(p);
    expect(await p.data()).toEqual(seeded);
    expect(rt.memory().liveBuffers).toBe(baseline);
    p.dispose();
  });

  it('gains and fans follow PyTorch; bad input is named', () => {
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('leakyRelu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leakyRelu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(init.calculateGain('sigmoid')).toBe(1);
    const conv = gg.zeros([6, 4, 3, 5]);
    const vector = gg.zeros([7]);
    const ints = gg.zeros([3, 3], { dtype: 'i32' });
    expect(init.calculateFans(conv)).toEqual({ fanIn: 60, fanOut: 90 });
    expect(() => init.xavierUniform(vector)).toThrow(/calculateFans: fans need a tensor of rank >= 2 .*got \[7\] f32/);
    expect(() => init.normal(ints)).toThrow(/init.normal: expected dtype f32, got i32/);
    for (const t of [conv, vector, ints]) t.dispose();
  });
});
