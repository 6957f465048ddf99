// The layers against float64 references: forward values and the gradients of inputs and every
// parameter (finite differences) for Linear, Conv2d, ConvTranspose2d, LayerNorm (fused kernels,
// both row layouts, the tensor-op rule used under createGraph, large offsets), Embedding; Dropout's
// scaling, seeding and evaluation identity; the activation modules, Flatten and Sequential.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp, expectClose, expectNormalizationBackward } from '../helpers/check.js';
import { map, normalCdf, ref, type Ref } from '../helpers/reference.js';
import { checkModule, conv2dRef, convTranspose2dRef, layerNormRef, linearRef, toRef } from './helpers.js';

const { nn } = gg;

/** Replaces every parameter's values with U(-1, 1) draws, so weights of 1 and biases of 0 hide nothing. */
function randomizeParameters(module: gg.nn.Module, seed: number): void {
  const generator = new gg.Generator(seed);
  for (const p of module.parameters()) nn.init.uniform(p, -1, 1, { generator });
}

describe('Linear', () => {
  it('matches x Wᵀ + b for inputs of rank 1, 2 and 3, with and without bias', async () => {
    for (const [shape, bias] of [[[3, 5], true], [[2, 3, 5], true], [[5], true], [[4, 5], false]] as const) {
      const layer = new nn.Linear(5, 4, { bias, generator: new gg.Generator(1) });
      await checkModule({ module: layer, inputs: [shape], ref: ([x], p) => linearRef(x, p.weight, p.bias) });
      expect(layer.bias === null).toBe(!bias);
      layer.dispose();
    }
  });

  it('uses PyTorch default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias', async () => {
    const layer = new nn.Linear(64, 32, { generator: new gg.Generator(3) });
    const bound = 1 / Math.sqrt(64);
    for (const p of [layer.weight, layer.bias!]) {
      const values = await p.data();
      expect(Math.max(...values)).toBeLessThanOrEqual(bound);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-bound);
      expect(Math.max(...values)).toBeGreaterThan(bound * 0.8);
    }
    layer.dispose();
  });

  it('names the layer and the shapes on a feature mismatch', () => {
    const layer = new nn.Linear(5, 4);
    const x = gg.zeros([2, 3]);
    expect(() => layer.forward(x)).toThrow(/linear: .*\[2, 3\] f32, \[4, 5\] f32/);
    expect(() => new nn.Linear(0, 4)).toThrow(/Linear: inFeatures must be a positive integer, got 0/);
    x.dispose();
    layer.dispose();
  });
});

describe('Conv2d and ConvTranspose2d', () => {
  it('Conv2d with stride, padding, dilation and groups', async () => {
    const cases = [
      { inC: 4, outC: 6, kernel: 3, geometry: { stride: 2, padding: 1, dilation: 1, groups: 2 }, input: [2, 4, 7, 6], bias: true },
      { inC: 3, outC: 2, kernel: [2, 3] as [number, number], geometry: { stride: 1, padding: 2, dilation: 2, groups: 1 }, input: [1, 3, 5, 6], bias: false },
    ];
    for (const [i, c] of cases.entries()) {
      const layer = new nn.Conv2d(c.inC, c.outC, c.kernel, { ...c.geometry, bias: c.bias, generator: new gg.Generator(i) });
      expect(layer.weight.shape).toEqual([c.outC, c.inC / c.geometry.groups, ...(typeof c.kernel === 'number' ? [c.kernel, c.kernel] : c.kernel)]);
      await checkModule({ module: layer, inputs: [c.input], seed: i, ref: ([x], p) => conv2dRef(x, p.weight, p.bias, c.geometry) });
      layer.dispose();
    }
  });

  it('ConvTranspose2d with stride, padding, outputPadding, dilation and groups', async () => {
    const cases = [
      { inC: 4, outC: 6, geometry: { stride: 2, padding: 1, dilation: 1, groups: 2, outputPadding: 1 }, input: [2, 4, 3, 4], bias: true },
      { inC: 3, outC: 2, geometry: { stride: 1, padding: 1, dilation: 2, groups: 1, outputPadding: 0 }, input: [1, 3, 4, 3], bias: false },
    ];
    for (const [i, c] of cases.entries()) {
      const layer = new nn.ConvTranspose2d(c.inC, c.outC, 3, { ...c.geometry, bias: c.bias, generator: new gg.Generator(i) });
      expect(layer.weight.shape).toEqual([c.inC, c.outC / c.geometry.groups, 3, 3]);
      await checkModule({ module: layer, inputs: [c.input], seed: i, ref: ([x], p) => convTranspose2dRef(x, p.weight, p.bias, c.geometry) });
      layer.dispose();
    }
  });

  it('init bounds use PyTorch fans (ConvTranspose2d: out / groups * kH * kW)', async () => {
    const conv = new nn.ConvTranspose2d(8, 6, 3, { groups: 2, generator: new gg.Generator(5) });
    const bound = 1 / Math.sqrt((6 / 2) * 9);
    const values = await conv.weight.data();
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(bound * 0.9);
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/Conv2d: inChannels 3 and outChannels 4 must both be divisible by groups 2/);
    conv.dispose();
  });
});

describe('LayerNorm', () => {
  // [input, normalizedShape]: rows of 7 (scalar kernel), of 8 (vec4 kernel), two trailing axes.
  const cases: [number[], number[]][] = [[[3, 7], [7]], [[2, 3, 8], [8]], [[2, 3, 4], [3, 4]], [[5, 1], [1]]];

  for (const [affine, bias] of [[true, true], [true, false], [false, false]] as const) {
    it(`values and gradients (elementwiseAffine ${affine}, bias ${bias})`, async () => {
      for (const [i, [input, shape]] of cases.entries()) {
        const layer = new nn.LayerNorm(shape, { elementwiseAffine: affine, bias });
        randomizeParameters(layer, i);
        const width = shape.reduce((a, b) => a * b, 1);
        await checkModule({ module: layer, inputs: [input], seed: i, ref: ([x], p) => layerNormRef(x, width, p.weight, p.bias, 1e-5), gradAtol: 2e-4 });
        layer.dispose();
      }
    });
  }

  it('stays exact for rows far from zero (two-pass variance)', async () => {
    const layer = new nn.LayerNorm(16);
    const x = ref([4, 16], (i) => Math.fround(1000 + Math.sin(i * 1.7)));
    const input = gg.tensor(Float32Array.from(x.data), x.shape);
    const y = gg.noGrad(() => layer.forward(input));
    expectClose(await y.data(), layerNormRef(x, 16, undefined, undefined, 1e-5).data, 2e-3, 0, 'layerNorm at an offset of 1000');
    for (const t of [input, y]) t.dispose();
    layer.dispose();
  });

  it('the tensor-op backward (createGraph) agrees with the fused one, and its second derivatives with a composite', async () => {
    const x = gg.tensor(Float32Array.from({ length: 24 }, (_, i) => Math.sin(i * 0.9)), [3, 8], { requiresGrad: true });
    const w = gg.tensor(Float32Array.from({ length: 8 }, (_, i) => 0.5 + Math.cos(i)), [8], { requiresGrad: true });
    const b = gg.tensor(Float32Array.from({ length: 8 }, (_, i) => 0.1 * i), [8], { requiresGrad: true });
    const g = gg.tensor(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i * 0.4)), [3, 8]);
    const composite = (v: gg.Tensor) => {
      const centered = v.sub(v.mean(-1, true));
      return centered.mul(centered.square().mean(-1, true).add(1e-5).rsqrt()).mul(w).add(b);
    };
    await expectNormalizationBackward((v, weight, bias) => nn.functional.layerNorm(v, [8], weight, bias), composite, [x, w, b], g);
    for (const t of [x, w, b, g]) t.dispose();
  });

  it("the 'workgroup' rung (one workgroup per row): values and gradients against float64 on odd and vec4 rows", async () => {
    // Row lengths of one step, of fewer steps than invocations, and of many: scalar rows (7, 257, 1001) and vec4 rows (8, 300).
    for (const [i, [rows, width]] of [[3, 7], [2, 8], [4, 257], [3, 300], [2, 1001]].entries()) {
      await checkOp({
        inputs: [[rows, width], [width], [width]], seed: 60 + i, grad: width <= 300,
        gpu: (x, w, b) => nn.functional.layerNorm(x, [width], w, b, 1e-5, { variant: 'workgroup' }),
        ref: (x, w, b) => layerNormRef(x, width, w, b, 1e-5), atol: 2e-5, gradAtol: 2e-4,
      });
    }
    const x = ref([3, 40], (i) => Math.fround(1000 + Math.sin(i * 1.7)));
    const input = gg.tensor(Float32Array.from(x.data), x.shape);
    const y = gg.noGrad(() => nn.functional.layerNorm(input, [40], null, null, 1e-5, { variant: 'workgroup' }));
    expectClose(await y.data(), layerNormRef(x, 40, undefined, undefined, 1e-5).data, 2e-3, 0, 'workgroup layerNorm at an offset of 1000');
    expect(() => nn.functional.layerNorm(input, [40], null, null, 1e-5, { variant: 'warp' as 'line' })).toThrow(/layerNorm: unknown variant 'warp'; expected 'line' or 'workgroup'/);
    for (const t of [input, y]) t.dispose();
  });

  it('names the shapes when normalizedShape does not match', () => {
    const x = gg.zeros([2, 5]);
    expect(() => new nn.LayerNorm(4).forward(x)).toThrow(/layerNorm: the input's trailing dimensions must equal normalizedShape \[4\]/);
    x.dispose();
  });
});

describe('Embedding', () => {
  it('looks up rows for indices of any shape; repeated indices add their gradients', async () => {
    const indexCases: Ref[] = [ref([2, 3], [4, 0, 4, 1, 4, 2]), ref([5], [3, 3, 0, 1, 3])];
    for (const indices of indexCases) {
      const layer = new nn.Embedding(5, 4, { generator: new gg.Generator(2) });
      await checkModule({
        module: layer,
        inputs: [indices],
        indexInputs: [0],
        ref: ([idx], p) => ref([...idx.shape, 4], (i) => p.weight.data[idx.data[Math.floor(i / 4)] * 4 + (i % 4)]),
      });
      layer.dispose();
    }
  });

  it('draws its table from N(0, 1) and rejects f32 indices', async () => {
    const layer = new nn.Embedding(100, 40, { generator: new gg.Generator(4) });
    const values = [...(await layer.weight.data())];
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
    const wrong = gg.zeros([3]);
    expect(() => layer.forward(wrong)).toThrow(/Embedding: expected dtype i32, got f32/);
    wrong.dispose();
    layer.dispose();
  });
});

describe('embedding and paddingIdx', () => {
  const indices = ref([2, 4], [1, 3, 1, 0, 3, 3, 2, 1]);
  /** Rows of `table` [4, 3] at `indices`; the padding row is read from `frozen`, so its gradient is 0 by finite differences too. */
  const lookupRef = (table: Ref, frozen: Ref, paddingIdx: number | null) =>
    ref([2, 4, 3], (i) => {
      const row = indices.data[Math.floor(i / 3)];
      return (row === paddingIdx ? frozen : table).data[row * 3 + (i % 3)];
    });

  for (const paddingIdx of [null, 3, -3] as const) {
    it(`F.embedding with paddingIdx ${paddingIdx}: values, and no gradient to the padding row`, async () => {
      const index = gg.tensor(Int32Array.from(indices.data), indices.shape);
      let frozen: Ref | null = null;
      await checkOp({
        inputs: [[4, 3]],
        gpu: (w) => nn.functional.embedding(index, w, { paddingIdx }),
        ref: (w) => {
          frozen ??= ref(w.shape, Float64Array.from(w.data));
          return lookupRef(w, frozen, paddingIdx === null ? null : (paddingIdx + 4) % 4);
        },
      });
      index.dispose();
    });
  }

  it('nn.Embedding: paddingIdx starts at zero (the rest drawn as without it), reads its values and gets no gradient', async () => {
    const plain = new nn.Embedding(5, 3, { generator: new gg.Generator(9) });
    const padded = new nn.Embedding(5, 3, { paddingIdx: -4, generator: new gg.Generator(9) });
    expect(padded.paddingIdx).toBe(1);
    expect(String(padded)).toBe('Embedding(5, 3, paddingIdx=1)');
    const plainRows = Array.from(await plain.weight.data());
    expect(Array.from(await padded.weight.data())).toEqual(plainRows.map((v, i) => (Math.floor(i / 3) === 1 ? 0 : v)));
    // Forward reads the padding row's values even after training changed them.
    gg.noGrad(() => gg.scope(() => void padded.weight.assign(plain.weight.add(0))));
    const tokens = gg.tensor(Int32Array.from([1, 4, 1, 0]), [2, 2]);
    const before = gg.runtime().memory().liveBuffers;
    const out = gg.scope(() => {
      const y = padded.forward(tokens);
      y.mul(gg.arange(1, 13, 1, { dtype: 'f32' }).reshape([2, 2, 3])).sum().backward();
      return y;
    });
    expect(Array.from(await out.data())).toEqual([1, 4, 1, 0].flatMap((row) => plainRows.slice(row * 3, row * 3 + 3)));
    // Position p's gradient is (3p + 1, 3p + 2, 3p + 3); rows 4 and 0 get theirs, row 1 (positions 0 and 2) nothing.
    expect(Array.from(await padded.weight.grad!.data())).toEqual([10, 11, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5, 6]);
    out.dispose();
    padded.zeroGrad();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
    tokens.dispose();
    plain.dispose();
    padded.dispose();
  });

  it('names the op on bad input', () => {
    gg.scope(() => {
      const table = gg.zeros([4, 3]);
      const index = gg.tensor(Int32Array.from([0, 1]));
      expect(() => new nn.Embedding(4, 3, { paddingIdx: 4 })).toThrow('Embedding: paddingIdx must be an integer in [-4, 4) (the table\'s rows), got 4');
      expect(() => new nn.Embedding(4, 3, { paddingIdx: 0.5 })).toThrow('Embedding: paddingIdx must be an integer');
      expect(() => nn.functional.embedding(index, table, { paddingIdx: -5 })).toThrow('embedding: paddingIdx must be an integer in [-4, 4)');
      expect(() => nn.functional.embedding(index, gg.zeros([12]))).toThrow('embedding: expected a weight of shape [numEmbeddings, dim], got rank 1 (inputs: [2] i32, [12] f32)');
      expect(() => nn.functional.embedding(table, table)).toThrow('embedding: expected dtype i32, got f32');
      expect(() => nn.functional.embedding(index, index)).toThrow('embedding: expected dtype f32, got i32');
    });
  });
});

describe('Dropout', () => {
  it('zeroes a fraction p in training, scales the rest by 1 / (1 - p), and passes gradients through the mask', async () => {
    const layer = new nn.Dropout(0.25, { generator: new gg.Generator(7) });
    const x = gg.full([64, 64], 2, { requiresGrad: true });
    const y = gg.scope(() => {
      const out = layer.forward(x);
      out.sum().backward();
      return out;
    });
    const values = await y.data();
    const grads = await x.grad!.data();
    const kept = values.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 2 / 0.75) < 1e-6)).toBe(true);
    expect(Math.abs(1 - kept.length / values.length - 0.25)).toBeLessThan(0.03);
    expectClose(grads, values.map((v) => v / 2), 1e-6, 0, 'gradient = mask');
    for (const t of [x, y]) t.dispose();
  });

  it('is seeded, the identity in evaluation and with p = 0', async () => {
    const x = gg.randn([8, 9]);
    const draw = async (seed: number) => {
      const y = gg.noGrad(() => new nn.Dropout(0.5, { generator: new gg.Generator(seed) }).forward(x));
      const values = await y.data();
      y.dispose();
      return values;
    };
    expect(await draw(3)).toEqual(await draw(3));
    expect(await draw(3)).not.toEqual(await draw(4));
    expect(new nn.Dropout(0.5).eval().forward(x)).toBe(x);
    expect(new nn.Dropout(0).forward(x)).toBe(x);
    expect(() => new nn.Dropout(1.5)).toThrow(/Dropout: p must be in \[0, 1\], got 1.5/);
    x.dispose();
  });
});

describe('activations, Flatten and Sequential', () => {
  it('the activation modules apply their ops', async () => {
    const x = ref([3, 5], (i) => Math.fround(Math.sin(i + 0.5) * 3));
    const cases: [gg.nn.Module, (v: number) => number][] = [
      [new nn.ReLU(), (v) => Math.max(v, 0)],
      [new nn.LeakyReLU(0.2), (v) => (v > 0 ? v : 0.2 * v)],
      [new nn.Tanh(), Math.tanh],
      [new nn.Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
      [new nn.Softplus(), (v) => Math.log1p(Math.exp(v))],
      [new nn.GELU(), (v) => v * normalCdf(v)],
      [new nn.GELU({ approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
    ];
    for (const [module, f] of cases) await checkModule({ module, inputs: [x], ref: ([input]) => map(input, f) });
  });

  it('Sequential chains its children, named 0, 1, ...; Flatten keeps the batch axis', async () => {
    const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(6, 4, { generator: new gg.Generator(1) }), new nn.Tanh(), new nn.Linear(4, 2, { generator: new gg.Generator(2) }));
    expect(model.namedChildren().map(([name]) => name)).toEqual(['0', '1', '2', '3']);
    expect(model.length).toBe(4);
    expect(model.at(-1)).toBeInstanceOf(nn.Linear);
    await checkModule({
      module: model,
      inputs: [[3, 2, 3]],
      ref: ([x], p) => linearRef(map(linearRef(ref([3, 6], x.data), p['1.weight'], p['1.bias']), Math.tanh), p['3.weight'], p['3.bias']),
    });
    expect(String(model)).toBe(
      'Sequential(\n  (0): Flatten(startDim=1, endDim=-1)\n  (1): Linear(inFeatures=6, outFeatures=4, bias=true)\n' +
        '  (2): Tanh()\n  (3): Linear(inFeatures=4, outFeatures=2, bias=true)\n)',
    );
    const x = await toRef(model.at(1).parameters()[0]);
    expect(x.shape).toEqual([4, 6]);
    model.dispose();
  });
});
