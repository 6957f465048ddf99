// How many optimizer steps go into one training chunk: enough that the one loss readback per chunk
// is cheap next to the work, few enough that a chunk stays near a target time and the page answers
// clicks. Adapts to the adapter: a software GPU gets one or two steps, a real GPU dozens. And a
// whole run of the engine's (a fit method built on trainLoop) taken a chunk at a time.
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

/** What one chunk of a {@link ChunkedRun} did. */
export interface RunChunk {
  /** The progress lines of the chunk's steps. */
  progress: gg.Progress[];
  /** True once the run has ended (its last step done, or stopped). */
  finished: boolean;
}

/**
 * A run that reports progress through trainLoop's onProgress (GaussianForecaster.fit, say), taken a
 * chunk at a time: the callback hands control back to the page once a chunk's time is up, and waits
 * there, between steps, for the next chunk or a stop. So a page drives the engine's own run and
 * pauses between chunks like any other page, without a copy of the run's training step.
 */
export class ChunkedRun {
  private readonly begin: (onProgress: (progress: gg.Progress) => Promise<'stop' | undefined>) => Promise<unknown>;
  private readonly targetMs: number;
  /** Settles (to null) when the run ends; rejects with its error. */
  private ended: Promise<null> | null = null;
  private finished = false;
  /** Lets the run, waiting in its callback, go on ('go') or end ('stop'). */
  private release: ((verdict: 'go' | 'stop') => void) | null = null;
  private chunk: { progress: gg.Progress[]; started: number; report: () => void } | null = null;

  /** `begin` starts the run with the callback to report progress to (and returns its promise). */
  constructor(begin: (onProgress: (progress: gg.Progress) => Promise<'stop' | undefined>) => Promise<unknown>, targetMs = 250) {
    this.begin = begin;
    this.targetMs = targetMs;
  }

  /** Runs the next chunk: until a progress line comes at least targetMs after it began, or the run ends. */
  async next(): Promise<RunChunk> {
    if (this.finished) return { progress: [], finished: true };
    const progress: gg.Progress[] = [];
    const reported = new Promise<'chunk'>((resolve) => (this.chunk = { progress, started: performance.now(), report: () => resolve('chunk') }));
    if (this.ended) this.go('go');
    else this.ended = this.begin((line) => this.onProgress(line)).then(() => null);
    if ((await Promise.race([reported, this.ended])) === null) this.finished = true;
    return { progress, finished: this.finished };
  }

  /** Ends a run that waits between chunks, and resolves once it has finished (and freed what it holds). */
  async stop(): Promise<void> {
    if (!this.ended || this.finished) return;
    this.go('stop');
    await this.ended.catch(() => null);
    this.finished = true;
  }

  private go(verdict: 'go' | 'stop'): void {
    const release = this.release;
    this.release = null;
    release?.(verdict);
  }

  private async onProgress(line: gg.Progress): Promise<'stop' | undefined> {
    const chunk = this.chunk!;
    chunk.progress.push(line);
    if (line.step >= line.totalSteps || performance.now() - chunk.started < this.targetMs) return undefined;
    const verdict = new Promise<'go' | 'stop'>((resolve) => (this.release = resolve));
    chunk.report();
    return (await verdict) === 'stop' ? 'stop' : undefined;
  }
}
