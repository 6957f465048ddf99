// The Trainer contract (src/train/): trainLoop drives any trainer and reports each named loss; a NaN in
// one named loss stops the loop at its step, naming it; and a trainer's state, saved and loaded through
// a trainer checkpoint, continues a VAE run and a GAN run bit for bit.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const live = () => gg.runtime().memory().liveBuffers;

/** A trainer whose named losses are fixed functions of its batch, a number: no parameters, no state. */
function scripted(losses: (batch: number) => Record<string, number>): Pick<gg.Trainer<number>, 'step'> {
  return { step: (batch) => Object.fromEntries(Object.entries(losses(batch)).map(([name, value]) => [name, gg.full([], value)])) };
}

describe('trainLoop over a Trainer', () => {
  it('averages and reports every named loss, from batches of an iterable, with startStep and evaluations', async () => {
    const before = live();
    const lines: gg.Progress[] = [];
    const evaluated: number[] = [];
    const history = await gg.trainLoop({
      trainer: scripted((b) => ({ generator: b, discriminator: 10 * b })),
      batches: [1, 2, 3, 4, 5, 6],
      startStep: 2,
      steps: 8,
      logEvery: 3,
      evaluate: (step) => {
        evaluated.push(step);
        return { coverage: step / 2 };
      },
      onProgress: (p) => lines.push(p),
    });
    expect(lines.map((p) => p.step)).toEqual([3, 6, 8]);
    expect(lines.map((p) => p.losses)).toEqual([
      { generator: 1, discriminator: 10 },
      { generator: 3, discriminator: 30 },
      { generator: 5.5, discriminator: 55 },
    ]);
    expect(evaluated).toEqual([3, 6, 8]);
    expect(lines[1].metrics).toEqual({ coverage: 3 });
    expect(gg.formatProgress(lines[1])).toMatch(/^step 6\/8  generator 3\.0000  discriminator 30\.0000  coverage 3  [\d.]+ steps\/s  ETA \d+s$/);
    expect(history.points.map((p) => p.step)).toEqual([3, 6, 8]);
    expect(history.steps).toBe(6);
    expect(live()).toBe(before);
  });

  it('ends the run when onProgress returns stop, and refuses losses that change names or are not scalars', async () => {
    const stopped = await gg.trainLoop({ trainer: scripted(() => ({ loss: 1 })), batches: (step) => step, steps: 10, logEvery: 2, onProgress: (p) => (p.step === 4 ? 'stop' : undefined) });
    expect(stopped.steps).toBe(4);
    const renamed = gg.trainLoop({ trainer: scripted((b): Record<string, number> => (b < 2 ? { a: 1 } : { b: 1 })), batches: (step) => step, steps: 3, onProgress: () => {} });
    await expect(renamed).rejects.toThrow("trainLoop: the trainer's step returned the losses b at step 2, a before");
    const vector = gg.trainLoop({ trainer: { step: () => ({ loss: gg.zeros([3]) }) }, batches: (step) => step, steps: 1, onProgress: () => {} });
    await expect(vector).rejects.toThrow("trainLoop: the trainer's step must return named scalar loss tensors, got 'loss': a tensor of shape [3] (step 1)");
    await expect(gg.trainLoop({ trainer: scripted(() => ({ loss: 1 })), batches: [1], steps: 2, onProgress: () => {} })).rejects.toThrow('trainLoop: the batches ran out after 1 steps');
  });

  it('stops at the step a NaN enters one named loss, naming that loss', async () => {
    const before = live();
    let calls = 0;
    const trainer = scripted((b) => {
      calls++;
      return { reconstruction: 1, kl: b === 5 ? Number.NaN : 0.5 };
    });
    const run = gg.trainLoop({ trainer, batches: (step) => step, steps: 20, logEvery: 8, onProgress: () => {} });
    await expect(run).rejects.toThrow('training stopped: the kl loss became NaN or Inf at step 5');
    await expect(run).rejects.toMatchObject({ step: 5, tensorName: 'the kl loss' });
    expect(calls).toBe(8); // found at the first progress line, reported for step 5
    expect(live()).toBe(before);
  });
});

/** Runs `steps` steps of a trainer, each in a scope, and returns every named loss read back. */
async function run<Batch>(trainer: gg.Trainer<Batch>, batch: Batch, steps: number): Promise<Record<string, number>[]> {
  const out: Record<string, number>[] = [];
  for (let i = 0; i < steps; i++) {
    const losses = gg.scope(() => trainer.step(batch));
    const values: Record<string, number> = {};
    for (const [name, t] of Object.entries(losses)) {
      values[name] = await t.item();
      t.dispose();
    }
    out.push(values);
  }
  return out;
}

/** Every parameter of a trainer, read back. */
async function parameters(trainer: gg.Trainer<unknown>): Promise<Float32Array[]> {
  return Promise.all(trainer.namedParameters().map(async ([, t]) => (await t.data()) as Float32Array));
}

/**
 * Trains 2 steps, saves, trains 2 more; a second trainer (different seeds) loads the save and trains 2 more. Both must
 * give the same losses and parameters, bit for bit.
 */
async function expectBitIdenticalResume<Batch>(make: (seed: number) => gg.Trainer<Batch>, batch: Batch): Promise<void> {
  const original = make(1);
  await run(original, batch, 2);
  const bytes = await gg.saveTrainerCheckpoint(original, { note: 'two steps' });
  const continued = await run(original, batch, 2);
  const resumed = make(2);
  expect((await gg.loadTrainerCheckpoint(bytes, resumed)).note).toBe('two steps');
  expect(resumed.stepCount).toBe(2);
  expect(await run(resumed, batch, 2)).toEqual(continued);
  expect(await parameters(resumed)).toEqual(await parameters(original));
  expect(resumed.stepCount).toBe(4);
  for (const trainer of [original, resumed]) trainer.dispose();
}

describe('stateDict and loadStateDict resume a run bit for bit', () => {
  it('VaeTrainer, with KL warm-up and a weight average', async () => {
    const before = live();
    const models: gg.models.Vae[] = [];
    const make = (seed: number) => {
      const model = gg.models.createVae({ kind: 'mlp', inputDim: 6, hiddenDim: 5, latentDim: 2, activation: 'relu' }, { generator: new gg.Generator(seed) });
      models.push(model);
      return new gg.models.VaeTrainer(model, { seed, klWarmupSteps: 3, emaDecay: 0.9 });
    };
    const images = gg.rand([4, 6], { generator: new gg.Generator(7) });
    await expectBitIdenticalResume(make, images);
    images.dispose();
    for (const m of models) m.dispose();
    expect(live()).toBe(before);
  });

  it('GanTrainer, with two discriminator updates per step', async () => {
    const before = live();
    const networks: gg.nn.Module[] = [];
    const make = (seed: number) => {
      const weights = new gg.Generator(seed);
      const generator = new gg.models.MlpGenerator({ hiddenDim: 8, hiddenLayers: 1, generator: weights });
      const discriminator = new gg.models.MlpDiscriminator({ hiddenDim: 8, hiddenLayers: 1, spectralNorm: true, generator: weights });
      networks.push(generator, discriminator);
      return new gg.models.GanTrainer(generator, discriminator, { loss: 'hinge', discriminatorSteps: 2, seed: seed + 10 });
    };
    const real = [gg.randn([8, 2], { generator: new gg.Generator(3) }), gg.randn([8, 2], { generator: new gg.Generator(4) })];
    await expectBitIdenticalResume(make, real);
    for (const t of real) t.dispose();
    for (const m of networks) m.dispose();
    expect(live()).toBe(before);
  });

  it('refuses a state trained with other settings before changing anything', async () => {
    const model = gg.models.createVae({ kind: 'mlp', inputDim: 6, hiddenDim: 5, latentDim: 2, activation: 'relu' }, { generator: new gg.Generator(1) });
    const saved = new gg.models.VaeTrainer(model, { beta: 2 });
    const other = new gg.models.VaeTrainer(model, { beta: 1 });
    const bytes = await gg.saveTrainerCheckpoint(saved);
    await expect(gg.loadTrainerCheckpoint(bytes, other)).rejects.toThrow('loadTrainerCheckpoint: the file was trained with beta 2; the trainer has beta 1');
    await expect(gg.saveTrainerCheckpoint(saved, { 'trainer.state': 'x' })).rejects.toThrow(/the metadata key 'trainer.state' is reserved/);
    for (const t of [saved, other, model]) t.dispose();
  });
});
