// Checkpoints: a model and an optimizer saved and restored into fresh objects bit for bit; and every
// way a load can go wrong (a corrupt or truncated file, a shape, dtype or name mismatch, an optimizer
// that refuses its state) throws a clear error and leaves the model's values exactly as they were.
// The model and optimizer are small test doubles with the nn Module and optim state-dict contracts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { saveCheckpoint, loadCheckpoint, deserialize, serializeArrays, SafetensorsError } = gg.io;
const live = () => gg.runtime().memory().liveBuffers;

/** A model double: named parameters it owns; stateDict() gives the live tensors, as nn.Module does. */
class TensorBag implements gg.io.Stateful {
  readonly tensors: Record<string, gg.Tensor>;
  constructor(tensors: Record<string, gg.Tensor>) {
    this.tensors = tensors;
  }
  stateDict(): Record<string, gg.Tensor> {
    return { ...this.tensors };
  }
  loadStateDict(state: Record<string, gg.Tensor>, { strict = true }: { strict?: boolean } = {}): void {
    const mine = Object.keys(this.tensors).sort().join();
    if (strict && Object.keys(state).sort().join() !== mine) throw new Error(`TensorBag.loadStateDict: names differ`);
    gg.noGrad(() => {
      for (const [name, t] of Object.entries(state)) this.tensors[name].assign(t);
    });
  }
  async bits(): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const [name, t] of Object.entries(this.tensors)) {
      const data = await t.data();
      out[name] = [...new Uint32Array(data.buffer, data.byteOffset, data.length)];
    }
    return out;
  }
  dispose(): void {
    for (const t of Object.values(this.tensors)) t.dispose();
  }
}

/**
 * An optimizer double with the optim contract: stateDict() returns fresh copies (with the step as a
 * 0-d tensor), loadStateDict() is async, copies what it is given, and checks everything first.
 */
class MomentumDouble implements gg.io.StatefulOptimizer {
  readonly params: gg.Tensor[];
  velocities: gg.Tensor[];
  step = 0;
  lr = 0.1;
  constructor(params: gg.Tensor[]) {
    this.params = params;
    this.velocities = params.map((p) => gg.zerosLike(p));
  }
  stateDict(): Record<string, gg.Tensor> {
    const state: Record<string, gg.Tensor> = { step: gg.full([], this.step) };
    this.velocities.forEach((v, i) => (state[`state.${i}.velocity`] = v.clone()));
    return state;
  }
  hyperparameters(): { optimizer: string; lr: number } {
    return { optimizer: 'Momentum', lr: this.lr };
  }
  async loadStateDict(state: Record<string, gg.Tensor>, hyperparameters?: { optimizer: string; lr: number }): Promise<void> {
    if (hyperparameters?.optimizer !== 'Momentum') throw new Error(`Momentum.loadStateDict: the hyperparameters are for ${hyperparameters?.optimizer}`);
    this.params.forEach((p, i) => {
      const v = state[`state.${i}.velocity`];
      if (!v || v.shape.join() !== p.shape.join()) throw new Error(`Momentum.loadStateDict: state.${i}.velocity does not fit parameter ${i}`);
    });
    const step = await state.step.item();
    this.params.forEach((_, i) => this.velocities[i].assign(state[`state.${i}.velocity`]));
    this.step = step;
    this.lr = hyperparameters.lr;
  }
  dispose(): void {
    for (const v of this.velocities) v.dispose();
  }
}

/** A trained-looking model: distinct values per tensor, including an int buffer. */
function makeModel(seed: number, hidden = 3): TensorBag {
  gg.manualSeed(seed);
  return new TensorBag({
    'fc1.weight': gg.randn([4, hidden]).requiresGrad_(),
    'fc1.bias': gg.randn([hidden]).requiresGrad_(),
    'fc2.weight': gg.randn([hidden, 2]).requiresGrad_(),
    'norm.count': gg.tensor(new Int32Array([seed * 7])),
  });
}

async function expectUnchangedAfter(model: TensorBag, load: () => Promise<unknown>, message: RegExp | typeof SafetensorsError): Promise<void> {
  const before = await model.bits();
  await expect(load()).rejects.toThrow(message as RegExp);
  expect(await model.bits()).toEqual(before);
}

describe('checkpoints', () => {
  let baseline = 0;
  beforeEach(() => {
    baseline = live();
  });
  afterEach(() => {
    expect(live(), 'no GPU buffer leaked').toBe(baseline);
  });

  it('restores a model and an optimizer into fresh objects bit for bit', async () => {
    const model = makeModel(1);
    const optimizer = new MomentumDouble(Object.values(model.tensors).slice(0, 3));
    gg.manualSeed(9);
    gg.scope(() => {
      for (const v of optimizer.velocities) v.assign(gg.randn([...v.shape]));
    });
    optimizer.step = 42;
    optimizer.lr = 0.025;

    const bytes = await saveCheckpoint({ model, optimizer, metadata: { epoch: '3' } });
    expect(live(), "the optimizer's state-dict copies were freed").toBe(baseline + 4 + 3);

    const file = deserialize(bytes);
    expect(Object.keys(file.tensors).sort()).toEqual([
      'model.fc1.bias', 'model.fc1.weight', 'model.fc2.weight', 'model.norm.count',
      'optimizer.state.0.velocity', 'optimizer.state.1.velocity', 'optimizer.state.2.velocity', 'optimizer.step',
    ]);
    expect(file.metadata).toEqual({ epoch: '3', [gg.io.HYPERPARAMETERS_KEY]: '{"optimizer":"Momentum","lr":0.025}' });

    const fresh = makeModel(2);
    const freshOptimizer = new MomentumDouble(Object.values(fresh.tensors).slice(0, 3));
    const result = await loadCheckpoint(bytes, { model: fresh, optimizer: freshOptimizer });
    expect(result.optimizerHyperparameters).toEqual({ optimizer: 'Momentum', lr: 0.025 });
    expect(result.metadata.epoch).toBe('3');
    expect(await fresh.bits()).toEqual(await model.bits());
    for (let i = 0; i < 3; i++) expect(await freshOptimizer.velocities[i].data()).toEqual(await optimizer.velocities[i].data());
    expect(freshOptimizer.step).toBe(42);
    expect(freshOptimizer.lr).toBe(0.025);

    // The restored pair saves to the same bytes.
    expect(await saveCheckpoint({ model: fresh, optimizer: freshOptimizer, metadata: { epoch: '3' } })).toEqual(bytes);
    for (const o of [model, optimizer, fresh, freshOptimizer]) o.dispose();
  });

  it('loads a model alone, ignoring the optimizer state in the file', async () => {
    const model = makeModel(1);
    const optimizer = new MomentumDouble([model.tensors['fc1.bias']]);
    const bytes = await saveCheckpoint({ model, optimizer });
    const fresh = makeModel(5);
    await loadCheckpoint(bytes, { model: fresh });
    expect(await fresh.bits()).toEqual(await model.bits());
    for (const o of [model, optimizer, fresh]) o.dispose();
  });

  it('refuses a shape mismatch, naming the tensor and both shapes, and changes nothing', async () => {
    const small = makeModel(1, 3);
    const bytes = await saveCheckpoint({ model: small });
    const wide = makeModel(2, 5);
    await expectUnchangedAfter(
      wide,
      () => loadCheckpoint(bytes, { model: wide }),
      /loadCheckpoint: the checkpoint does not match; nothing was changed:\n {2}model\.fc1\.weight: \[4, 3\] f32 in the file, \[4, 5\] f32 in the model\n {2}model\.fc1\.bias: \[3\] f32 in the file, \[5\] f32 in the model/,
    );
    // Not strict still insists on shapes.
    await expectUnchangedAfter(wide, () => loadCheckpoint(bytes, { model: wide, strict: false }), /model\.fc2\.weight: \[3, 2\] f32 in the file, \[5, 2\] f32/);
    small.dispose();
    wide.dispose();
  });

  it('refuses corrupt and truncated files with the format error, and changes nothing', async () => {
    const source = makeModel(1);
    const bytes = await saveCheckpoint({ model: source });
    const target = makeModel(2);
    for (const cut of [0, 7, 8, 40, bytes.length - 1]) {
      await expectUnchangedAfter(target, () => loadCheckpoint(bytes.subarray(0, cut), { model: target }), SafetensorsError);
    }
    const garbled = bytes.slice();
    garbled[9] = '!'.charCodeAt(0); // the header's first key loses its opening quote
    await expectUnchangedAfter(target, () => loadCheckpoint(garbled, { model: target }), /the header is not valid JSON: .* \(InvalidHeaderDeserialization\)/);
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes);
    await expectUnchangedAfter(target, () => loadCheckpoint(padded, { model: target }), /4 bytes trail the last tensor/);
    source.dispose();
    target.dispose();
  });

  it('in strict mode refuses missing, unexpected and stray names; otherwise loads what matches', async () => {
    const source = makeModel(1);
    const bytes = await saveCheckpoint({ model: source });
    const bigger = new TensorBag({ ...makeModel(2).tensors, extra: gg.ones([2]) });
    await expectUnchangedAfter(bigger, () => loadCheckpoint(bytes, { model: bigger }), /missing from the file: model\.extra/);
    const smaller = new TensorBag({ 'fc1.bias': gg.zeros([3]) });
    await expectUnchangedAfter(smaller, () => loadCheckpoint(bytes, { model: smaller }), /in the file but not in the model: model\.fc1\.weight, model\.fc2\.weight, model\.norm\.count/);

    await loadCheckpoint(bytes, { model: bigger, strict: false });
    const bits = await bigger.bits();
    const expected = await source.bits();
    for (const name of Object.keys(expected)) expect(bits[name]).toEqual(expected[name]);
    expect(bits.extra).toEqual([0x3f800000, 0x3f800000]); // left alone

    const stray = serializeArrays({ 'model.fc1.bias': { dtype: 'F32', shape: [3], data: new Float32Array(3) }, notes: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } });
    await expectUnchangedAfter(smaller, () => loadCheckpoint(stray, { model: smaller }), /tensors outside 'model\.' and 'optimizer\.': notes/);
    await loadCheckpoint(stray, { model: smaller, strict: false });
    for (const o of [source, bigger, smaller]) o.dispose();
  });

  it('refuses a dtype mismatch, values out of range, and dtypes it cannot load', async () => {
    const target = makeModel(2);
    const file = (count: gg.io.HostTensor) =>
      serializeArrays({
        'model.fc1.weight': { dtype: 'F32', shape: [4, 3], data: new Float32Array(12) },
        'model.fc1.bias': { dtype: 'F32', shape: [3], data: new Float32Array(3) },
        'model.fc2.weight': { dtype: 'F32', shape: [3, 2], data: new Float32Array(6) },
        'model.norm.count': count,
      });
    await expectUnchangedAfter(target, () => loadCheckpoint(file({ dtype: 'F32', shape: [1], data: new Float32Array(1) }), { model: target }), /model\.norm\.count: \[1\] f32 in the file, \[1\] i32 in the model/);
    await expectUnchangedAfter(target, () => loadCheckpoint(file({ dtype: 'I64', shape: [1], data: new BigInt64Array([2n ** 40n]) }), { model: target }), /loadCheckpoint: tensor "model\.norm\.count" \[1\] I64 holds 1099511627776/);
    await expectUnchangedAfter(target, () => loadCheckpoint(file({ dtype: 'F8_E5M2', shape: [1], data: new Uint8Array(1) }), { model: target }), /model\.norm\.count: the file's dtype F8_E5M2 cannot be loaded \(the model has \[1\] i32\)/);
    // An I64 count in range loads (as PyTorch writes integer buffers).
    await loadCheckpoint(file({ dtype: 'I64', shape: [1], data: new BigInt64Array([-5n]) }), { model: target });
    expect(await target.tensors['norm.count'].data()).toEqual(new Int32Array([-5]));
    target.dispose();
  });

  it('loads half-precision weights into an f32 model', async () => {
    const target = new TensorBag({ w: gg.zeros([2, 2]) });
    const halves = serializeArrays({ 'model.w': { dtype: 'BF16', shape: [2, 2], data: new Uint16Array([0x3f80, 0x4000, 0xbf00, 0x0000]) } });
    await loadCheckpoint(halves, { model: target });
    expect(await target.tensors.w.data()).toEqual(new Float32Array([1, 2, -0.5, 0]));
    target.dispose();
  });

  it('leaves the model unchanged when the optimizer refuses its state, or the file has none', async () => {
    const model = makeModel(1);
    const optimizer = new MomentumDouble([model.tensors['fc1.bias']]);
    const bytes = await saveCheckpoint({ model, optimizer });
    const target = makeModel(2);
    const wrongOptimizer = new MomentumDouble([target.tensors['fc1.weight']]); // velocity [4, 3], file has [3]
    await expectUnchangedAfter(target, () => loadCheckpoint(bytes, { model: target, optimizer: wrongOptimizer }), /Momentum\.loadStateDict: state\.0\.velocity does not fit parameter 0/);
    expect(wrongOptimizer.step).toBe(0);

    const modelOnly = await saveCheckpoint({ model });
    await expectUnchangedAfter(target, () => loadCheckpoint(modelOnly, { model: target, optimizer: wrongOptimizer }), /an optimizer was given but the file holds none/);
    wrongOptimizer.step = 7;
    await loadCheckpoint(modelOnly, { model: target, optimizer: wrongOptimizer, strict: false });
    expect(await target.bits()).toEqual(await model.bits());
    expect(wrongOptimizer.step, 'not strict: the optimizer is left as it is').toBe(7);

    const badJson = serializeArrays({}, { [gg.io.HYPERPARAMETERS_KEY]: '{lr: 1}' });
    await expect(loadCheckpoint(badJson, { model: new TensorBag({}) })).rejects.toThrow(/__metadata__\['optimizer\.hyperparameters'\] is not valid JSON/);
    for (const o of [model, optimizer, target, wrongOptimizer]) o.dispose();
  });

  it('refuses the reserved metadata key', async () => {
    const model = new TensorBag({});
    await expect(saveCheckpoint({ model, metadata: { [gg.io.HYPERPARAMETERS_KEY]: '{}' } })).rejects.toThrow(/saveCheckpoint: the metadata key 'optimizer\.hyperparameters' is reserved/);
  });
});
