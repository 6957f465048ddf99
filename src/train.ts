// A training-loop helper: runs a step function, shows progress (step, loss, examples/s, ETA) and
// stops on the first NaN or Inf, naming the step and the tensor. The checks and the loss average
// stay on the GPU (shaders/finite_check.wgsl); JS reads them only when it prints a progress line.

import { noGrad } from './autograd.js';
import { Tensor, scope } from './tensor.js';
import { zeros } from './ops/creation.js';
import { NonFiniteError, recordNonFinite } from './ops/checks.js';

export { NonFiniteError };

/** The numbers of one progress line of `trainLoop`. */
export interface Progress {
  /** The step just finished (counted from 1). */
  step: number;
  /** The run's `steps`. */
  totalSteps: number;
  /** Mean loss over the steps since the previous progress line. */
  loss: number;
  /** Average since the start: `examplesPerStep` times the steps per second (0 without `examplesPerStep`). */
  examplesPerSecond: number;
  /** Average since the start of the run. */
  stepsPerSecond: number;
  /** Wall-clock seconds since the start of the run. */
  elapsedSeconds: number;
  /** Estimated seconds left, at the average rate so far. */
  etaSeconds: number;
}

/** Options of `trainLoop`. */
export interface TrainLoopOptions {
  /** How many steps to run (a positive integer). */
  steps: number;
  /**
   * One training step (forward, backward, update), run inside a memory scope. Returns the scalar loss.
   * `step` counts from 1.
   */
  step: (step: number) => Tensor;
  /** Named tensors to check for NaN/Inf after every step, with their gradients (e.g. model.namedParameters()). */
  watch?: () => Iterable<[string, Tensor]>;
  /** For the examples/s figure (e.g. the batch size). */
  examplesPerStep?: number;
  /** Steps between progress lines (default: about 20 lines per run). */
  logEvery?: number;
  /** Receives each progress line's numbers; the default prints formatProgress(p). */
  onProgress?: (progress: Progress) => void;
}

/** What `trainLoop` returns: the loss at each progress line and the run's duration. */
export interface TrainHistory {
  /** (step, mean loss since the previous point) at each progress line. */
  points: {
    /** The step of the progress line (counted from 1). */
    step: number;
    /** Mean loss over the steps since the previous point. */
    loss: number;
  }[];
  /** Wall-clock seconds of the whole run. */
  seconds: number;
}

/** Formats seconds for a progress line: '42s', '3m07s' or '1h05m' ('?' when not finite). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The default progress line: step/total, loss, examples/s (or steps/s without examplesPerStep) and ETA. */
export function formatProgress(p: Progress): string {
  const width = String(p.totalSteps).length;
  const rate = p.examplesPerSecond > 0 ? `${Math.round(p.examplesPerSecond).toLocaleString('en-US')} ex/s` : `${p.stepsPerSecond.toFixed(1)} steps/s`;
  return `step ${String(p.step).padStart(width)}/${p.totalSteps}  loss ${p.loss.toFixed(4)}  ${rate}  ETA ${formatDuration(p.etaSeconds)}`;
}

/**
 * Records, on the GPU, the first (step, tensor) holding a non-finite value. Used by trainLoop and by
 * training loops of their own (the GAN trainer's two losses).
 */
export class FiniteWatch {
  private readonly flag = zeros([2], { dtype: 'u32' });
  private readonly names: string[] = [];

  check(t: Tensor, name: string, step: number): void {
    if (t.dtype !== 'f32' || t.size === 0) return;
    let index = this.names.indexOf(name);
    if (index < 0) index = this.names.push(name) - 1;
    recordNonFinite(t, this.flag.buffer, step + 1, index);
  }

  /**
   * The first bad (step, name), or null. Reads the GPU, and so also hears from the optimizers' own
   * watch (a NonFiniteError that the read throws): the earlier of the two is returned, this watch's
   * at a tie, since a loss names the cause more plainly than the gradient it produced.
   */
  async firstBad(): Promise<{ step: number; name: string } | null> {
    let reported: NonFiniteError | null = null;
    let words: Uint32Array | Int32Array | Float32Array;
    try {
      words = (await this.flag.data()) as Uint32Array;
    } catch (error) {
      if (!(error instanceof NonFiniteError)) throw error;
      reported = error;
      words = (await this.flag.data()) as Uint32Array;
    }
    const [stepPlusOne, index] = words;
    const own = stepPlusOne === 0 ? null : { step: stepPlusOne - 1, name: this.names[index] };
    if (reported && (!own || reported.step < own.step)) return { step: reported.step, name: reported.tensorName };
    return own;
  }

  dispose(): void {
    this.flag.dispose();
  }
}

/**
 * Runs `steps` training steps, each in a memory scope, and reports progress every `logEvery` steps. The loss average
 * and the NaN/Inf checks stay on the GPU and are read only at progress lines, so a non-finite value throws a {@link
 * NonFiniteError} (naming its first step and tensor) at the next progress line.
 */
export async function trainLoop(options: TrainLoopOptions): Promise<TrainHistory> {
  const { steps, examplesPerStep = 0 } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`trainLoop: steps must be a positive integer, got ${steps}`);
  const logEvery = options.logEvery ?? Math.max(1, Math.round(steps / 20));
  const onProgress = options.onProgress ?? ((p: Progress) => console.log(formatProgress(p)));
  const watch = new FiniteWatch();
  const lossSum = zeros([]);
  const history: TrainHistory = { points: [], seconds: 0 };
  const started = performance.now();
  let stepsSinceLog = 0;
  try {
    for (let step = 1; step <= steps; step++) {
      scope(() => {
        const loss = options.step(step);
        if (!(loss instanceof Tensor) || loss.size !== 1) {
          const got = loss instanceof Tensor ? `a tensor of shape [${loss.shape.join(', ')}]` : String(loss);
          throw new Error(`trainLoop: the step function must return the scalar loss tensor, got ${got} (step ${step})`);
        }
        watch.check(loss, 'the loss', step);
        for (const [name, t] of options.watch?.() ?? []) {
          if (t.grad) watch.check(t.grad, `the gradient of ${name}`, step);
          watch.check(t, name, step);
        }
        noGrad(() => lossSum.assign(lossSum.add(loss.reshape([]))));
      });
      stepsSinceLog++;
      if (step % logEvery === 0 || step === steps) {
        const bad = await watch.firstBad();
        if (bad) throw new NonFiniteError(bad.step, bad.name);
        const loss = (await lossSum.item()) / stepsSinceLog;
        scope(() => lossSum.assign(zeros([])));
        stepsSinceLog = 0;
        const elapsed = (performance.now() - started) / 1000;
        const stepsPerSecond = step / elapsed;
        history.points.push({ step, loss });
        onProgress({
          step,
          totalSteps: steps,
          loss,
          examplesPerSecond: examplesPerStep * stepsPerSecond,
          stepsPerSecond,
          elapsedSeconds: elapsed,
          etaSeconds: (steps - step) / stepsPerSecond,
        });
      }
    }
  } finally {
    watch.dispose();
    lossSum.dispose();
  }
  history.seconds = (performance.now() - started) / 1000;
  return history;
}
