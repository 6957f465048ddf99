// Half-precision weights (src/ops/half.ts): toHalfBits against the exact widening of all 65,536
// halves (every half back to its own bits, every midpoint to the even neighbour, overflow to
// infinity, NaN kept); unpackHalves and linearHalf against a float64 reference on random shapes,
// odd sizes, batch dimensions, with and without a bias, K = 0, and NaN and infinite halves; errors
// naming the op, the shapes and the dtype; no buffer left behind.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { expectClose } from '../helpers/check.js';
import { rng } from '../helpers/reference.js';

/** Every half's exact f32 value (through the safetensors loader's F16 widening). */
const widened = gg.io.toLoadable('test', 'all halves', { dtype: 'F16', shape: [65536], data: Uint16Array.from({ length: 65536 }, (_, h) => h) }).values as Float32Array;
const isNaNHalf = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

/** Random half bits: mostly values in [-2, 2], a few infinities and NaNs when `special`. */
function randomHalves(n: number, next: () => number, special = false): Uint16Array {
  const out = gg.toHalfBits(Float32Array.from({ length: n }, () => (next() * 2 - 1) * 2));
  if (special) for (const [i, bits] of [[1, 0x7c00], [n - 2, 0xfc00], [Math.floor(n / 2), 0x7e00]] as const) if (i >= 0 && i < n) out[i] = bits;
  return out;
}

describe('toHalfBits', () => {
  it('gives every half back its own bits, and midpoints the even neighbour, as torch .half()', () => {
    const bits = gg.toHalfBits(widened);
    for (let h = 0; h < 65536; h++) {
      if (isNaNHalf(h)) expect(isNaNHalf(bits[h]), `NaN half ${h}`).toBe(true);
      else if (bits[h] !== h) expect.fail(`half ${h.toString(16)} (${widened[h]}) came back as ${bits[h].toString(16)}`);
    }
    // Midpoints between neighbouring finite halves of one sign (exact in f32: 11 significant bits).
    const midpoints: number[] = [];
    const expected: number[] = [];
    for (let h = 0; h < 0x7bff; h++) {
      for (const sign of [0, 0x8000]) {
        midpoints.push((widened[h | sign] + widened[(h + 1) | sign]) / 2);
        expected.push((h % 2 === 0 ? h : h + 1) | sign);
      }
    }
    expect(Array.from(gg.toHalfBits(midpoints))).toEqual(expected);
    // Past the largest half (65504): 65519.99 rounds down, 65520 (the midpoint to 65536) up to infinity.
    expect(Array.from(gg.toHalfBits([65519.99, 65520, -1e6, 1e-8, -3e-8, 2 ** -24, Infinity]))).toEqual([0x7bff, 0x7c00, 0xfc00, 0, 0x8001, 0x0001, 0x7c00]);
  });
});

describe('unpackHalves', () => {
  it('widens packed halves exactly, NaN and infinities included', async () => {
    const next = rng(11);
    for (const shape of [[1], [3, 5], [2, 1, 7], [0, 4]]) {
      const bits = randomHalves(2 * shape.reduce((a, b) => a * b, 1), next, true);
      const packed = gg.halfTensor(bits, [...shape.slice(0, -1), 2 * shape[shape.length - 1]], { halves: true });
      expect(packed.shape).toEqual(shape);
      const out = gg.unpackHalves(packed);
      expect(out.shape).toEqual([...shape.slice(0, -1), 2 * shape[shape.length - 1]]);
      const values = (await out.data()) as Float32Array;
      expect(Array.from(values)).toEqual(Array.from(bits, (h) => widened[h]));
      packed.dispose();
      out.dispose();
    }
  });
});

describe('linearHalf', () => {
  it('is x · wᵀ + bias with w widened, on odd shapes and batches, against float64', async () => {
    const baseline = gg.runtime().memory().liveBuffers;
    const next = rng(5);
    const cases: [number[], number, number, boolean][] = [
      [[1, 2], 1, 2, true], [[1, 64], 70, 64, true], [[3, 130], 37, 130, false], [[33, 6], 5, 6, true],
      [[65, 18], 33, 18, false], [[2, 3, 10], 9, 10, true], [[1, 768], 300, 768, true],
    ];
    for (const [xShape, N, K, withBias] of cases) {
      const xValues = Float32Array.from({ length: xShape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
      const wBits = randomHalves(N * K, next);
      const bValues = Float32Array.from({ length: N }, () => next() * 2 - 1);
      const M = xValues.length / K;
      const expected = new Float64Array(M * N);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let sum = withBias ? bValues[n] : 0;
          for (let k = 0; k < K; k++) sum += xValues[m * K + k] * widened[wBits[n * K + k]];
          expected[m * N + n] = sum;
        }
      }
      const out = gg.scope(() => {
        const x = gg.tensor(xValues, xShape);
        const w = gg.halfTensor(wBits, [N, K], { halves: true });
        return gg.linearHalf(x, w, withBias ? gg.tensor(bValues) : null);
      });
      expect(out.shape).toEqual([...xShape.slice(0, -1), N]);
      expectClose((await out.data()) as Float32Array, expected, 1e-4, 1e-5, `x ${JSON.stringify(xShape)}, w [${N}, ${K}]${withBias ? ' + bias' : ''}`);
      out.dispose();
    }
    expect(gg.runtime().memory().liveBuffers).toBe(baseline);
  });

  it('propagates NaN and infinities, and gives the bias for K = 0', async () => {
    const out = gg.scope(() => {
      const x = gg.tensor([[1, 2], [NaN, 1], [1, 0]]);
      const w = gg.halfTensor(Uint16Array.from([0x3c00, 0x3c00, 0x7c00, 0x0000]), [2, 2], { halves: true }); // rows [1, 1] and [inf, 0]
      return gg.linearHalf(x, w);
    });
    expect(Array.from((await out.data()) as Float32Array)).toEqual([3, Infinity, NaN, NaN, 1, Infinity]);
    out.dispose();
    const empty = gg.scope(() => gg.linearHalf(gg.zeros([2, 0]), gg.tensor(new Uint32Array(0), [3, 0], { dtype: 'u32' }), gg.tensor([1, 2, 3])));
    expect(Array.from((await empty.data()) as Float32Array)).toEqual([1, 2, 3, 1, 2, 3]);
    empty.dispose();
  });

  it('names the op, the shapes and the dtype on bad input', () => {
    gg.scope(() => {
      const x = gg.zeros([2, 6]);
      const w = gg.halfTensor(new Float32Array(12), [3, 4]);
      expect(() => gg.linearHalf(x, w)).toThrow(/linearHalf: expected x \[\.\.\., K\] and a packed weight \[N, K \/ 2\] \(K even\) \(inputs: .*\[2, 6\].*\[3, 2\]/);
      expect(() => gg.linearHalf(x, gg.zeros([3, 3]))).toThrow(/linearHalf: expected dtype u32, got f32/);
      expect(() => gg.linearHalf(x, gg.halfTensor(new Float32Array(18), [3, 6]), gg.zeros([4]))).toThrow(/linearHalf: expected a bias \[3\]/);
      const trained = gg.zeros([2, 6]).requiresGrad_();
      expect(() => gg.linearHalf(trained, gg.halfTensor(new Float32Array(18), [3, 6]))).toThrow(/linearHalf: is for inference/);
      expect(() => gg.unpackHalves(gg.zeros([2]))).toThrow(/unpackHalves: expected dtype u32, got f32/);
      expect(() => gg.halfTensor([1, 2, 3], [3])).toThrow(/halfTensor: expected 3 values of a shape whose last dimension is even/);
    });
  });
});
