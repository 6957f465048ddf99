// The training loop: drives a Trainer (or a plain step function) over batches, averages every named
// loss, shows progress (formatProgress) and stops on the first NaN or Inf, naming the step and the
// tensor. The checks and the loss sums stay on the GPU (shaders/finite_check.wgsl); JS reads them
// only at progress lines and evaluations. A trainer's steps are captured and replayed (capture.ts)
// when its batches are tensors.

import { noGrad } from '../autograd.js';
import { Tensor, scope } from '../tensor.js';
import { zeros } from '../ops/creation.js';
import { concat } from '../ops/indexing.js';
import { NonFiniteError, recordNonFinite } from '../ops/checks.js';
import { formatProgress, type Progress } from './progress.js';
import type { Losses, Trainer } from './trainer.js';
import { capture, type CapturedFunction } from './capture.js';

export { NonFiniteError };

/**
 * Where a run's batches come from: a function of the step number (called inside the step's scope, so the batch is
 * freed with it), or an iterable such as gg.data.batches(dataset, ...) or a DataLoader.
 */
export type BatchSource<Batch> = ((step: number) => Batch) | Iterable<Batch>;

/** The settings of `trainLoop` shared by both ways of giving it steps. */
export interface LoopSettings {
  /** The step the run ends at (a positive integer; with startStep, the number of steps is steps - startStep). */
  steps: number;
  /** Steps already taken by a run this one continues (default 0): steps are numbered from startStep + 1. */
  startStep?: number;
  /** Named tensors to check for NaN/Inf after every step, with their gradients (e.g. trainer.namedParameters()). */
  watch?: () => Iterable<[string, Tensor]>;
  /**
   * Records a trainer's step and replays it (gg.capture) instead of running its op code each time (default true):
   * the same results bit for bit, for a fraction of the CPU time. Applies when every batch is made of tensors (a
   * tensor, or lists and plain objects of them); a step that cannot be replayed runs eagerly, and the next progress
   * line says why, once.
   */
  capture?: boolean;
  /** For the examples/s figure (e.g. the batch size, or the tokens per step). */
  examplesPerStep?: number;
  /** What examplesPerStep counts, for the progress line (default 'ex'). */
  unit?: string;
  /** Steps between progress lines (default: about 20 lines per run). */
  logEvery?: number;
  /**
   * Runs between steps every `evaluateEvery` steps and after the last one, outside the timing (e.g. a validation
   * pass); the numbers it returns join the next progress line's metrics.
   */
  evaluate?: (step: number) => Promise<Record<string, number> | void> | Record<string, number> | void;
  /** Steps between evaluations (default logEvery). */
  evaluateEvery?: number;
  /**
   * Receives each progress line's numbers (default: prints formatProgress(p)); awaited, outside the timing. Returning
   * 'stop' ends the run after this line.
   */
  onProgress?: (progress: Progress) => unknown;
}

/** Options of `trainLoop`: a trainer with its batches, or a plain step function. */
export type TrainLoopOptions<Batch = unknown> = LoopSettings &
  (
    | {
        /** What takes the steps: trainLoop calls only its step(). */
        trainer: Pick<Trainer<Batch>, 'step'>;
        /** The batch of each step. */
        batches: BatchSource<Batch>;
      }
    | {
        /**
         * One training step (forward, backward, update), run inside a memory scope; returns the scalar loss, reported
         * as 'loss'. `step` counts from startStep + 1.
         */
        step: (step: number) => Tensor;
      }
  );

/** What `trainLoop` returns: the losses at each progress line and the run's duration. */
export interface TrainHistory {
  /** (step, mean of each named loss since the previous point) at each progress line. */
  points: {
    /** The step of the progress line. */
    step: number;
    /** Mean of each named loss over the steps since the previous point. */
    losses: Record<string, number>;
  }[];
  /** Steps run (fewer than asked when onProgress stopped the run). */
  steps: number;
  /** Seconds of training (evaluation and progress callbacks excluded). */
  seconds: number;
}

/** Records, on the GPU, the first (step, tensor) holding a non-finite value. */
class FiniteWatch {
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

/** How a named loss is called in NaN reports: 'the loss', 'the discriminator loss'. */
function lossLabel(name: string): string {
  return name === 'loss' ? 'the loss' : `the ${name} loss`;
}

/** A plain step function as a trainer whose batch is the step number. */
function stepFunctionTrainer(step: (step: number) => Tensor): Pick<Trainer<number>, 'step'> {
  return {
    step: (n) => {
      const loss = step(n);
      if (!(loss instanceof Tensor) || loss.size !== 1) {
        const got = loss instanceof Tensor ? `a tensor of shape [${loss.shape.join(', ')}]` : String(loss);
        throw new Error(`trainLoop: the step function must return the scalar loss tensor, got ${got} (step ${n})`);
      }
      return { loss };
    },
  };
}

/** The batch of each step from a BatchSource, and a way to let go of an iterable's iterator. */
function batchReader<Batch>(source: BatchSource<Batch>): { next: (step: number) => Batch; close: () => void } {
  if (typeof source === 'function') return { next: source, close: () => {} };
  const iterator = source[Symbol.iterator]();
  let taken = 0;
  return {
    next: () => {
      const item = iterator.next();
      if (item.done) throw new Error(`trainLoop: the batches ran out after ${taken} steps`);
      taken++;
      return item.value;
    },
    close: () => void iterator.return?.(),
  };
}

/** The losses of a step, checked: named scalar tensors, the same names every step. */
function checkedLosses(losses: Losses, names: string[] | null, step: number): Losses {
  const entries = losses && typeof losses === 'object' ? Object.entries(losses) : [];
  const bad = entries.find(([, t]) => !(t instanceof Tensor) || t.size !== 1);
  if (entries.length === 0 || bad) {
    const got = bad ? `'${bad[0]}': ${bad[1] instanceof Tensor ? `a tensor of shape [${bad[1].shape.join(', ')}]` : String(bad[1])}` : String(losses);
    throw new Error(`trainLoop: the trainer's step must return named scalar loss tensors, got ${got} (step ${step})`);
  }
  if (names && entries.map(([name]) => name).join() !== names.join()) {
    throw new Error(`trainLoop: the trainer's step returned the losses ${entries.map(([name]) => name).join(', ')} at step ${step}, ${names.join(', ')} before`);
  }
  return losses;
}

/**
 * A trainer's steps through gg.capture: its batch's tensors become the captured function's arguments,
 * and the batch is rebuilt around them (the same lists and objects) for the trainer. A batch of
 * another layout starts a new capture.
 */
class ReplayedSteps<Batch> {
  private captured: CapturedFunction<Tensor[], Losses> | null = null;
  private layout = '';
  private template: unknown = null;
  private readonly trainer: Pick<Trainer<Batch>, 'step'>;
  private readonly onFallback: (message: string) => void;
  constructor(trainer: Pick<Trainer<Batch>, 'step'>, onFallback: (message: string) => void) {
    this.trainer = trainer;
    this.onFallback = onFallback;
  }

  /** The step's losses, replayed where it can be; null for a batch not made of tensors (run it eagerly). */
  step(batch: Batch): Losses | null {
    const tensors: Tensor[] = [];
    const layout = batchLayout(batch, tensors);
    if (layout === null) return null;
    if (layout !== this.layout) {
      this.captured?.dispose();
      this.layout = layout;
      this.template = batch;
      this.captured = capture((...args: Tensor[]) => this.trainer.step(rebuildBatch(this.template, args.values()) as Batch), { onFallback: this.onFallback });
    }
    return this.captured!(...tensors);
  }

  dispose(): void {
    this.captured?.dispose();
  }
}

/** The layout of a batch made of tensors ('T', '[T,T]', '{x:T,y:T}'), collecting them in order; null for anything else. */
function batchLayout(batch: unknown, tensors: Tensor[]): string | null {
  if (batch instanceof Tensor) {
    tensors.push(batch);
    return 'T';
  }
  const parts = Array.isArray(batch)
    ? batch.map((item) => batchLayout(item, tensors))
    : batch !== null && typeof batch === 'object' && Object.getPrototypeOf(batch) === Object.prototype
      ? Object.entries(batch).map(([key, item]) => { const inner = batchLayout(item, tensors); return inner === null ? null : `${JSON.stringify(key)}:${inner}`; })
      : null;
  if (parts === null || parts.includes(null)) return null;
  return Array.isArray(batch) ? `[${parts.join()}]` : `{${parts.join()}}`;
}

/** `template`'s lists and objects with its tensors replaced, in order, by `tensors`. */
function rebuildBatch(template: unknown, tensors: Iterator<Tensor>): unknown {
  if (template instanceof Tensor) return tensors.next().value;
  if (Array.isArray(template)) return template.map((item) => rebuildBatch(item, tensors));
  return Object.fromEntries(Object.entries(template as object).map(([key, item]) => [key, rebuildBatch(item, tensors)]));
}

/**
 * Runs steps startStep + 1 ... steps, each in a memory scope, and reports progress every `logEvery` steps. The loss
 * sums and the NaN/Inf checks stay on the GPU and are read only at progress lines and evaluations, so a non-finite
 * loss, watched tensor or gradient throws a {@link NonFiniteError} (naming its first step and tensor) there.
 */
export async function trainLoop<Batch>(options: TrainLoopOptions<Batch>): Promise<TrainHistory> {
  const { steps, startStep = 0, examplesPerStep = 0, unit = 'ex' } = options;
  if (!Number.isInteger(startStep) || startStep < 0) throw new Error(`trainLoop: startStep must be an integer >= 0, got ${startStep}`);
  if (!Number.isInteger(steps) || steps <= startStep) throw new Error(`trainLoop: steps must be an integer > startStep (${startStep}), got ${steps}`);
  const logEvery = options.logEvery ?? Math.max(1, Math.round((steps - startStep) / 20));
  const evaluateEvery = options.evaluateEvery ?? logEvery;
  const onProgress = options.onProgress ?? ((p: Progress) => console.log(formatProgress(p)));
  const trainer: Pick<Trainer<Batch>, 'step'> = 'trainer' in options ? options.trainer : (stepFunctionTrainer(options.step) as Pick<Trainer<unknown>, 'step'>);
  // Why replays were refused, for the next progress line.
  const warnings: string[] = [];
  const replayed = 'trainer' in options && options.capture !== false ? new ReplayedSteps(trainer, (message) => warnings.push(message)) : null;
  const batches = batchReader<Batch>('trainer' in options ? options.batches : (((step: number) => step) as (step: number) => Batch));
  const watch = new FiniteWatch();
  let names: string[] | null = null;
  let sums: Tensor | null = null;
  let metrics: Record<string, number> = {};
  const history: TrainHistory = { points: [], steps: 0, seconds: 0 };
  let trainingMs = 0;
  let resumed = performance.now();
  let stepsSinceLog = 0;
  try {
    for (let step = startStep + 1; step <= steps; step++) {
      scope(() => {
        const batch = batches.next(step);
        const losses = checkedLosses(replayed?.step(batch) ?? trainer.step(batch), names, step);
        names ??= Object.keys(losses);
        for (const name of names) watch.check(losses[name], lossLabel(name), step);
        for (const [name, t] of options.watch?.() ?? []) {
          if (t.grad) watch.check(t.grad, `the gradient of ${name}`, step);
          watch.check(t, name, step);
        }
        noGrad(() => {
          const values = names!.map((name) => losses[name].reshape([1]));
          sums ??= zeros([values.length]).keep();
          sums.assign(sums.add(values.length === 1 ? values[0] : concat(values)));
        });
      });
      stepsSinceLog++;
      history.steps++;
      const logs = step % logEvery === 0 || step === steps;
      const evaluates = options.evaluate !== undefined && (step % evaluateEvery === 0 || step === steps);
      if (!logs && !evaluates) continue;
      // The watch's read waits for the GPU to finish the steps queued so far: their time counts too (replayed
      // steps queue far faster than the GPU runs them).
      const bad = await watch.firstBad();
      trainingMs += performance.now() - resumed;
      if (bad) throw new NonFiniteError(bad.step, bad.name);
      if (evaluates) metrics = { ...metrics, ...((await options.evaluate!(step)) ?? {}) };
      if (logs) {
        const means = Array.from(await sums!.data(), (sum) => sum / stepsSinceLog);
        const losses = Object.fromEntries(names!.map((name, i) => [name, means[i]]));
        scope(() => void sums!.assign(zeros([names!.length])));
        stepsSinceLog = 0;
        const elapsedSeconds = trainingMs / 1000;
        const stepsPerSecond = (step - startStep) / elapsedSeconds;
        history.points.push({ step, losses });
        const progress: Progress = {
          step,
          totalSteps: steps,
          losses,
          metrics,
          warnings: warnings.splice(0),
          unit,
          examplesPerSecond: examplesPerStep * stepsPerSecond,
          stepsPerSecond,
          elapsedSeconds,
          etaSeconds: (steps - step) / stepsPerSecond,
        };
        metrics = {};
        if ((await onProgress(progress)) === 'stop') break;
      }
      resumed = performance.now();
    }
  } finally {
    batches.close();
    replayed?.dispose();
    watch.dispose();
    (sums as Tensor | null)?.dispose();
  }
  history.seconds = trainingMs / 1000;
  return history;
}
