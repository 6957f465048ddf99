// gg.nn.functional.scaledDotProductAttention: values and finite-difference gradients against a
// float64 reference on both of its paths (the fused kernels, and the composition with masks, causal
// masks over unequal lengths, values of another width, leading dimensions other than [B, H]); the
// boolean (i32) and additive (f32, with its own gradient) masks; dropout on the weights; and the cases
// of tests/fixtures/sdpa.json (bench/reference/pytorch_sdpa.py), PyTorch's outputs and gradients.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { sdpaRef, type SdpaSettings } from '../helpers/op-references.js';
import { ref, type Ref } from '../helpers/reference.js';

const { scaledDotProductAttention } = gg.nn.functional;

interface FixtureTensor {
  shape: number[];
  data: (number | string)[];
}

interface SdpaCase {
  name: string;
  causal: boolean;
  scale: number | null;
  floatMask: boolean;
  q: FixtureTensor;
  k: FixtureTensor;
  v: FixtureTensor;
  mask?: FixtureTensor;
  weights: FixtureTensor;
  out: FixtureTensor;
  dq: FixtureTensor;
  dk: FixtureTensor;
  dv: FixtureTensor;
  dmask?: FixtureTensor;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/sdpa.json', import.meta.url), 'utf8')) as { cases: SdpaCase[] };
const values = (t: FixtureTensor) => Float32Array.from(t.data, Number);

/** The op on the GPU beside its reference, for checkOp; an integer mask is made inside the op (it takes no gradient). */
function attend(settings: SdpaSettings & { dropoutP?: number }, keepMask?: Ref) {
  return {
    gpu: (q: gg.Tensor, k: gg.Tensor, v: gg.Tensor, mask?: gg.Tensor) => {
      const options = { causal: settings.causal, scale: settings.scale, dropoutP: settings.dropoutP };
      if (mask) return scaledDotProductAttention(q, k, v, { ...options, mask });
      if (keepMask) return scaledDotProductAttention(q, k, v, { ...options, mask: gg.tensor(Int32Array.from(keepMask.data), keepMask.shape) });
      return scaledDotProductAttention(q, k, v, options);
    },
    ref: (q: Ref, k: Ref, v: Ref, mask?: Ref) =>
      sdpaRef(q, k, v, mask ? { ...settings, mask, maskKind: 'add' } : keepMask ? { ...settings, mask: keepMask, maskKind: 'keep' } : settings),
  };
}

describe('nn.functional.scaledDotProductAttention', () => {
  it('the fused path: [B, H, L, E] with odd sizes, any leading dimensions, causal with L = S', async () => {
    await checkOp({ ...attend({}), inputs: [[2, 3, 5, 6], [2, 3, 7, 6], [2, 3, 7, 6]], seed: 1 });
    await checkOp({ ...attend({ causal: true, scale: 0.6 }), inputs: [[1, 2, 5, 4], [1, 2, 5, 4], [1, 2, 5, 4]], seed: 2 });
    // Rank 2 and rank 5: the leading dimensions become heads of the kernels.
    await checkOp({ ...attend({}), inputs: [[3, 5], [4, 5], [4, 5]], seed: 3 });
    await checkOp({ ...attend({ causal: true }), inputs: [[2, 1, 2, 3, 4], [2, 1, 2, 3, 4], [2, 1, 2, 3, 4]], seed: 4 });
  });

  it('takes the fused kernels only where they compute the same function', () => {
    const [q, k, v] = [[1, 2, 3, 4], [1, 2, 5, 4], [1, 2, 5, 4]].map((shape) => gg.randn(shape, { requiresGrad: true }));
    const madeBy = (options: gg.nn.functional.ScaledDotProductAttentionOptions) => gg.scope(() => scaledDotProductAttention(q, k, v, options).opName);
    expect(madeBy({})).toBe('scaledDotProductAttention');
    expect(madeBy({ causal: true })).toBe('matmul'); // 3 queries, 5 keys: the kernels' causal mask is aligned with the last key
    expect(madeBy({ mask: gg.zeros([3, 5]) })).toBe('matmul');
    expect(madeBy({ dropoutP: 0.1 })).toBe('matmul');
    for (const t of [q, k, v]) t.dispose();
  });

  it('causal over unequal lengths is aligned with the first key, as PyTorch', async () => {
    await checkOp({ ...attend({ causal: true }), inputs: [[1, 2, 3, 4], [1, 2, 6, 4], [1, 2, 6, 4]], seed: 5 });
    await checkOp({ ...attend({ causal: true }), inputs: [[2, 6, 3], [2, 4, 3], [2, 4, 3]], seed: 6 });
  });

  it('values of another width than the queries', async () => {
    await checkOp({ ...attend({ scale: 0.9 }), inputs: [[2, 3, 4], [2, 5, 4], [2, 5, 7]], seed: 7 });
  });

  it('a boolean (i32) mask, broadcast, non-zero = attend', async () => {
    // [L, S] = [3, 5] against scores [2, 2, 3, 5]; every query keeps key 0.
    const keep = ref([3, 5], [1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]);
    await checkOp({ ...attend({}, keep), inputs: [[2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 3]], seed: 8 });
  });

  it('an additive (f32) mask with -Infinity, and its gradient', async () => {
    const mask = ref([2, 1, 3, 4], (i) => (i === 5 ? -Infinity : Math.fround(Math.sin(i) * 2)));
    await checkOp({ ...attend({}), inputs: [[2, 2, 3, 5], [2, 2, 4, 5], [2, 2, 4, 5], mask], seed: 9, gradInputs: [0, 1, 2, 3] });
  });

  it('a query that sees no key gives NaN, as PyTorch', async () => {
    const [q, k, v] = [gg.ones([1, 2, 3]), gg.ones([1, 2, 3]), gg.ones([1, 2, 3])];
    const mask = gg.tensor([[1, 1], [0, 0]], { dtype: 'i32' });
    const out = scaledDotProductAttention(q, k, v, { mask });
    const got = await out.data();
    expect(Array.from(got.subarray(0, 3))).toEqual([1, 1, 1]);
    expect(Array.from(got.subarray(3)).every(Number.isNaN)).toBe(true);
    for (const t of [q, k, v, mask, out]) t.dispose();
  });

  it('dropoutP drops attention weights with the generator given, and p = 1 gives zeros', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const [q, k, v] = [[1, 2, 4, 3], [1, 2, 6, 3], [1, 2, 6, 3]].map((shape, i) => gg.randn(shape, { generator: new gg.Generator(i) }));
    const dropped = scaledDotProductAttention(q, k, v, { dropoutP: 0.5, generator: new gg.Generator(7) });
    // The same draw by hand: weights times the inverted-dropout mask, then times v.
    const expected = gg.scope(() => {
      const weights = gg.softmax(gg.matmul(q, k, { transB: true }).mul(1 / Math.sqrt(3)), -1);
      return gg.matmul(weights.mul(gg.dropoutMask(weights.shape, 0.5, { generator: new gg.Generator(7) })), v);
    });
    expectClose(await dropped.data(), await expected.data(), 1e-6, 1e-5, 'dropout');
    const zeros = scaledDotProductAttention(q, k, v, { dropoutP: 1 });
    expect(Array.from(await zeros.data()).every((x) => x === 0)).toBe(true);
    for (const t of [q, k, v, dropped, expected, zeros]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('takes attnMask and isCausal, PyTorch spellings of mask and causal', async () => {
    const [q, k, v] = [[1, 3, 4], [1, 3, 4], [1, 3, 4]].map((shape, i) => gg.randn(shape, { generator: new gg.Generator(20 + i) }));
    const mask = gg.tensor([[0, -1, -Infinity]]);
    const pairs = [
      [scaledDotProductAttention(q, k, v, { causal: true }), scaledDotProductAttention(q, k, v, { isCausal: true })],
      [scaledDotProductAttention(q, k, v, { mask }), scaledDotProductAttention(q, k, v, { attnMask: mask })],
    ];
    for (const [a, b] of pairs) expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    for (const t of [q, k, v, mask, ...pairs.flat()]) t.dispose();
  });

  describe('against PyTorch (tests/fixtures/sdpa.json)', () => {
    for (const c of fixture.cases) {
      it(c.name, async () => {
        const before = gg.runtime().memory().liveBuffers;
        const [q, k, v] = [c.q, c.k, c.v].map((t) => gg.tensor(values(t), t.shape, { requiresGrad: true }));
        const mask = c.mask && (c.floatMask ? gg.tensor(values(c.mask), c.mask.shape, { requiresGrad: !!c.dmask }) : gg.tensor(Int32Array.from(c.mask.data, Number), c.mask.shape));
        const out = gg.scope(() => {
          const y = scaledDotProductAttention(q, k, v, { mask, causal: c.causal, scale: c.scale });
          y.mul(gg.tensor(values(c.weights), c.weights.shape)).sum().backward();
          return y;
        });
        expectClose(await out.data(), values(c.out), 1e-5, 1e-5, 'output');
        for (const [name, t, expected] of [['dq', q, c.dq], ['dk', k, c.dk], ['dv', v, c.dv], ['dmask', mask, c.dmask]] as const) {
          if (expected) expectClose(await t!.grad!.data(), values(expected), 1e-5, 1e-5, name);
        }
        for (const t of [q, k, v, mask, out]) t?.dispose();
        expect(gg.runtime().memory().liveBuffers).toBe(before);
      });
    }
  });
});
