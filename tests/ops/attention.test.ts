// The fused flash-attention kernels against a float64 reference: scaledDotProductAttention's values
// and finite-difference gradients with and without the causal mask, odd sequence lengths, head sizes
// that are and are not multiples of 4, a partly filled KV cache (kvLength), the matmul composition
// for large heads, second derivatives through the createGraph rule, determinism; the packed [B, T, 3C]
// layout (packedSelfAttention) likewise; cachedSelfAttention step by step against the full
// sequence; the errors; and the 'tiles' rung (workgroup-staged rows) against the 'blocks' rung, bit for bit.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { cachedSelfAttention, packedSelfAttention, scaledDotProductAttention, type AttentionOptions } from '../../src/ops/attention.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { attentionRef, packedAttentionRef, type AttentionSettings } from '../helpers/op-references.js';
import { ref, rng, random, type Ref } from '../helpers/reference.js';

/** The float64 gradient dq of sum(attention(q, k, v) * w), for the second-derivative check. */
function referenceQueryGradient(q: Ref, k: Ref, v: Ref, w: Ref, { causal, scale }: AttentionSettings): Ref {
  const [B, H, T, Dh] = q.shape;
  const s = scale ?? 1 / Math.sqrt(Dh);
  const dq = ref(q.shape, () => 0);
  const row = (a: Ref, bh: number, i: number) => a.data.subarray((bh * T + i) * Dh, (bh * T + i + 1) * Dh);
  const dot = (x: Float64Array, y: Float64Array) => x.reduce((acc, xi, d) => acc + xi * y[d], 0);
  for (let bh = 0; bh < B * H; bh++) {
    for (let i = 0; i < T; i++) {
      const last = causal ? i : T - 1;
      const scores = Array.from({ length: last + 1 }, (_, j) => s * dot(row(q, bh, i), row(k, bh, j)));
      const max = Math.max(...scores);
      const e = scores.map((x) => Math.exp(x - max));
      const total = e.reduce((a, b) => a + b, 0);
      const p = e.map((x) => x / total);
      const dp = p.map((_, j) => dot(row(w, bh, i), row(v, bh, j)));
      const mean = p.reduce((acc, pj, j) => acc + pj * dp[j], 0);
      const target = row(dq, bh, i);
      p.forEach((pj, j) => {
        const ds = pj * (dp[j] - mean) * s;
        row(k, bh, j).forEach((kd, d) => (target[d] += ds * kd));
      });
    }
  }
  return dq;
}

function attend(settings: AttentionSettings, variant?: gg.AttentionVariant) {
  const options: AttentionOptions = { causal: settings.causal, scale: settings.scale, kvLength: settings.kvLength, variant };
  return {
    gpu: (q: gg.Tensor, k: gg.Tensor, v: gg.Tensor) => scaledDotProductAttention(q, k, v, options),
    ref: (q: Ref, k: Ref, v: Ref) => attentionRef(q, k, v, settings),
  };
}

describe('scaledDotProductAttention', () => {
  // [B, H, T, Dh]: odd T (ragged last block of 4 rows and of 4 keys), T below one block, Dh a multiple of 4 and not.
  const shapes: [number, number, number, number][] = [
    [1, 2, 7, 8],
    [2, 1, 5, 4],
    [1, 1, 3, 6],
    [1, 2, 9, 3],
  ];
  for (const causal of [true, false]) {
    it(`values and gradients ${causal ? 'with' : 'without'} the causal mask, odd T, any Dh`, async () => {
      for (const [i, [B, H, T, Dh]] of shapes.entries()) {
        const shape = [B, H, T, Dh];
        await checkOp({ ...attend({ causal }), inputs: [shape, shape, shape], seed: 10 + i, range: [-2, 2] });
      }
    });
  }

  it('more keys than queries, an explicit scale, and a partly filled KV cache (kvLength)', async () => {
    // 3 queries at the end of 6 filled keys in a cache of 8 rows: the last 2 rows are never read.
    const k = [1, 2, 8, 4];
    await checkOp({ ...attend({ causal: true, kvLength: 6, scale: 0.7 }), inputs: [[1, 2, 3, 4], k, k], seed: 3 });
    await checkOp({ ...attend({ causal: false, kvLength: 5 }), inputs: [[2, 1, 2, 4], [2, 1, 7, 4], [2, 1, 7, 4]], seed: 4 });
    // One query against every cached key (a decoding step).
    await checkOp({ ...attend({ causal: true }), inputs: [[1, 2, 1, 8], [1, 2, 11, 8], [1, 2, 11, 8]], seed: 5 });
  });

  it('stays finite and exact for scores in the thousands (the online softmax never exponentiates a large number)', async () => {
    const shape = [1, 2, 6, 8];
    await checkOp({ ...attend({ causal: true }), inputs: [shape, shape, shape], seed: 12, range: [-30, 30], grad: false, atol: 1e-4 });
  });

  it('head sizes past the fused kernels use the matmul composition', async () => {
    const shape = [1, 1, 3, 132];
    await checkOp({ ...attend({ causal: true }), inputs: [shape, shape, shape], seed: 6, gradInputs: [0, 2] });
  });

  it('a realistic size (T = 64, Dh = 32) matches the reference, forward and backward', async () => {
    const shape = [2, 2, 64, 32];
    await checkOp({ ...attend({ causal: true }), inputs: [shape, shape, shape], seed: 7, range: [-2, 2], grad: false, atol: 2e-5 });
    // The fused backward against the composition's (which shares no kernel with it).
    const next = rng(8);
    const [q, k, v, w] = [0, 1, 2, 3].map(() => gg.tensor(Float32Array.from(random(shape, next, -2, 2).data), shape, { requiresGrad: true }));
    const gradients = (fused: boolean) =>
      gg.scope(() => {
        const out = fused ? scaledDotProductAttention(q, k, v, { causal: true }) : gg.matmul(causalSoftmax(q, k), v);
        return gg.grad(out.mul(w).sum(), [q, k, v]);
      });
    const fused = gradients(true);
    const composed = gradients(false);
    for (let i = 0; i < 3; i++) expectClose(await fused[i].data(), await composed[i].data(), 1e-5, 1e-4, `gradient ${'qkv'[i]}`);
    for (const t of [q, k, v, w, ...fused, ...composed]) t.dispose();
  });

  it('second derivatives through the createGraph rule', async () => {
    // gpu: dq of sum(attention * w) with a graph, differentiated again by checkOp.
    const shape = [1, 2, 5, 4];
    for (const causal of [true, false]) {
      await checkOp({
        inputs: [shape, shape, shape, shape],
        gradInputs: [0, 1, 2],
        seed: causal ? 21 : 22,
        gpu: (q, k, v, w) => gg.grad(scaledDotProductAttention(q, k, v, { causal }).mul(w).sum(), [q], undefined, { createGraph: true })[0],
        ref: (q, k, v, w) => referenceQueryGradient(q, k, v, w, { causal }),
      });
    }
  });

  it('packed qkv [B, T, 3C] in place: values and gradients, with and without the mask, any head size', async () => {
    // [B, T, heads, Dh]: Dh = 4 and 8 run the fused kernels on the packed layout; Dh = 3 the unpacking fallback.
    const cases: [number, number, number, number][] = [
      [2, 7, 2, 4],
      [1, 5, 1, 8],
      [1, 6, 2, 3],
    ];
    for (const causal of [true, false]) {
      for (const [i, [B, T, heads, Dh]] of cases.entries()) {
        await checkOp({
          inputs: [[B, T, 3 * heads * Dh]],
          seed: 30 + i,
          range: [-2, 2],
          gpu: (qkv) => packedSelfAttention(qkv, heads, { causal }),
          ref: (qkv) => packedAttentionRef(qkv, heads, { causal }),
        });
      }
    }
  });

  it('cachedSelfAttention, fed a few positions at a time, matches attention over the whole sequence', async () => {
    for (const [heads, Dh] of [[2, 8], [3, 2]]) {
      const [B, T, capacity] = [2, 9, 12];
      const C = heads * Dh;
      const before = gg.runtime().memory().liveBuffers;
      const qkv = gg.tensor(Float32Array.from(random([B, T, 3 * C], rng(40 + Dh)).data), [B, T, 3 * C]);
      const whole = gg.scope(() => packedSelfAttention(qkv, heads, { causal: true }));
      const expected = await whole.data();
      const cache = gg.zeros([B, capacity, 2 * C]);
      const got = new Float32Array(B * T * C);
      let filled = 0;
      for (const n of [4, 1, 1, 3]) {
        const rows = gg.noGrad(() => gg.scope(() => cachedSelfAttention(gg.slice(qkv, 1, filled, filled + n), cache, filled, heads)));
        const values = await rows.data();
        for (let b = 0; b < B; b++) got.set(values.subarray(b * n * C, (b + 1) * n * C), (b * T + filled) * C);
        rows.dispose();
        filled += n;
      }
      expectClose(got, expected, 1e-5, 1e-4, `cached attention, Dh ${Dh}`);
      for (const t of [qkv, whole, cache]) t.dispose();
      expect(gg.runtime().memory().liveBuffers).toBe(before);
    }
  });

  it('is deterministic: the same bits on every run', async () => {
    const shape = [2, 2, 33, 8];
    const next = rng(9);
    const inputs = [0, 1, 2].map(() => gg.tensor(Float32Array.from(random(shape, next).data), shape, { requiresGrad: true }));
    const run = async () => {
      const grads = gg.scope(() => gg.grad(scaledDotProductAttention(inputs[0], inputs[1], inputs[2], { causal: true }).square().sum(), inputs));
      const values = await Promise.all(grads.map((g) => g.data()));
      for (const g of grads) g.dispose();
      return values;
    };
    expect(await run()).toEqual(await run());
    for (const t of inputs) t.dispose();
  });

  it('names the op, the shapes and the dtype on bad input', () => {
    const before = gg.runtime().memory().liveBuffers;
    gg.scope(() => {
      const q = gg.zeros([1, 2, 4, 8]);
      expect(() => scaledDotProductAttention(q, gg.zeros([1, 2, 4, 6]), gg.zeros([1, 2, 4, 6]))).toThrow(
        'scaledDotProductAttention: expected q [B, H, Tq, Dh] and k, v [B, H, Tk, Dh] with the same B, H and Dh (inputs: [1, 2, 4, 8] f32, [1, 2, 4, 6] f32, [1, 2, 4, 6] f32)',
      );
      expect(() => scaledDotProductAttention(q, q, gg.zeros([1, 2, 4, 8], { dtype: 'i32' }))).toThrow('expected dtype f32, got i32');
      expect(() => scaledDotProductAttention(q, gg.zeros([1, 2, 2, 8]), gg.zeros([1, 2, 2, 8]), { causal: true })).toThrow('2 keys for 4 queries');
      expect(() => scaledDotProductAttention(q, q, q, { kvLength: 5 })).toThrow('kvLength must be an integer in [1, 4]');
      expect(() => packedSelfAttention(gg.zeros([2, 3, 12]), 5)).toThrow('packedSelfAttention: expected qkv [B, T, 3 * C] with C a multiple of heads (5) (inputs: [2, 3, 12] f32)');
      expect(() => cachedSelfAttention(gg.zeros([1, 2, 12]), gg.zeros([1, 3, 8]), 2, 1)).toThrow('2 filled rows plus 2 new ones must fit the cache\'s 3');
      const needsGrad = gg.zeros([1, 1, 12]).requiresGrad_();
      expect(() => cachedSelfAttention(needsGrad, gg.zeros([1, 3, 8]), 0, 1)).toThrow('is for inference');
      needsGrad.dispose();
    });
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});

describe("attention's 'tiles' rung (workgroup-staged rows, the GPU rung)", () => {
  /** Values and the gradients of q, k and v under `variant` (the bits of each). */
  async function attentionBits(variant: gg.AttentionVariant, inputs: gg.Tensor[], run: (variant: gg.AttentionVariant) => gg.Tensor): Promise<number[][]> {
    const results = gg.scope(() => {
      const out = run(variant);
      return [out, ...gg.grad(out.square().sum(), inputs)];
    });
    const bits = [];
    for (const t of results) bits.push(Array.from(new Uint32Array((await t.data()).buffer.slice(0))));
    for (const t of results) t.dispose();
    return bits;
  }

  it('gives the bits of the blocks rung: several workgroups and tiles per head, odd T, kvLength, every head size', async () => {
    const next = rng(50);
    const cases: { q: number[]; k: number[]; options: AttentionOptions }[] = [
      { q: [1, 2, 150, 8], k: [1, 2, 150, 8], options: { causal: true } },
      { q: [2, 1, 37, 4], k: [2, 1, 37, 4], options: { causal: false } },
      { q: [1, 1, 5, 32], k: [1, 1, 23, 32], options: { causal: true, kvLength: 21 } },
      { q: [1, 1, 9, 128], k: [1, 1, 9, 128], options: { causal: true } },
      { q: [1, 2, 7, 6], k: [1, 2, 7, 6], options: { causal: false, scale: 0.3 } },
    ];
    for (const { q: qShape, k: kShape, options } of cases) {
      const inputs = [qShape, kShape, kShape].map((shape) => gg.tensor(Float32Array.from(random(shape, next, -2, 2).data), shape, { requiresGrad: true }));
      const run = (variant: gg.AttentionVariant) => scaledDotProductAttention(inputs[0], inputs[1], inputs[2], { ...options, variant });
      expect(await attentionBits('tiles', inputs, run), JSON.stringify({ qShape, kShape, options })).toEqual(await attentionBits('blocks', inputs, run));
      for (const t of inputs) t.dispose();
    }
  });

  it('matches the float64 reference itself, and runs the packed layout and a KV cache with the same bits', async () => {
    const shape = [1, 2, 70, 8];
    await checkOp({ ...attend({ causal: true }, 'tiles'), inputs: [shape, shape, shape], seed: 51, range: [-2, 2], grad: false, atol: 2e-5 });
    await checkOp({ ...attend({ causal: false }, 'tiles'), inputs: [[1, 1, 6, 4], [1, 1, 6, 4], [1, 1, 6, 4]], seed: 52 });
    const qkv = gg.tensor(Float32Array.from(random([2, 45, 3 * 16], rng(53)).data), [2, 45, 48], { requiresGrad: true });
    const packed = (variant: gg.AttentionVariant) => packedSelfAttention(qkv, 2, { causal: true, variant });
    expect(await attentionBits('tiles', [qkv], packed)).toEqual(await attentionBits('blocks', [qkv], packed));
    // Cached decoding: 3 new positions after 6 in the cache (an offset that is not a multiple of 4).
    const cacheBits = async (variant: gg.AttentionVariant) => {
      const cache = gg.zeros([2, 12, 32]);
      const rows = gg.noGrad(() => gg.scope(() => {
        cachedSelfAttention(gg.slice(qkv, 1, 0, 6), cache, 0, 2, { variant }).dispose();
        return cachedSelfAttention(gg.slice(qkv, 1, 6, 9), cache, 6, 2, { variant });
      }));
      const bits = Array.from(new Uint32Array((await rows.data()).buffer.slice(0)));
      rows.dispose();
      cache.dispose();
      return bits;
    };
    expect(await cacheBits('tiles')).toEqual(await cacheBits('blocks'));
    qkv.dispose();
  });

  it('is the automatic choice on GPUs and not on a software adapter; an unknown rung is named', () => {
    const info = gg.runtime().adapterInfo;
    expect(gg.chooseAttentionVariant()).toBe(info.architecture === 'swiftshader' || info.isFallbackAdapter ? 'blocks' : 'tiles');
    gg.scope(() => {
      const q = gg.zeros([1, 1, 4, 4]);
      expect(() => scaledDotProductAttention(q, q, q, { variant: 'rows' as gg.AttentionVariant })).toThrow("unknown variant 'rows'; expected 'blocks' or 'tiles'");
    });
  });
});

/** softmax(q kᵀ / sqrt(Dh)) with future keys hidden, from plain ops (the composition the fused kernel replaces). */
function causalSoftmax(q: gg.Tensor, k: gg.Tensor): gg.Tensor {
  const [T, Dh] = q.shape.slice(2);
  const hidden = gg.arange(T).reshape([1, T]).gt(gg.arange(T).reshape([T, 1]));
  return gg.where(hidden, -Infinity, q.matmul(k, { transB: true }).mul(1 / Math.sqrt(Dh))).softmax(-1);
}
