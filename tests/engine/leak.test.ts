// 200 iterations of a small forward / backward / update loop must leave the live-buffer count where it
// started: every intermediate, gradient and temporary is released deterministically.
import { expect, it } from 'vitest';
import * as gg from '../../src/index.js';

it('keeps the live-buffer count flat over 200 training steps', async () => {
  const rt = gg.runtime();
  const baseline = rt.memory().liveBuffers;
  gg.manualSeed(1);
  const { x, labels, targets, params } = gg.scope(() => {
    const labels = gg.randint(0, 4, [16]);
    return {
      x: gg.randn([16, 8]),
      labels,
      targets: gg.oneHot(labels, 4),
      params: [gg.randn([8, 12]).mul(0.3), gg.zeros([12]), gg.randn([12, 4]).mul(0.3), gg.zeros([4])].map((p) => p.requiresGrad_()),
    };
  });
  const [w1, b1, w2, b2] = params;
  const afterSetup = rt.memory().liveBuffers;
  const losses: number[] = [];
  for (let step = 0; step < 200; step++) {
    const loss = gg.scope(() => {
      const logits = x.matmul(w1).add(b1).tanh().matmul(w2).add(b2);
      const l = logits.logSoftmax(-1).mul(targets).sum(-1).mean().neg();
      l.backward();
      gg.noGrad(() => {
        for (const p of params) {
          p.assign(p.sub(p.grad!.mul(0.5)));
          p.grad!.dispose();
          p.grad = null;
        }
      });
      return l;
    });
    if (step % 50 === 0 || step === 199) losses.push(await loss.item());
    loss.dispose();
    expect(rt.memory().liveBuffers).toBe(afterSetup);
  }
  expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
  for (const t of [x, labels, targets, ...params]) t.dispose();
  expect(rt.memory().liveBuffers).toBe(baseline);
});
