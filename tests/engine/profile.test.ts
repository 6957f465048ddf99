// gg.profile: GPU time per dispatch from timestamp queries, in recording order, grouped by kernel;
// results are unchanged by profiling, and misuse says what went wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

describe('profile', () => {
  // Counts hand-written kernels' dispatches, so it runs unfused (tests/setup.ts may turn fusion on).
  let fusion = false;
  beforeAll(() => {
    fusion = gg.isFusionEnabled();
    gg.setFusion(false);
  });
  afterAll(() => gg.setFusion(fusion));

  it('times each dispatch and groups them by kernel', async () => {
    const x = gg.randn([64, 33]);
    let values: number[] = [];
    const profile = await gg.profile(async () => {
      const y = gg.scope(() => x.exp().add(1).matmul(x.T).exp());
      values = Array.from(await y.data());
      y.dispose();
    });
    expect(profile.dispatches.map((d) => d.kernel.replace(/\(.*\)|_\d.*/, ''))).toEqual(['unary', 'unary', 'copy', 'matmul', 'unary']);
    for (const d of profile.dispatches) expect(d.ms).toBeGreaterThanOrEqual(0);
    const shares = profile.byKernel();
    expect(shares.reduce((n, s) => n + s.calls, 0)).toBe(5);
    expect(shares.find((s) => s.kernel === 'unary(op_exp)')!.calls).toBe(2);
    expect(profile.totalMs).toBeCloseTo(shares.reduce((t, s) => t + s.ms, 0), 9);
    expect(profile.table()).toMatch(/5 dispatches/);
    // Profiling changes how work is split into passes, never the results.
    const plain = gg.scope(() => x.exp().add(1).matmul(x.T).exp());
    expect(Array.from(await plain.data())).toEqual(values);
    plain.dispose();
    x.dispose();
  });

  it('reports a profile already recording, and stopping one that is not', async () => {
    const rt = gg.runtime();
    await expect(gg.profile(() => gg.profile(() => {}))).rejects.toThrow(/a profile is already recording/);
    await expect(rt.stopProfile()).rejects.toThrow(/no profile is recording/);
  });

  it('stops the profile when the recorded function throws', async () => {
    await expect(gg.profile(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    const again = await gg.profile(() => gg.scope(() => gg.ones([3]).exp()));
    expect(again.dispatches.length).toBeGreaterThan(0);
  });
});
