// How many optimizer steps go into one training chunk: enough that the one loss readback per chunk
// is cheap next to the work, few enough that a chunk stays near a target time and the page answers
// clicks. Adapts to the adapter: a software GPU gets one or two steps, a real GPU dozens.
import * as gg from '../src/index.js';

export class ChunkSizer {
  private readonly targetMs: number;
  private readonly maxSteps: number;
  private steps = 1;

  constructor(targetMs = 250, maxSteps = 64) {
    this.targetMs = targetMs;
    this.maxSteps = maxSteps;
  }

  /**
   * Runs `step` a chunk's worth of times; it returns the step's loss (freed here), a scalar or a few
   * numbers (a GAN's two losses, say). The means: `loss` the first, `losses` all of them.
   */
  async run(step: () => gg.Tensor): Promise<{ steps: number; loss: number; losses: number[] }> {
    const started = performance.now();
    const steps = this.steps;
    let total: gg.Tensor | null = null;
    for (let i = 0; i < steps; i++) {
      const loss = step();
      if (total) {
        const sum: gg.Tensor = gg.scope(() => total!.add(loss));
        total.dispose();
        loss.dispose();
        total = sum;
      } else {
        total = loss;
      }
    }
    const sums = await total!.data();
    total!.dispose();
    const elapsed = performance.now() - started;
    const perStep = elapsed / steps;
    this.steps = Math.max(1, Math.min(this.maxSteps, Math.round(this.targetMs / Math.max(perStep, 0.1))));
    const losses = Array.from(sums, (sum) => sum / steps);
    return { steps, loss: losses[0], losses };
  }
}
