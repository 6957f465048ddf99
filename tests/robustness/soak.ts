// The leak soak shared by bench/robustness/leak-soak.ts (1000 steps of each trainer) and
// tests/robustness/leak-soak.test.ts (the quick CI form): every model trainer runs N steps on tiny
// sizes, and the live GPU buffers (gg.runtime().memory()) are read after every step, at the same
// point of its loop each time. A trainer passes when
//   - the live count (and live bytes) stays exactly flat from the end of the warm-up to the last step:
//     no growth step over step, and no growth from one round of checkpoint / evaluation / sampling
//     work to the next; and
//   - once the trainer has disposed everything it made, the live count is back where it started.
// Each trainer works in rounds of `roundSteps` steps; between rounds it saves and reloads a
// checkpoint and evaluates and samples, so those paths run many times in the soak too. The warm-up
// is the first round plus one step: by then every path (optimizer state, the first checkpoint load,
// the first sampling) has run once.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gg from '../../src/index.js';

const { nn, models } = gg;

/** What a trainer sees of the soak. */
export interface SoakContext {
  /** Steps to run. */
  readonly steps: number;
  /** Steps between rounds of checkpoint round trips, evaluation and sampling. */
  readonly roundSteps: number;
  /** Call once after every step, at the same point of the training loop each time. */
  probe(): void;
}

/** One trainer under the soak: makes its model, runs ctx.steps steps (probing after each), and disposes everything. */
export interface SoakCase {
  readonly name: string;
  /** A short description for the table. */
  readonly detail: string;
  run(ctx: SoakContext): Promise<void>;
}

/** A progress report, sent every `progressEvery` steps and after the last one. */
export interface SoakProgress {
  name: string;
  step: number;
  steps: number;
  liveBuffers: number;
  /** The live count minus its value after the warm-up (0 during the warm-up). */
  drift: number;
  msPerStep: number;
  etaSeconds: number;
}

/** Options of {@link runSoak}. */
export interface SoakOptions {
  steps: number;
  /** Default: {@link defaultRoundSteps}(steps). */
  roundSteps?: number;
  /** Steps before the live count must stay flat (default roundSteps + 1, capped at steps). */
  warmupSteps?: number;
  progressEvery?: number;
  onProgress?: (p: SoakProgress) => void;
}

type Memory = gg.MemoryStats;

/** What one trainer's soak measured. */
export interface SoakResult {
  name: string;
  detail: string;
  /** Steps asked for. */
  steps: number;
  /** Steps that probed (equal to steps unless the trainer failed or skipped some). */
  stepsDone: number;
  warmupSteps: number;
  /** Before the trainer made anything. */
  start: Memory;
  /** After the warm-up step (null when it did not get there). */
  afterWarmup: Memory | null;
  /** After the last step. */
  end: Memory | null;
  /** After the trainer disposed everything. */
  final: Memory;
  /** The largest |live buffers - live buffers after the warm-up| over the steps after it. */
  maxDrift: number;
  /** The same in live bytes. */
  maxByteDrift: number;
  /** The first step whose live count differed from the warm-up's, with its count. */
  firstDrift: { step: number; liveBuffers: number; liveBytes: number } | null;
  /** The most buffers the pool held at any probe (reported, not checked). */
  maxPooledBuffers: number;
  /**
   * GPU buffers created (live + pooled) between the warm-up and the last step: the pool never shrinks, so
   * this is how far the peak use kept rising (reported, not checked; the pool is emptied before each trainer).
   */
  poolGrowth: number;
  /**
   * The JS heap in use (bytes) after the warm-up step and after the last one, after a full GC when the process
   * runs with --expose-gc (reported, not checked: host-side growth such as caches that never stop growing).
   */
  heap: { afterWarmup: number; end: number } | null;
  seconds: number;
  msPerStep: number;
  /** The trainer threw. */
  error: string | null;
  /** Empty when it passed. */
  problems: string[];
}

/** The JS heap in use, after a full GC when one can be asked for (node --expose-gc); NaN outside Node. */
function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return (globalThis as { process?: { memoryUsage(): { heapUsed: number } } }).process?.memoryUsage().heapUsed ?? NaN;
}

/** Buffers the runtime holds: live plus pooled. */
const held = (m: Memory) => m.liveBuffers + m.pooledBuffers;

/** Rounds of about a twentieth of the run, 5 to 50 steps. */
export function defaultRoundSteps(steps: number): number {
  return Math.max(5, Math.min(50, Math.ceil(steps / 20)));
}

/** Runs one trainer's soak and checks its live-buffer counts. Never throws for the trainer's own errors: they are in the result. */
export async function runSoak(c: SoakCase, options: SoakOptions): Promise<SoakResult> {
  const { steps } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`runSoak: steps must be a positive integer, got ${steps}`);
  const roundSteps = options.roundSteps ?? defaultRoundSteps(steps);
  const warmupSteps = Math.min(steps, options.warmupSteps ?? roundSteps + 1);
  const progressEvery = options.progressEvery ?? Math.max(1, Math.round(steps / 10));
  const rt = gg.runtime();
  // Per-trainer pool figures: start from an empty pool (live buffers are untouched). Recorded work may
  // still read pooled buffers, so it is submitted first (emptyPool does this itself too).
  rt.flush();
  rt.emptyPool();
  const start = rt.memory();
  const probes: Memory[] = [];
  const heap = { afterWarmup: NaN, end: NaN };
  const started = performance.now();
  const ctx: SoakContext = {
    steps,
    roundSteps,
    probe() {
      const m = rt.memory();
      probes.push(m);
      const step = probes.length;
      if (step === warmupSteps) heap.afterWarmup = heapUsed();
      if (step === steps) heap.end = heapUsed();
      if (options.onProgress && (step % progressEvery === 0 || step === steps)) {
        const ms = (performance.now() - started) / step;
        const warm = probes[warmupSteps - 1];
        options.onProgress({
          name: c.name,
          step,
          steps,
          liveBuffers: m.liveBuffers,
          drift: warm && step > warmupSteps ? m.liveBuffers - warm.liveBuffers : 0,
          msPerStep: ms,
          etaSeconds: (ms * (steps - step)) / 1000,
        });
      }
    },
  };
  let error: string | null = null;
  try {
    await c.run(ctx);
  } catch (e) {
    error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  }
  const seconds = (performance.now() - started) / 1000;
  const final = rt.memory();

  const afterWarmup = probes[warmupSteps - 1] ?? null;
  let maxDrift = 0;
  let maxByteDrift = 0;
  let firstDrift: SoakResult['firstDrift'] = null;
  if (afterWarmup) {
    for (let i = warmupSteps; i < probes.length; i++) {
      const p = probes[i];
      const drift = Math.abs(p.liveBuffers - afterWarmup.liveBuffers);
      const byteDrift = Math.abs(p.liveBytes - afterWarmup.liveBytes);
      if ((drift > 0 || byteDrift > 0) && !firstDrift) firstDrift = { step: i + 1, liveBuffers: p.liveBuffers, liveBytes: p.liveBytes };
      maxDrift = Math.max(maxDrift, drift);
      maxByteDrift = Math.max(maxByteDrift, byteDrift);
    }
  }
  const problems: string[] = [];
  if (error) problems.push(`threw: ${error.split('\n')[0]}`);
  if (probes.length !== steps) problems.push(`probed ${probes.length} steps of ${steps}`);
  if (firstDrift && afterWarmup) {
    const last = probes[probes.length - 1];
    problems.push(
      `live buffers not flat after the warm-up: ${afterWarmup.liveBuffers} (${afterWarmup.liveBytes} B) at step ${warmupSteps}, ` +
        `${firstDrift.liveBuffers} (${firstDrift.liveBytes} B) at step ${firstDrift.step}, ${last.liveBuffers} (${last.liveBytes} B) at step ${probes.length}; max drift ${maxDrift} buffers, ${maxByteDrift} B`,
    );
  }
  if (final.liveBuffers !== start.liveBuffers || final.liveBytes !== start.liveBytes) {
    problems.push(`live buffers not back to baseline after disposing: ${start.liveBuffers} (${start.liveBytes} B) before, ${final.liveBuffers} (${final.liveBytes} B) after`);
  }
  return {
    name: c.name,
    detail: c.detail,
    steps,
    stepsDone: probes.length,
    warmupSteps,
    start,
    afterWarmup,
    end: probes[probes.length - 1] ?? null,
    final,
    maxDrift,
    maxByteDrift,
    firstDrift,
    maxPooledBuffers: Math.max(start.pooledBuffers, final.pooledBuffers, ...probes.map((p) => p.pooledBuffers)),
    heap: Number.isNaN(heap.afterWarmup) || Number.isNaN(heap.end) ? null : heap,
    poolGrowth: afterWarmup && probes.length > 0 ? held(probes[probes.length - 1]) - held(afterWarmup) : 0,
    seconds,
    msPerStep: probes.length ? (seconds * 1000) / probes.length : 0,
    error,
    problems,
  };
}

/** The result table: one row per trainer. */
export function formatSoakTable(results: SoakResult[]): string {
  const header = ['trainer', 'steps', 'live start', 'after warm-up', 'end', 'after dispose', 'max drift', 'bytes start', 'bytes end', 'bytes after dispose', 'pool growth', 'heap MB', 'ms/step', 'result'];
  const rows = results.map((r) => [
    r.name,
    `${r.stepsDone}/${r.steps}`,
    String(r.start.liveBuffers),
    r.afterWarmup ? `${r.afterWarmup.liveBuffers} @${r.warmupSteps}` : '-',
    r.end ? String(r.end.liveBuffers) : '-',
    String(r.final.liveBuffers),
    r.maxByteDrift > 0 && r.maxDrift === 0 ? `0 (${r.maxByteDrift} B)` : String(r.maxDrift),
    String(r.start.liveBytes),
    r.end ? String(r.end.liveBytes) : '-',
    String(r.final.liveBytes),
    String(r.poolGrowth),
    r.heap ? `${(r.heap.afterWarmup / 2 ** 20).toFixed(1)}->${(r.heap.end / 2 ** 20).toFixed(1)}` : '-',
    r.msPerStep.toFixed(1),
    r.problems.length === 0 ? 'ok' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

// ---- helpers ---------------------------------------------------------------------------------------

/** Round sizes that add up to `steps`. */
function* rounds(steps: number, size: number): Generator<number> {
  for (let done = 0; done < steps; done += size) yield Math.min(size, steps - done);
}

/** Reads a tensor back (forcing its GPU work) and frees it. */
async function consume(...tensors: gg.Tensor[]): Promise<void> {
  try {
    for (const t of tensors) await t.data();
  } finally {
    for (const t of tensors) t.dispose();
  }
}

/** Synthetic text of about `chars` characters: seeded sentences from a small vocabulary. */
export function syntheticText(chars = 3000, seed = 17): string {
  const words = ['the', 'a', 'cat', 'dog', 'sat', 'ran', 'on', 'under', 'mat', 'tree', 'quickly', 'and', 'then', 'slept', 'saw', 'bird'];
  const random = new gg.data.SeededRandom(seed);
  let text = '';
  while (text.length < chars) {
    const n = 3 + random.int(6);
    const sentence = Array.from({ length: n }, () => words[random.int(words.length)]).join(' ');
    text += sentence[0].toUpperCase() + sentence.slice(1) + (random.random() < 0.2 ? '!\n' : '. ');
  }
  return text;
}

/** A seeded 2-D mixture of three clusters, [n, 2] row-major, with the sequence lengths an HMM takes. */
function clusters(n: number, seed: number): Float32Array {
  const random = new gg.data.SeededRandom(seed);
  const centers = [[-2, 0], [2, 1], [0, 3]];
  const out = new Float32Array(2 * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (random.random() < 0.2) k = random.int(3); // sticky, so an HMM has structure to find
    out[2 * i] = centers[k][0] + 0.4 * random.normal();
    out[2 * i + 1] = centers[k][1] + 0.4 * random.normal();
  }
  return out;
}

// ---- MLP under gg.trainLoop ------------------------------------------------------------------------

type MlpOptimizer = 'adam' | 'sgd-momentum' | 'adamw-clip-cosine';

function mlpCase(kind: MlpOptimizer): SoakCase {
  const detail = {
    adam: 'MLP 4-16-3, trainLoop, Adam',
    'sgd-momentum': 'MLP 4-16-3, trainLoop, SGD momentum 0.9 (Nesterov)',
    'adamw-clip-cosine': 'MLP 4-16-3, trainLoop, AdamW + clipGradNorm + CosineWithWarmup',
  }[kind];
  return {
    name: `mlp-${kind}`,
    detail,
    async run(ctx) {
      const generator = new gg.Generator(1);
      const makeModel = (g: gg.Generator) => new nn.Sequential(new nn.Linear(4, 16, { generator: g }), new nn.Tanh(), new nn.Linear(16, 3, { generator: g }));
      const model = makeModel(generator);
      const named = model.namedParameters();
      const optimizer =
        kind === 'adam'
          ? new gg.optim.Adam(named, { lr: 1e-2 })
          : kind === 'sgd-momentum'
            ? new gg.optim.SGD(named, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })
            : new gg.optim.AdamW(named, { lr: 1e-2, weightDecay: 0.01 });
      const schedule = kind === 'adamw-clip-cosine' ? new gg.optim.CosineWithWarmup(optimizer, { warmupSteps: 3, totalSteps: ctx.steps + 1, minLr: 1e-3 }) : null;
      const random = new gg.data.SeededRandom(2);
      const batch = () => {
        const x = new Float32Array(8 * 4);
        const y = new Int32Array(8);
        for (let i = 0; i < 8; i++) {
          for (let j = 0; j < 4; j++) x[4 * i + j] = random.normal();
          y[i] = (x[4 * i] > 0 ? 1 : 0) + (x[4 * i + 1] > 0.5 ? 1 : 0);
        }
        return { x: gg.tensor(x, [8, 4]), y: gg.tensor(y, [8]) };
      };
      const evalBatch = batch();
      try {
        let done = 0;
        for (const size of rounds(ctx.steps, ctx.roundSteps)) {
          await gg.trainLoop({
            steps: size,
            logEvery: 1,
            watch: () => model.namedParameters(),
            onProgress: () => ctx.probe(),
            step: () => {
              optimizer.zeroGrad();
              const { x, y } = batch();
              const loss = nn.crossEntropy(model.forward(x), y);
              loss.backward();
              if (kind === 'adamw-clip-cosine') gg.optim.clipGradNorm(model.parameters(), 0.5);
              optimizer.step();
              schedule?.step();
              return loss;
            },
          });
          done += size;
          // Evaluation without a graph, in evaluation mode.
          model.eval();
          await consume(gg.scope(() => gg.noGrad(() => model.forward(evalBatch.x).softmax(-1).mul(gg.oneHot(evalBatch.y, 3)).sum(-1).mean())));
          model.train();
          // A checkpoint round trip in place, and into a fresh model that is then freed.
          const bytes = await gg.io.saveCheckpoint({ model, optimizer, metadata: { step: String(done), schedule: JSON.stringify(schedule?.stateDict() ?? null) } });
          const { metadata } = await gg.io.loadCheckpoint(bytes, { model, optimizer });
          if (schedule) schedule.loadStateDict(JSON.parse(metadata.schedule));
          const copy = makeModel(new gg.Generator(99));
          try {
            await gg.io.loadCheckpoint(bytes, { model: copy });
            await consume(gg.scope(() => gg.noGrad(() => copy.forward(evalBatch.x))));
          } finally {
            copy.dispose();
          }
        }
      } finally {
        optimizer.zeroGrad();
        optimizer.dispose();
        evalBatch.x.dispose();
        evalBatch.y.dispose();
        model.dispose();
      }
    },
  };
}

// ---- VaeTrainer ------------------------------------------------------------------------------------

function vaeCase(kind: 'mlp' | 'conv'): SoakCase {
  const pixels = kind === 'mlp' ? 16 : 64;
  return {
    name: `vae-${kind}`,
    detail: kind === 'mlp' ? 'MlpVae 16-8-2, VaeTrainer.fit, KL warm-up + EMA' : 'ConvVae 8x8 [2, 4] z2, VaeTrainer.fit',
    async run(ctx) {
      const generator = new gg.Generator(3);
      const model =
        kind === 'mlp'
          ? new models.MlpVae({ inputDim: pixels, hiddenDim: 8, latentDim: 2, generator })
          : new models.ConvVae({ imageSize: 8, channels: [2, 4], latentDim: 2, generator });
      const trainer = new models.VaeTrainer(model, { lr: 1e-3, seed: 3, klWarmupSteps: 5, emaDecay: kind === 'mlp' ? 0.9 : 0 });
      const batchSize = 4;
      const random = new gg.data.SeededRandom(4);
      const images = Float32Array.from({ length: ctx.roundSteps * batchSize * pixels }, () => (random.random() < 0.3 ? 1 : 0));
      const dataset = (n: number) => gg.data.arrayDataset({ images: { values: images.subarray(0, n * pixels), exampleShape: [pixels] } });
      const evalSet = dataset(8);
      try {
        for (const size of rounds(ctx.steps, ctx.roundSteps)) {
          await trainer.fit(dataset(size * batchSize), { epochs: 1, batchSize, shuffleSeed: 5, logEvery: 1, onProgress: () => ctx.probe() });
          await models.evaluateVae(model, evalSet, { batchSize: 8 });
          await consume(gg.noGrad(() => gg.scope(() => model.sample(4))));
          const bytes = await models.saveVaeCheckpoint(model, trainer, { note: 'soak' });
          await models.loadVaeCheckpoint(bytes, { trainer });
          const fresh = await models.loadVaeCheckpoint(bytes, { averaged: kind === 'mlp' });
          fresh.dispose();
        }
      } finally {
        trainer.dispose();
        model.dispose();
      }
    },
  };
}

// ---- GanTrainer ------------------------------------------------------------------------------------

function ganCase(loss: gg.models.GanLoss): SoakCase {
  return {
    name: `gan-${loss}`,
    detail: `MLP GAN on the ring of 8, ${loss}${loss === 'wganGp' ? ', 2 critic steps' : loss === 'nonSaturating' ? ', label smoothing 0.1' : ''}`,
    async run(ctx) {
      const seed = new gg.Generator(5);
      const generator = new models.MlpGenerator({ latentDim: 4, hiddenDim: 8, hiddenLayers: 1, generator: seed });
      const discriminator = new models.MlpDiscriminator({ hiddenDim: 8, hiddenLayers: 1, spectralNorm: loss === 'hinge', generator: seed });
      const trainer = new models.GanTrainer(generator, discriminator, {
        loss,
        generatorLr: 1e-3,
        discriminatorLr: 1e-3,
        labelSmoothing: loss === 'nonSaturating' ? 0.1 : 0,
        discriminatorSteps: loss === 'wganGp' ? 2 : 1,
        seed: 6,
      });
      const ring = gg.data.ringOfGaussians(256, { seed: 7 });
      const batch = 16;
      const realBatch = (update: number) => {
        const first = ((update - 1) * batch) % (ring.length - batch + 1);
        return gg.tensor(ring.points.subarray(2 * first, 2 * (first + batch)), [batch, 2]);
      };
      try {
        for (const size of rounds(ctx.steps, ctx.roundSteps)) {
          await trainer.fit({
            steps: size,
            realBatch,
            logEvery: 1,
            onLog: () => ctx.probe(),
            // At the round's last step: mode coverage of 64 samples (read back inside the callback).
            evaluate: async (step): Promise<Record<string, number>> => {
              if (step !== size) return {};
              const samples = gg.noGrad(() => gg.scope(() => generator.forward(gg.randn([64, 4], { generator: seed }))));
              try {
                return { covered: gg.data.modeCoverage(await samples.data(), ring).covered };
              } finally {
                samples.dispose();
              }
            },
          });
          const bytes = await models.saveGanCheckpoint(trainer, { note: 'soak' });
          await models.loadGanCheckpoint(bytes, trainer);
        }
      } finally {
        trainer.dispose();
        generator.dispose();
        discriminator.dispose();
      }
    },
  };
}

function dcganCase(): SoakCase {
  return {
    name: 'gan-dcgan',
    detail: 'DCGAN 28x28, channels [4, 4], z4, batch 4, nonSaturating',
    async run(ctx) {
      const seed = new gg.Generator(8);
      const generator = new models.DcganGenerator({ latentDim: 4, channels: [4, 4], generator: seed });
      const discriminator = new models.DcganDiscriminator({ channels: [4, 4], generator: seed });
      const trainer = new models.GanTrainer(generator, discriminator, { labelSmoothing: 0.1, seed: 9 });
      const data = new gg.Generator(10);
      try {
        for (const size of rounds(ctx.steps, ctx.roundSteps)) {
          await trainer.fit({ steps: size, logEvery: 1, onLog: () => ctx.probe(), realBatch: () => gg.rand([4, 1, 28, 28], { generator: data }).mul(2).sub(1) });
          generator.eval();
          await consume(gg.noGrad(() => gg.scope(() => generator.forward(gg.randn([2, 4], { generator: data })))));
          generator.train();
          const bytes = await models.saveGanCheckpoint(trainer);
          await models.loadGanCheckpoint(bytes, trainer);
        }
      } finally {
        trainer.dispose();
        generator.dispose();
        discriminator.dispose();
      }
    },
  };
}

// ---- trainLanguageModel ----------------------------------------------------------------------------

function languageModelCase(kind: 'gpt' | 'char-rnn'): SoakCase {
  return {
    name: `lm-${kind}`,
    detail:
      kind === 'gpt'
        ? 'GPT 1 layer, 2 heads, 16 wide, block 8, dropout 0.1, 2 micro-batches; eval, sampleText, generate, resume'
        : 'CharRNN 2-layer GRU 16, dropout 0.1; eval, sampleText, generate, resume',
    async run(ctx) {
      const corpus = gg.data.TextCorpus.fromText(syntheticText(), { valFraction: 0.2 });
      const vocabSize = corpus.vocab.size;
      const generator = new gg.Generator(11);
      const model =
        kind === 'gpt'
          ? new models.GPT({ vocabSize, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16, dropout: 0.1 }, { generator })
          : new models.CharRNN({ vocabSize, hiddenSize: 16, numLayers: 2, dropout: 0.1 }, { generator });
      const dir = mkdtempSync(join(tmpdir(), `gengpu-soak-${kind}-`));
      const checkpointPath = join(dir, 'checkpoint.safetensors');
      const sampling = new gg.Generator(12);
      const prompt = corpus.vocab.encode('The ');
      try {
        let done = 0;
        for (const size of rounds(ctx.steps, ctx.roundSteps)) {
          done += size;
          // Each round resumes from the previous round's checkpoint (model, AdamW state, dropout stream)
          // and writes a new one after its validation pass.
          await models.trainLanguageModel(model, corpus, {
            steps: done,
            batchSize: 4,
            blockSize: 8,
            lr: 3e-3,
            warmupSteps: 2,
            decaySteps: ctx.steps,
            accumulationSteps: kind === 'gpt' ? 2 : 1,
            evalInterval: ctx.roundSteps,
            evalBatches: 1,
            logEvery: 1,
            watchParameters: true,
            checkpointPath,
            resume: true,
            generator,
            onProgress: () => ctx.probe(),
            onEval: () => {},
          });
          await models.evaluate(model, corpus, { split: 'val', batchSize: 8, blockSize: 8 });
          await models.sampleText(model, prompt, { maxNewTokens: 6, numSamples: 2, temperature: 0.8, topK: 5, topP: 0.9, generator: sampling });
          // Past the GPT's block size, so its KV cache restarts.
          model.eval();
          const decoder = model.decoder(1);
          try {
            await models.generate(decoder, prompt, { maxNewTokens: 10, temperature: 0 });
          } finally {
            decoder.dispose();
            model.train();
          }
        }
      } finally {
        model.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

// ---- GaussianMixture and GaussianHMM ---------------------------------------------------------------

const COVARIANCE_TYPES = ['full', 'tied', 'diag', 'spherical'] as const;

function gmmCase(): SoakCase {
  return {
    name: 'gmm',
    detail: 'GaussianMixture K3 on 60 2-D points: fit, predict, score, sample, warm-start refit; the 4 covariance types in turn',
    async run(ctx) {
      const x = gg.tensor(clusters(60, 13), [60, 2]);
      try {
        for (let step = 0; step < ctx.steps; step++) {
          const covarianceType = COVARIANCE_TYPES[step % COVARIANCE_TYPES.length];
          const model = await new models.GaussianMixture({ nComponents: 3, covarianceType, maxIter: 4, seed: step, init: step % 2 ? 'kmeans' : 'random' }).fit(x);
          await model.score(x);
          await model.bic(x);
          await model.fitAnomalyThreshold(x, 0.05);
          const { samples, labels } = model.sample(20);
          await consume(model.predict(x), model.predictProba(x), model.scoreSamples(x), model.isAnomaly(x), samples, labels);
          // Parameters out and back in, then a short warm-started fit.
          const again = new models.GaussianMixture({ nComponents: 3, covarianceType, maxIter: 2, warmStart: true }).setParameters(model.getParameters());
          await again.fit(x);
          ctx.probe();
        }
      } finally {
        x.dispose();
      }
    },
  };
}

function hmmCase(): SoakCase {
  return {
    name: 'hmm',
    detail: 'GaussianHMM K2 on 3 sequences (60 frames): fit, score, decode, predict, sample, refit from the parameters; diag and full in turn; plus a CategoricalHMM',
    async run(ctx) {
      const lengths = [20, 15, 25];
      const points = clusters(60, 14);
      const x = gg.tensor(points, [60, 2]);
      const symbols = gg.tensor(Int32Array.from({ length: 60 }, (_, i) => (points[2 * i] > 0 ? 1 : 0) + (points[2 * i + 1] > 2 ? 1 : 0)), [60, 1]);
      try {
        for (let step = 0; step < ctx.steps; step++) {
          const covarianceType = step % 2 ? 'full' : 'diag';
          const model = await new models.GaussianHMM({ nComponents: 2, covarianceType, nIter: 3, seed: step }).fit(x, lengths);
          await model.score(x, lengths);
          const { posteriors } = await model.scoreSamples(x, lengths);
          const { states } = await model.decode(x, lengths);
          const drawn = model.sample(10, { nSequences: 2 });
          await consume(posteriors, states, model.predict(x, lengths), model.predictProba(x, lengths), drawn.samples, drawn.states);
          const again = new models.GaussianHMM({
            nComponents: 2,
            covarianceType,
            nIter: 1,
            initParams: '',
            startprob: model.startprob,
            transmat: model.transmat,
            means: model.means,
            covars: model.covars,
          });
          await again.fit(x, lengths);
          const categorical = await new models.CategoricalHMM({ nComponents: 2, nFeatures: 3, nIter: 2, seed: step }).fit(symbols, lengths);
          const path = await categorical.decode(symbols, lengths);
          const drawnSymbols = categorical.sample(5);
          await consume(path.states, drawnSymbols.samples, drawnSymbols.states);
          ctx.probe();
        }
      } finally {
        x.dispose();
        symbols.dispose();
      }
    },
  };
}

// ---- the Gaussian forecaster -----------------------------------------------------------------------

function forecasterCase(): SoakCase {
  return {
    name: 'forecaster',
    detail: 'GaussianMlp 11-16-16-2, ForecasterTrainer under trainLoop (replayed steps), trainer checkpoint round trips; GaussianForecaster fit and sampled-path forecast between rounds',
    async run(ctx) {
      const series = Float64Array.from({ length: 80 }, (_, t) => [3, 4, 4, 4, 4, 1, 1][t % 7] + 0.3 * Math.sin(t));
      const covariates = models.calendarCovariates({ year: 2001, month: 1, day: 1 }, { yearlyHarmonics: 1 });
      const rows = models.windowRows(series, { lags: [1, 7] }, covariates);
      const inputs = gg.tensor(rows.inputs, [rows.count, rows.width]);
      const targets = gg.tensor(rows.targets, [rows.count]);
      const model = new models.GaussianMlp({ inputSize: rows.width, hiddenSize: 16 }, { generator: new gg.Generator(3) });
      const trainer = new models.ForecasterTrainer(model, { lr: 1e-2, decaySteps: ctx.steps });
      try {
        for (const size of rounds(ctx.steps, ctx.roundSteps)) {
          await gg.trainLoop({
            trainer,
            startStep: trainer.stepCount,
            steps: trainer.stepCount + size,
            logEvery: 1,
            onProgress: () => ctx.probe(),
            batches: (step: number) => {
              const index = gg.tensor(Int32Array.from({ length: 8 }, (_, i) => (step * 8 + i) % rows.count));
              return { inputs: gg.indexSelect(inputs, 0, index), targets: gg.indexSelect(targets, 0, index) };
            },
          });
          await gg.loadTrainerCheckpoint(await gg.saveTrainerCheckpoint(trainer), trainer);
          const forecaster = new models.GaussianForecaster({ lags: [1, 7], covariates, hiddenSize: 8, seed: trainer.stepCount });
          await forecaster.fit(series, { steps: 2, batchSize: 8, onProgress: () => undefined });
          (await forecaster.forecast(7, { paths: 4 })).quantile(0.5);
          forecaster.dispose();
        }
      } finally {
        trainer.dispose();
        model.dispose();
        inputs.dispose();
        targets.dispose();
      }
    },
  };
}

/** Every trainer of the soak, in the order they run. */
export function soakCases(): SoakCase[] {
  return [
    mlpCase('adam'),
    mlpCase('sgd-momentum'),
    mlpCase('adamw-clip-cosine'),
    vaeCase('mlp'),
    vaeCase('conv'),
    ...(['nonSaturating', 'hinge', 'leastSquares', 'wganGp'] as const).map(ganCase),
    dcganCase(),
    languageModelCase('gpt'),
    languageModelCase('char-rnn'),
    gmmCase(),
    hmmCase(),
    forecasterCase(),
  ];
}
