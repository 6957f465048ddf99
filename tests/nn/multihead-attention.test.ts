// nn.MultiheadAttention against PyTorch: each case of tests/fixtures/mha.json
// (bench/reference/pytorch_mha.py) loads torch's state_dict through loadStateDict and must give its
// output, attention weights and the gradients of the inputs and every parameter to 1e-5, with weights
// asked for (the composed path) and without (the fused kernels, and the packed projection for
// batch-first self-attention). Then what the fixture does not cover: PyTorch's parameter names and
// initialisation, dropout on the weights, float and boolean masks alike, isCausal beside an attnMask,
// and the errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { expectClose } from '../helpers/check.js';

const { nn } = gg;

interface FixtureTensor {
  shape: number[];
  data: (number | string)[];
}

interface MhaCase {
  name: string;
  args: { embed_dim: number; num_heads: number; bias?: boolean; batch_first?: boolean; kdim?: number; vdim?: number };
  selfAttention: boolean;
  causal: boolean;
  averageAttnWeights: boolean;
  state: Record<string, FixtureTensor>;
  query: FixtureTensor;
  key?: FixtureTensor;
  value?: FixtureTensor;
  keyPaddingMask?: FixtureTensor & { boolean: boolean };
  attnMask?: FixtureTensor & { boolean: boolean };
  outWeights: FixtureTensor;
  out: FixtureTensor;
  attnWeights: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/mha.json', import.meta.url), 'utf8')) as { cases: MhaCase[] };
const values = (t: FixtureTensor) => Float32Array.from(t.data, Number);
const toTensor = (t: FixtureTensor, options: { requiresGrad?: boolean } = {}) => gg.tensor(values(t), t.shape, options);
const toMask = (m: (FixtureTensor & { boolean: boolean }) | undefined) =>
  m && (m.boolean ? gg.tensor(Int32Array.from(m.data, Number), m.shape) : toTensor(m));

function moduleOf(c: MhaCase): gg.nn.MultiheadAttention {
  const { embed_dim, num_heads, bias, batch_first, kdim, vdim } = c.args;
  const mha = new nn.MultiheadAttention(embed_dim, num_heads, { bias, batchFirst: batch_first, kdim, vdim });
  const state = Object.fromEntries(Object.entries(c.state).map(([k, t]) => [k, toTensor(t)]));
  mha.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  return mha;
}

describe('nn.MultiheadAttention against PyTorch (tests/fixtures/mha.json)', () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const before = gg.runtime().memory().liveBuffers;
      const mha = moduleOf(c);
      expect(Object.keys(mha.stateDict())).toEqual(Object.keys(c.state));
      const query = toTensor(c.query, { requiresGrad: true });
      const [key, value] = c.selfAttention ? [query, query] : [toTensor(c.key!, { requiresGrad: true }), toTensor(c.value!, { requiresGrad: true })];
      const [keyPaddingMask, attnMask] = [toMask(c.keyPaddingMask), toMask(c.attnMask)];
      const options = { keyPaddingMask, attnMask, isCausal: c.causal, averageAttnWeights: c.averageAttnWeights };
      const [out, weights] = gg.scope(() => {
        const [y, w] = mha.forward(query, key, value, options);
        y.mul(toTensor(c.outWeights)).sum().backward();
        return [y, w!];
      });
      expect(out.shape).toEqual(c.out.shape);
      expect(weights.shape).toEqual(c.attnWeights.shape);
      expectClose(await out.data(), values(c.out), 1e-5, 1e-5, 'output');
      expectClose(await weights.data(), values(c.attnWeights), 1e-5, 1e-5, 'attention weights');
      const inputs: [string, gg.Tensor][] = c.selfAttention ? [['query', query]] : [['query', query], ['key', key], ['value', value]];
      for (const [name, t] of [...inputs, ...mha.namedParameters()]) expectClose(await t.grad!.data(), values(c.grads[name]), 1e-5, 1e-5, `gradient of ${name}`);

      // Without the weights: the fused kernels (or the packed projection) where no mask is given.
      const [fast, none] = gg.noGrad(() => mha.forward(query, key, value, { ...options, needWeights: false }));
      expect(none).toBeNull();
      expectClose(await fast.data(), values(c.out), 1e-5, 1e-5, 'output without weights');

      for (const t of [query, key, value, keyPaddingMask, attnMask, out, weights, fast]) t?.dispose();
      mha.dispose();
      expect(gg.runtime().memory().liveBuffers).toBe(before);
    });
  }
});

describe('nn.MultiheadAttention', () => {
  it("has PyTorch's parameters, layouts and initialisation", () => {
    const packed = new nn.MultiheadAttention(8, 2, { generator: new gg.Generator(1) });
    const shapes = (m: gg.nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]));
    expect(shapes(packed)).toEqual({ in_proj_weight: [24, 8], in_proj_bias: [24], 'out_proj.weight': [8, 8], 'out_proj.bias': [8] });
    const separate = new nn.MultiheadAttention(4, 4, { kdim: 3, vdim: 5, bias: false });
    expect(shapes(separate)).toEqual({ q_proj_weight: [4, 4], k_proj_weight: [4, 3], v_proj_weight: [4, 5], 'out_proj.weight': [4, 4] });
    expect(separate.headDim).toBe(1);
    expect(String(separate)).toContain('MultiheadAttention(embedDim=4, numHeads=4, dropout=0, bias=false, batchFirst=false, kdim=3, vdim=5');
    return (async () => {
      // Xavier-uniform for in_proj_weight [3E, E]: bound sqrt(6 / (E + 3E)); zero biases.
      const w = await packed.inProjWeight!.data();
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 32));
      expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.8 * Math.sqrt(6 / 32));
      expect(Array.from(await packed.inProjBias!.data()).every((x) => x === 0)).toBe(true);
      expect(Array.from(await packed.outProj.bias!.data()).every((x) => x === 0)).toBe(true);
      packed.dispose();
      separate.dispose();
    })();
  });

  it('dropout drops the attention weights in training and not in evaluation', async () => {
    const mha = new nn.MultiheadAttention(6, 2, { dropout: 0.5, batchFirst: true, generator: new gg.Generator(3) });
    const x = gg.randn([2, 5, 6], { generator: new gg.Generator(4) });
    const [evalOut, evalWeights] = gg.noGrad(() => mha.eval().forward(x, x, x, { averageAttnWeights: false }));
    const [trainOut, trainWeights] = gg.noGrad(() => mha.train().forward(x, x, x, { averageAttnWeights: false }));
    const [kept, dropped] = [await evalWeights!.data(), await trainWeights!.data()];
    // Each weight is dropped (0) or kept and scaled by 1 / (1 - p).
    dropped.forEach((d, i) => expect(d === 0 || Math.abs(d - 2 * kept[i]) < 1e-6).toBe(true));
    const zeros = dropped.filter((d) => d === 0).length;
    expect(zeros).toBeGreaterThan(dropped.length * 0.3);
    expect(zeros).toBeLessThan(dropped.length * 0.7);
    expect(Array.from(await trainOut.data())).not.toEqual(Array.from(await evalOut.data()));
    for (const t of [x, evalOut, evalWeights, trainOut, trainWeights]) t?.dispose();
    mha.dispose();
  });

  it('a boolean and an additive mask hide the same keys; isCausal with an attnMask applies both', async () => {
    const mha = new nn.MultiheadAttention(4, 2, { generator: new gg.Generator(5) });
    const [q, k] = [gg.randn([3, 2, 4], { generator: new gg.Generator(6) }), gg.randn([3, 2, 4], { generator: new gg.Generator(7) })];
    const run = (options: gg.nn.MultiheadAttentionForwardOptions) => gg.noGrad(() => mha.forward(q, k, k, options));
    const padding = gg.tensor([[0, 1, 0], [0, 0, 1]], { dtype: 'i32' });
    const paddingAdded = gg.tensor([[0, -Infinity, 0], [0, 0, -Infinity]]);
    const blocked = gg.tensor([[0, 0.5, -1], [0.25, 0, 0], [-0.5, 1, 0]]);
    const causalBlocked = gg.tensor([[0, -Infinity, -Infinity], [0.25, 0, -Infinity], [-0.5, 1, 0]]);
    const pairs = [
      [run({ keyPaddingMask: padding }), run({ keyPaddingMask: paddingAdded })],
      [run({ attnMask: blocked, isCausal: true }), run({ attnMask: causalBlocked })],
      [run({ attnMask: blocked, keyPaddingMask: padding, isCausal: true, needWeights: false }), run({ attnMask: causalBlocked, keyPaddingMask: paddingAdded })],
    ];
    for (const [[a, aw], [b, bw]] of pairs) {
      expectClose(await a.data(), await b.data(), 1e-6, 1e-5, 'output');
      if (aw) expectClose(await aw.data(), await bw!.data(), 1e-6, 1e-5, 'weights');
    }
    for (const t of [q, k, padding, paddingAdded, blocked, causalBlocked, ...pairs.flat(2)]) t?.dispose();
    mha.dispose();
  });

  it('leaves no buffer behind after a training step', () => {
    const before = gg.runtime().memory().liveBuffers;
    const mha = new nn.MultiheadAttention(4, 2, { kdim: 3, dropout: 0.2, generator: new gg.Generator(8) });
    const [q, k, v] = [gg.randn([2, 3, 4]), gg.randn([5, 3, 3]), gg.randn([5, 3, 4])];
    const mask = gg.tensor([[0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [1, 0, 0, 0, 0]], { dtype: 'i32' });
    gg.scope(() => {
      const [out, weights] = mha.forward(q, k, v, { keyPaddingMask: mask });
      out.sum().add(weights!.sum()).backward();
    });
    for (const t of [q, k, v, mask]) t.dispose();
    mha.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});
