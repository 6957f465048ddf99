// The training-loop helper: progress lines with a falling loss, and NaN/Inf caught at the exact step
// where it first appears, naming the tensor, although the GPU is read only at progress lines.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

describe('trainLoop', () => {
  it('reports step, mean loss, throughput and ETA while the loss falls', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = gg.linspace(-1, 1, 32);
    const y = gg.scope(() => x.mul(3).add(0.5));
    const a = gg.zeros([1], { requiresGrad: true });
    const b = gg.zeros([1], { requiresGrad: true });
    const lines: gg.Progress[] = [];
    const history = await gg.trainLoop({
      steps: 40,
      logEvery: 10,
      examplesPerStep: 32,
      onProgress: (p) => lines.push(p),
      watch: () => [['a', a], ['b', b]],
      step: () => {
        for (const p of [a, b]) {
          p.grad?.dispose();
          p.grad = null;
        }
        const loss = x.mul(a).add(b).sub(y).square().mean();
        loss.backward();
        gg.noGrad(() => [a, b].forEach((p) => p.assign(p.sub(p.grad!.mul(0.4)))));
        return loss;
      },
    });
    expect(lines.map((p) => p.step)).toEqual([10, 20, 30, 40]);
    expect(lines[3].losses.loss).toBeLessThan(lines[0].losses.loss * 0.1);
    expect(lines[1].examplesPerSecond).toBeGreaterThan(0);
    expect(lines[3].etaSeconds).toBe(0);
    expect(history.points).toHaveLength(4);
    expect(gg.formatProgress(lines[0])).toMatch(/^step 10\/40  loss \d+\.\d{4}  [\d,]+ ex\/s  ETA \d+s$/);
    for (const t of [x, y, a, b]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('stops at the first non-finite step and names the gradient', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const p = gg.ones([5], { requiresGrad: true });
    let calls = 0;
    const run = gg.trainLoop({
      steps: 30,
      logEvery: 10,
      onProgress: () => {},
      watch: () => [['layer.weight', p]],
      step: (step) => {
        calls++;
        p.grad?.dispose();
        p.grad = null;
        // At step 7 one input is 0: sqrt(0) * 0 keeps the loss finite but its gradient is 0 * inf = NaN.
        const input = step === 7 ? gg.tensor([1, 0, 1, 1, 1]) : gg.ones([5]);
        const loss = p.mul(input).sqrt().mul(0).sum();
        loss.backward();
        return loss;
      },
    });
    await expect(run).rejects.toThrow('training stopped: the gradient of layer.weight became NaN or Inf at step 7');
    await expect(run).rejects.toBeInstanceOf(gg.NonFiniteError);
    expect(calls).toBe(10); // detected at the first progress line, reported for step 7
    p.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('formats durations', () => {
    expect(gg.formatDuration(5.4)).toBe('5s');
    expect(gg.formatDuration(125)).toBe('2m05s');
    expect(gg.formatDuration(3725)).toBe('1h02m');
  });
});
