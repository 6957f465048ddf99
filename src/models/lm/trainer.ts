// Training a character-level language model, shared by the GPT (gpt.ts) and the char-RNN (rnn.ts):
// LanguageModelTrainer, a Trainer (src/train/trainer.ts) with nanoGPT's recipe (AdamW with weight decay
// on matrices only, optional linear warmup then cosine decay, global-norm gradient clipping, gradient
// accumulation over micro-batches), and trainLanguageModel, which runs it through gg.trainLoop
// (progress lines, NaN/Inf checks) on random windows of a TokenCorpus with periodic validation passes
// and checkpoints. Every batch is drawn from a stream seeded by (seed, step), so a run repeats exactly
// and a resumed run draws what the uninterrupted one would have.

import { crossEntropy } from '../../nn/losses.js';
import { AdamW, CosineWithWarmup, clipGradNorm } from '../../optim/index.js';
import { readFile, saveFile } from '../../io/index.js';
import { SeededRandom } from '../../data/random.js';
import type { TokenCorpus, TextSplit } from '../../data/text.js';
import type { Generator as RandomGenerator } from '../../ops/random.js';
import type { Tensor } from '../../tensor.js';
import { formatProgress, trainLoop, type Progress } from '../../train/index.js';
import { checkStateTensors, randomState, restoreRandom, type Losses, type Trainer, type TrainerState } from '../../train/trainer.js';
import { evaluate, formatEvaluation, type Evaluation } from './eval.js';
import type { LanguageModel } from './language-model.js';
import { loadLanguageModelCheckpoint, saveLanguageModelCheckpoint } from './checkpoint.js';
import { runtime } from '../../context.js';

/** Token windows [B, T] (i32) and their next tokens [B, T]: one micro-batch. */
export interface TokenBatch {
  /** Input token ids. */
  x: Tensor;
  /** The token after each input token. */
  y: Tensor;
}

/** Options of {@link LanguageModelTrainer}. */
export interface LanguageModelTrainerOptions {
  /** Peak learning rate (default 1e-3). */
  lr?: number;
  /** AdamW's decoupled weight decay on weight matrices and embeddings; none on biases and norms (default 0.1). */
  weightDecay?: number;
  /** AdamW's betas (default [0.9, 0.99], nanoGPT's for small models). */
  betas?: [number, number];
  /** Global gradient-norm limit; 0 turns clipping off (default 1). */
  gradClip?: number;
  /** Linear warmup then cosine decay of the learning rate (CosineWithWarmup's options); default: a constant lr. */
  schedule?: {
    /** Steps of linear warmup from 0 to the optimizer's lr. */
    warmupSteps: number;
    /** The step at which the cosine decay reaches minLr. */
    totalSteps: number;
    /** The learning rate at the end of the decay (default 0). */
    minLr?: number;
  };
  /** The generator behind the model's dropout, saved in the state so that a resumed run repeats its masks. */
  generator?: RandomGenerator;
}

/**
 * Trains a {@link LanguageModel} on next-token cross-entropy with nanoGPT's recipe. A step takes one micro-batch, or
 * several whose gradients are summed (each loss scaled by 1 / their number), and returns { loss }, the mean
 * cross-entropy in nats per token.
 */
export class LanguageModelTrainer implements Trainer<TokenBatch | readonly TokenBatch[]> {
  /** The model being trained (owned by the caller). */
  readonly model: LanguageModel;
  /** AdamW, decaying the matrices and embeddings only (nanoGPT's groups). */
  readonly optimizer: AdamW;
  /** The learning-rate schedule, or null for a constant lr. */
  readonly schedule: CosineWithWarmup | null;
  /** Global gradient-norm limit (0: no clipping). */
  readonly gradClip: number;
  /** The dropout stream saved with the state, or null. */
  readonly generator: RandomGenerator | null;
  /** Optimizer steps taken so far. */
  stepCount = 0;

  constructor(model: LanguageModel, options: LanguageModelTrainerOptions = {}) {
    const { lr = 1e-3, weightDecay = 0.1, betas = [0.9, 0.99], gradClip = 1 } = options;
    this.model = model;
    this.gradClip = gradClip;
    this.generator = options.generator ?? null;
    // nanoGPT's groups: matrices and embeddings decay, vectors (biases, norm weights) do not.
    const params = model.namedParameters();
    const groups = [{ params: params.filter(([, t]) => t.rank >= 2), weightDecay }, { params: params.filter(([, t]) => t.rank < 2), weightDecay: 0 }];
    this.optimizer = new AdamW(groups.filter((group) => group.params.length > 0), { lr, betas });
    this.schedule = options.schedule ? new CosineWithWarmup(this.optimizer, options.schedule) : null;
  }

  /** One AdamW step on the micro-batches' summed gradients, clipped; then the schedule's step. */
  step(batch: TokenBatch | readonly TokenBatch[]): Losses {
    const micro = Array.isArray(batch) ? (batch as readonly TokenBatch[]) : [batch as TokenBatch];
    this.optimizer.zeroGrad();
    let total: Tensor | null = null;
    for (const { x, y } of micro) {
      const loss = crossEntropy(this.model.forward(x), y, { axis: -1 }).mul(1 / micro.length);
      loss.backward();
      total = total ? total.add(loss.detach()) : loss.detach();
    }
    if (this.gradClip > 0) clipGradNorm(this.model.parameters(), this.gradClip);
    this.optimizer.step();
    // Host state a replayed step (gg.capture) advances too: the schedule's lr reaches the next update.
    runtime().replayable(() => {
      this.schedule?.step();
      this.stepCount++;
    });
    return { loss: total! };
  }

  namedParameters(): [string, Tensor][] {
    return this.model.namedParameters();
  }

  /** The model, AdamW's state, the dropout stream and the step count (the schedule follows the step count). */
  stateDict(): TrainerState {
    return {
      model: this.model.stateDict(),
      optimizer: this.optimizer.stateDict(),
      hyperparameters: this.optimizer.hyperparameters(),
      step: this.stepCount,
      counters: {},
      random: this.generator ? { dropout: randomState(this.generator) } : {},
      settings: {},
    };
  }

  async loadStateDict(state: TrainerState): Promise<void> {
    const owner = 'LanguageModelTrainer.loadStateDict';
    checkStateTensors(owner, this.model.stateDict(), state.model);
    if (this.generator && !state.random.dropout) throw new Error(`${owner}: the state has no random stream 'dropout'`);
    await this.optimizer.loadStateDict(state.optimizer, state.hyperparameters as ReturnType<AdamW['hyperparameters']>);
    this.model.loadStateDict(state.model);
    if (this.generator) restoreRandom(owner, { dropout: this.generator }, state.random);
    this.stepCount = state.step;
    this.schedule?.loadStateDict({ lastEpoch: state.step, baseLrs: this.schedule.baseLrs });
  }

  /** Frees AdamW's state (the model is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Options of `trainLanguageModel` (nanoGPT's names in camelCase). */
export interface TrainLanguageModelOptions {
  /** Optimizer steps (nanoGPT's max_iters). */
  steps: number;
  /** Windows per micro-batch. */
  batchSize: number;
  /** Tokens per window (the context length trained). */
  blockSize: number;
  /** Peak learning rate (default 1e-3). */
  lr?: number;
  /** The learning rate the cosine decays to (default lr / 10). */
  minLr?: number;
  /** Steps of linear warmup (default 100, or a tenth of the steps when fewer). */
  warmupSteps?: number;
  /** Steps over which the cosine decays (default: all of them). */
  decaySteps?: number;
  /** AdamW's decoupled weight decay on weight matrices and embeddings; none on biases and norms (default 0.1). */
  weightDecay?: number;
  /** AdamW's betas (default [0.9, 0.99], nanoGPT's for small models). */
  betas?: [number, number];
  /** Global gradient-norm limit; 0 turns clipping off (default 1). */
  gradClip?: number;
  /** Micro-batches whose gradients are summed per step (default 1): an effective batch of batchSize * this. */
  accumulationSteps?: number;
  /** Seeds the batch windows (default 1337). The model's weights and dropout take their own generator. */
  seed?: number;
  /** Steps between validation passes (and checkpoints); one always runs at the start and the end (default 250). */
  evalInterval?: number;
  /** Random batches per validation estimate (default 20). */
  evalBatches?: number;
  /** Steps between progress lines (default: about 20 per evaluation interval). */
  logEvery?: number;
  /**
   * Check every parameter and gradient for NaN/Inf after each step and name the first bad one (one
   * small kernel per tensor per step); by default only the loss is checked.
   */
  watchParameters?: boolean;
  /** Write a checkpoint here (model, optimizer, step) after each validation pass. */
  checkpointPath?: string;
  /** Continue from the checkpoint at checkpointPath when it exists. */
  resume?: boolean;
  /** The generator behind the model's dropout, saved in checkpoints so that a resumed run repeats its masks. */
  generator?: RandomGenerator;
  /** Receives each progress line's numbers; the default prints formatProgress(p). */
  onProgress?: (p: LanguageModelProgress) => void;
  /** Receives each validation pass; the default prints the train and val evaluations. */
  onEval?: (e: EvalPoint) => void;
}

/** The numbers of one progress line of `trainLanguageModel`: trainLoop's, in tokens, with the next step's learning rate as metrics.lr. */
export type LanguageModelProgress = Progress;

/** One validation pass: estimates on both splits at a step. */
export interface EvalPoint {
  /** Optimizer steps done when it ran. */
  step: number;
  /** Estimate on the training split. */
  train: Evaluation;
  /** Estimate on the validation split. */
  val: Evaluation;
}

/** What `trainLanguageModel` returns. */
export interface TrainResult {
  /** Every validation pass of the run, in order. */
  evals: EvalPoint[];
  /** Wall-clock seconds of the run, validation included. */
  seconds: number;
  /** Training tokens per second over the run (evaluation time excluded). */
  tokensPerSecond: number;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`trainLanguageModel: ${name} must be an integer >= ${min}, got ${value}`);
}

/**
 * Trains `model` on `corpus` with nanoGPT's recipe (see the options for the defaults) through a
 * LanguageModelTrainer and trainLoop, and returns the validation history. Progress and validation
 * lines are printed unless onProgress / onEval are given.
 */
export async function trainLanguageModel(model: LanguageModel, corpus: TokenCorpus, options: TrainLanguageModelOptions): Promise<TrainResult> {
  const { steps, batchSize, blockSize, lr = 1e-3, weightDecay = 0.1, betas = [0.9, 0.99], gradClip = 1 } = options;
  const { accumulationSteps = 1, seed = 1337, evalInterval = 250, evalBatches = 20, checkpointPath, generator } = options;
  checkCount('steps', steps, 1);
  checkCount('batchSize', batchSize, 1);
  checkCount('blockSize', blockSize, 1);
  checkCount('accumulationSteps', accumulationSteps, 1);
  checkCount('evalInterval', evalInterval, 1);
  checkCount('evalBatches', evalBatches, 1);
  const warmupSteps = options.warmupSteps ?? Math.min(100, Math.floor(steps / 10));
  const decaySteps = options.decaySteps ?? steps;
  const onProgress = options.onProgress ?? ((p: LanguageModelProgress) => console.log(formatProgress(p)));
  const onEval = options.onEval ?? ((e: EvalPoint) => console.log(`step ${e.step}: train ${formatEvaluation(e.train)}; val ${formatEvaluation(e.val)}`));
  const schedule = { warmupSteps, totalSteps: Math.max(decaySteps, warmupSteps + 1), minLr: options.minLr ?? lr / 10 };
  const trainer = new LanguageModelTrainer(model, { lr, weightDecay, betas, gradClip, schedule, generator });
  try {
    // A missing checkpoint starts the run afresh; any other read error stops it.
    const saved = options.resume && checkpointPath ? await readFile(checkpointPath).catch(missingAsNull) : null;
    if (saved) await loadLanguageModelCheckpoint(saved, trainer);
    const firstStep = trainer.stepCount;
    const tokensPerStep = batchSize * blockSize * accumulationSteps;
    const evals: EvalPoint[] = [];
    const started = performance.now();
    const validate = async (step: number) => {
      const estimate = (split: TextSplit) => evaluate(model, corpus, { split, batchSize, blockSize, batches: evalBatches, seed: seed + 1 });
      const point = { step, train: await estimate('train'), val: await estimate('val') };
      evals.push(point);
      onEval(point);
      if (checkpointPath) await saveFile(checkpointPath, await saveLanguageModelCheckpoint(trainer));
    };
    model.train();
    // A fresh run is measured before its first step; a finished one (resumed at its end) once more.
    if (firstStep === 0 || firstStep >= steps) await validate(firstStep);
    let trainingSeconds = 0;
    if (firstStep < steps) {
      const history = await trainLoop({
        trainer,
        batches: (step: number) =>
          Array.from({ length: accumulationSteps }, (_, micro) =>
            corpus.sampleBatch('train', batchSize, blockSize, new SeededRandom(seed, (step - 1) * accumulationSteps + micro)),
          ),
        steps,
        startStep: firstStep,
        examplesPerStep: tokensPerStep,
        unit: 'tokens',
        watch: options.watchParameters ? () => model.namedParameters() : undefined,
        logEvery: options.logEvery ?? Math.max(1, Math.round(evalInterval / 20)),
        evaluate: validate,
        evaluateEvery: evalInterval,
        onProgress: (p) => onProgress({ ...p, metrics: { ...p.metrics, lr: trainer.optimizer.lr } }),
      });
      trainingSeconds = history.seconds;
    }
    return {
      evals,
      seconds: (performance.now() - started) / 1000,
      tokensPerSecond: trainingSeconds > 0 ? ((steps - firstStep) * tokensPerStep) / trainingSeconds : 0,
    };
  } finally {
    model.zeroGrad();
    trainer.dispose();
  }
}

function missingAsNull(error: Error): null {
  if (/ENOENT/.test(error.message)) return null;
  throw error;
}
