// Training and evaluating a character-level language model, shared by the GPT (gpt.ts) and the
// char-RNN (rnn.ts): nanoGPT's recipe (AdamW with weight decay on matrices only, linear warmup then
// cosine decay, global-norm gradient clipping, gradient accumulation) on random windows of a
// TextCorpus, run through gg.trainLoop (progress lines, NaN/Inf checks) between periodic validation
// passes and checkpoints. Every batch is drawn from a stream seeded by (seed, step), so a run repeats
// exactly and a resumed run draws what the uninterrupted one would have. Evaluation reports the
// loss in nats per token, bits per character (loss / ln 2) and perplexity (exp(loss)).

import { noGrad } from '../autograd.js';
import { crossEntropy } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { AdamW, CosineWithWarmup, clipGradNorm } from '../optim/index.js';
import { loadCheckpoint, readFile, saveCheckpoint, saveFile } from '../io/index.js';
import { SeededRandom } from '../data/random.js';
import type { TextCorpus, TextSplit } from '../data/text.js';
import { tensor, zeros } from '../ops/creation.js';
import type { Generator as RandomGenerator } from '../ops/random.js';
import { Tensor, scope } from '../tensor.js';
import { formatDuration, trainLoop } from '../train.js';
import { checkGenerateOptions, checkTokens, generate, type Decoder, type GenerateOptions } from './sampling.js';

/** A module that maps token ids [B, T] (i32) to next-token logits [B, T, vocabSize], and decodes incrementally. */
export interface LanguageModel extends Module {
  /** Number of token ids (the logits' last dimension). */
  readonly vocabSize: number;
  forward(tokens: Tensor): Tensor;
  /** Incremental decoding state for `batchSize` sequences (for inference: no graph is recorded). */
  decoder(batchSize: number): Decoder;
}

/** Loss in nats per token, and the same in bits per character and as a perplexity. */
export interface Evaluation {
  /** Mean cross-entropy in nats per token. */
  loss: number;
  /** The loss in bits per character (loss / ln 2). */
  bitsPerChar: number;
  /** exp(loss). */
  perplexity: number;
  /** Tokens the loss was averaged over. */
  tokens: number;
}

/** An {@link Evaluation} from a mean loss in nats per token. */
export function evaluationOf(loss: number, tokens: number): Evaluation {
  return { loss, bitsPerChar: loss / Math.LN2, perplexity: Math.exp(loss), tokens };
}

/** 'loss L nats, B bits/char, perplexity P', for log lines. */
export function formatEvaluation(e: Evaluation): string {
  return `loss ${e.loss.toFixed(4)} nats, ${e.bitsPerChar.toFixed(3)} bits/char, perplexity ${e.perplexity.toFixed(2)}`;
}

/** Options of `evaluate`: the split, the window shape and how many windows. */
export interface EvaluateOptions {
  /** Which part of the corpus to evaluate on. */
  split: TextSplit;
  /** Windows per forward pass. */
  batchSize: number;
  /** Tokens per window. */
  blockSize: number;
  /**
   * Random windows: this many batches drawn with `seed` (nanoGPT's estimate_loss). Omitted: the
   * whole split in consecutive windows of blockSize, each token predicted once.
   */
  batches?: number;
  /** Seed of the random windows (default 0). */
  seed?: number;
}

/** The windows an evaluation runs over, as batches of host arrays. */
function* evaluationBatches(corpus: TextCorpus, o: EvaluateOptions): Generator<{ x: Int32Array; y: Int32Array; rows: number }> {
  if (o.batches !== undefined) {
    const random = new SeededRandom(o.seed ?? 0);
    for (let b = 0; b < o.batches; b++) yield { ...corpus.sampleWindows(o.split, o.batchSize, o.blockSize, random), rows: o.batchSize };
    return;
  }
  const data = corpus.split(o.split);
  const windows = Math.floor((data.length - 1) / o.blockSize);
  for (let first = 0; first < windows; first += o.batchSize) {
    const rows = Math.min(o.batchSize, windows - first);
    const x = new Int32Array(rows * o.blockSize);
    const y = new Int32Array(rows * o.blockSize);
    for (let r = 0; r < rows; r++) {
      const start = (first + r) * o.blockSize;
      x.set(data.subarray(start, start + o.blockSize), r * o.blockSize);
      y.set(data.subarray(start + 1, start + o.blockSize + 1), r * o.blockSize);
    }
    yield { x, y, rows };
  }
}

/**
 * The model's mean cross-entropy on a split, in evaluation mode without a graph (the mode is
 * restored after). Losses are summed on the GPU and read once.
 */
export async function evaluate(model: LanguageModel, corpus: TextCorpus, options: EvaluateOptions): Promise<Evaluation> {
  const wasTraining = model.training;
  model.eval();
  const total = zeros([]);
  let tokens = 0;
  try {
    for (const { x, y, rows } of evaluationBatches(corpus, options)) {
      scope(() =>
        noGrad(() => {
          const logits = model.forward(tensor(x, [rows, options.blockSize]));
          const loss = crossEntropy(logits, tensor(y, [rows, options.blockSize]), { axis: -1, reduction: 'sum' });
          total.assign(total.add(loss));
        }),
      );
      tokens += rows * options.blockSize;
    }
    if (tokens === 0) throw new Error(`evaluate: the ${options.split} split has no window of ${options.blockSize + 1} tokens`);
    return evaluationOf((await total.item()) / tokens, tokens);
  } finally {
    total.dispose();
    model.train(wasTraining);
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
  /** Receives each progress line's numbers; the default prints formatLanguageModelProgress(p). */
  onProgress?: (p: LanguageModelProgress) => void;
  /** Receives each validation pass; the default prints the train and val evaluations. */
  onEval?: (e: EvalPoint) => void;
}

/** The numbers of one progress line of `trainLanguageModel`. */
export interface LanguageModelProgress {
  /** Optimizer steps done, counting any resumed ones. */
  step: number;
  /** The run's `steps`. */
  totalSteps: number;
  /** Mean training loss since the previous line. */
  loss: number;
  /** The learning rate of the next step. */
  lr: number;
  /** Training tokens per second since the previous validation pass. */
  tokensPerSecond: number;
  /** Training seconds in this run so far (validation excluded). */
  elapsedSeconds: number;
  /** Estimated training seconds left, at this run's average rate. */
  etaSeconds: number;
}

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

/** The default progress line: step/total, loss, lr, tokens/s and ETA. */
export function formatLanguageModelProgress(p: LanguageModelProgress): string {
  const width = String(p.totalSteps).length;
  return (
    `step ${String(p.step).padStart(width)}/${p.totalSteps}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ` +
    `${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tokens/s  ETA ${formatDuration(p.etaSeconds)}`
  );
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`trainLanguageModel: ${name} must be an integer >= ${min}, got ${value}`);
}

/**
 * Trains `model` on `corpus` with nanoGPT's recipe (see the options for the defaults) and returns
 * the validation history. Progress and validation lines are printed unless onProgress / onEval are given.
 */
export async function trainLanguageModel(model: LanguageModel, corpus: TextCorpus, options: TrainLanguageModelOptions): Promise<TrainResult> {
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
  const onProgress = options.onProgress ?? ((p: LanguageModelProgress) => console.log(formatLanguageModelProgress(p)));
  const onEval = options.onEval ?? ((e: EvalPoint) => console.log(`step ${e.step}: train ${formatEvaluation(e.train)}; val ${formatEvaluation(e.val)}`));

  // nanoGPT's groups: matrices and embeddings decay, vectors (biases, norm weights) do not.
  const params = model.namedParameters();
  const groups = [{ params: params.filter(([, t]) => t.rank >= 2), weightDecay }, { params: params.filter(([, t]) => t.rank < 2), weightDecay: 0 }];
  const optimizer = new AdamW(groups.filter((group) => group.params.length > 0), { lr, betas });
  const schedule = new CosineWithWarmup(optimizer, { warmupSteps, totalSteps: Math.max(decaySteps, warmupSteps + 1), minLr: options.minLr ?? lr / 10 });
  let done = 0;
  // A missing checkpoint starts the run afresh; any other read error stops it.
  const saved = options.resume && checkpointPath ? await readFile(checkpointPath).catch(missingAsNull) : null;
  if (saved) {
    const { metadata } = await loadCheckpoint(saved, { model, optimizer });
    done = Number(metadata.step);
    schedule.loadStateDict({ lastEpoch: done, baseLrs: schedule.baseLrs });
    if (generator && metadata.generatorOffset !== undefined) generator.setState({ seed: generator.initialSeed(), offset: Number(metadata.generatorOffset) });
  }

  const firstStep = done;
  const tokensPerStep = batchSize * blockSize * accumulationSteps;
  const evals: EvalPoint[] = [];
  let trainingSeconds = 0;
  const started = performance.now();
  const validate = async (step: number) => {
    const estimate = (split: TextSplit) => evaluate(model, corpus, { split, batchSize, blockSize, batches: evalBatches, seed: seed + 1 });
    const point = { step, train: await estimate('train'), val: await estimate('val') };
    evals.push(point);
    onEval(point);
    if (checkpointPath) {
      const metadata: Record<string, string> = { step: String(step) };
      if (generator) metadata.generatorOffset = String(generator.offset);
      await saveFile(checkpointPath, await saveCheckpoint({ model, optimizer, metadata }));
    }
  };

  const trainStep = (step: number): Tensor => {
    optimizer.zeroGrad();
    let total: Tensor | null = null;
    for (let micro = 0; micro < accumulationSteps; micro++) {
      const random = new SeededRandom(seed, (step - 1) * accumulationSteps + micro);
      const { x, y } = corpus.sampleBatch('train', batchSize, blockSize, random);
      const loss = crossEntropy(model.forward(x), y, { axis: -1 }).mul(1 / accumulationSteps);
      loss.backward();
      total = total ? total.add(loss.detach()) : loss.detach();
    }
    if (gradClip > 0) clipGradNorm(params.map(([, t]) => t), gradClip);
    optimizer.step();
    schedule.step();
    return total!;
  };

  model.train();
  try {
    // A fresh run is measured before its first step; a finished one (resumed at its end) once more.
    if (firstStep === 0 || firstStep >= steps) await validate(firstStep);
    while (done < steps) {
      const chunk = Math.min(evalInterval - (done % evalInterval), steps - done);
      const offset = done;
      const history = await trainLoop({
        steps: chunk,
        step: (s) => trainStep(offset + s),
        watch: options.watchParameters ? () => model.namedParameters() : undefined,
        logEvery: options.logEvery ?? Math.max(1, Math.round(evalInterval / 20)),
        onProgress: (p) => {
          const seconds = trainingSeconds + p.elapsedSeconds;
          const stepsPerSecond = (offset + p.step - firstStep) / seconds;
          onProgress({
            step: offset + p.step,
            totalSteps: steps,
            loss: p.loss,
            lr: optimizer.lr,
            tokensPerSecond: p.stepsPerSecond * tokensPerStep,
            elapsedSeconds: seconds,
            etaSeconds: (steps - offset - p.step) / stepsPerSecond,
          });
        },
      });
      trainingSeconds += history.seconds;
      done += chunk;
      await validate(done);
    }
  } finally {
    optimizer.zeroGrad();
    optimizer.dispose();
  }
  return {
    evals,
    seconds: (performance.now() - started) / 1000,
    tokensPerSecond: trainingSeconds > 0 ? ((steps - firstStep) * tokensPerStep) / trainingSeconds : 0,
  };
}

function missingAsNull(error: Error): null {
  if (/ENOENT/.test(error.message)) return null;
  throw error;
}

/**
 * Samples a continuation of `prompt` from a language model, in evaluation mode (restored after),
 * streaming each token to options.onToken.
 */
export async function sampleText(model: LanguageModel, prompt: ArrayLike<number>, options: GenerateOptions): Promise<Int32Array[]> {
  checkTokens('sampleText', prompt, model.vocabSize);
  checkGenerateOptions('sampleText', options);
  const wasTraining = model.training;
  model.eval();
  const decoder = model.decoder(options.numSamples ?? 1);
  try {
    return await generate(decoder, prompt, options);
  } finally {
    decoder.dispose();
    model.train(wasTraining);
  }
}
