// matmul against a float64 reference: every kernel variant on odd and tile-sized shapes, all four
// transpose combinations, 1-D and broadcast batched operands, finite-difference gradients (first
// and second order), the automatic variant choice, and the errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { matmulRef } from '../helpers/op-references.js';
import { ref } from '../helpers/reference.js';

/** Stored shapes of A (M x K) and B (K x N) for the given transpose flags. */
function operandShapes(M: number, K: number, N: number, transA: boolean, transB: boolean): [number[], number[]] {
  return [transA ? [K, M] : [M, K], transB ? [N, K] : [K, N]];
}

const sizes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [17, 65, 3], [65, 129, 33], [64, 64, 64], [33, 17, 130], [1, 40, 70], [70, 1, 33], [131, 19, 140]];
const transposes: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
const flagName = ([tA, tB]: [boolean, boolean]) => `${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'}`;
/** The variants this adapter can run (quad needs subgroups; SwiftShader has them). */
const available = gg.matmulVariants.filter((v) => !gg.matmulVariantSpecs[v].subgroups || gg.runtime().hasSubgroups);

describe('matmul kernels against the float64 reference', () => {
  for (const variant of available) {
    it(`${variant}: (M, K, N) in ${sizes.map((s) => `(${s.join(',')})`).join(' ')}, all transposes`, async () => {
      for (const [M, K, N] of sizes) {
        for (const flags of transposes) {
          const [transA, transB] = flags;
          await checkOp({
            inputs: operandShapes(M, K, N, transA, transB),
            grad: false,
            gpu: (a, b) => gg.matmul(a, b, { transA, transB, variant }),
            ref: (a, b) => matmulRef(a, b, transA, transB),
            atol: 1e-4,
          }).catch((e: Error) => {
            throw new Error(`${variant} ${flagName(flags)} M=${M} K=${K} N=${N}: ${e.message}`);
          });
        }
      }
    });

    it(`${variant}: batched operands with broadcasting`, async () => {
      const cases: [number[], number[], boolean, boolean][] = [
        [[2, 3, 4, 5], [5, 6], false, false],
        [[3, 4, 5], [3, 5, 6], false, false],
        [[2, 1, 4, 5], [3, 5, 6], false, false],
        [[4, 5], [2, 5, 6], false, false],
        [[2, 1, 5, 4], [3, 6, 5], true, true],
        [[3, 5, 4], [1, 5, 6], true, false],
        [[2, 3, 33, 17], [17, 9], false, false],
      ];
      for (const [aShape, bShape, transA, transB] of cases) {
        await checkOp({
          inputs: [aShape, bShape],
          grad: false,
          gpu: (a, b) => gg.matmul(a, b, { transA, transB, variant }),
          ref: (a, b) => matmulRef(a, b, transA, transB),
          atol: 1e-4,
        });
      }
    });
  }
});

describe('matmul shapes', () => {
  it('1-D operands follow torch.matmul', async () => {
    const cases: [number[], number[]][] = [[[5], [5]], [[5], [5, 3]], [[4, 5], [5]], [[5], [2, 5, 3]], [[2, 4, 5], [5]], [[1], [1]]];
    for (const [aShape, bShape] of cases) {
      await checkOp({ inputs: [aShape, bShape], gpu: (a, b) => a.matmul(b), ref: (a, b) => matmulRef(a, b), atol: 1e-4 });
    }
  });

  it('trans flags on a 1-D operand change nothing', async () => {
    await checkOp({
      inputs: [[5], [3, 5]],
      grad: false,
      gpu: (a, b) => gg.matmul(a, b, { transA: true, transB: true }),
      ref: (a, b) => matmulRef(a, b, false, true),
    });
  });

  it('K = 0 gives zeros and empty operands give empty results', async () => {
    const [zeroK, empty] = gg.scope(() => [
      gg.matmul(gg.zeros([3, 0]), gg.zeros([0, 4])),
      gg.matmul(gg.zeros([0, 5]), gg.zeros([5, 4])),
    ]);
    expect(zeroK.shape).toEqual([3, 4]);
    expect([...(await zeroK.data())]).toEqual(new Array(12).fill(0));
    expect(empty.shape).toEqual([0, 4]);
    for (const t of [zeroK, empty]) t.dispose();
  });

  it('splits a batch of more than 65535 matrices over several dispatches', async () => {
    const batch = 65_537;
    const c = gg.scope(() => {
      const a = gg.arange(batch, undefined, 1, { dtype: 'f32' }).reshape([batch, 1, 1]);
      return gg.matmul(a, gg.full([batch, 1, 1], 2), { variant: 'naive' });
    });
    const values = await c.data();
    expect(c.shape).toEqual([batch, 1, 1]);
    expect([values[0], values[65_534], values[65_535], values[batch - 1]]).toEqual([0, 131_068, 131_070, 131_072]);
    c.dispose();
  });

  it('releases its temporary views when no gradient is recorded', async () => {
    const a = gg.ones([5]);
    const b = gg.ones([5, 3]);
    const before = gg.runtime().memory().liveBuffers;
    const c = gg.matmul(a, b);
    expect(gg.runtime().memory().liveBuffers).toBe(before + 1);
    expect([...(await c.data())]).toEqual([5, 5, 5]);
    for (const t of [a, b, c]) t.dispose();
  });
});

describe('matmul gradients', () => {
  for (const flags of transposes) {
    it(`(3, 5, 7) ${flagName(flags)}`, async () => {
      const [transA, transB] = flags;
      await checkOp({
        inputs: operandShapes(3, 5, 7, transA, transB),
        gpu: (a, b) => gg.matmul(a, b, { transA, transB }),
        ref: (a, b) => matmulRef(a, b, transA, transB),
      });
    });
  }

  it('through every variant', async () => {
    for (const variant of available) {
      await checkOp({ inputs: [[4, 6], [6, 5]], gpu: (a, b) => gg.matmul(a, b, { variant }), ref: (a, b) => matmulRef(a, b) });
    }
  });

  it('with broadcast batch dimensions (sumTo), and a shared weight (folded batch)', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[2, 1, 3, 4], [3, 4, 5], false, false],
      [[2, 3, 4], [4, 5], false, false],
      [[2, 3, 4], [5, 4], false, true],
      [[2, 4, 3], [4, 5], true, false],
      [[3, 4], [2, 4, 5], false, false],
      [[1, 3, 4], [4, 5], false, false],
      [[2, 3, 4], [1, 4, 5], false, false],
    ];
    for (const [aShape, bShape, transA, transB] of cases) {
      await checkOp({
        inputs: [aShape, bShape],
        gpu: (a, b) => gg.matmul(a, b, { transA, transB }),
        ref: (a, b) => matmulRef(a, b, transA, transB),
      });
    }
  });

  it('second order: the gradient dL/dA = C·Bᵀ is differentiable in B and C', async () => {
    // L = sum((A·B) * C), so dL/dA = C·Bᵀ; checkOp differentiates that again (A enters with weight 0).
    await checkOp({
      inputs: [[3, 4], [4, 5], [3, 5]],
      gpu: (a, b, c) => {
        const [dA] = gg.grad(gg.matmul(a, b).mul(c).sum(), [a], undefined, { createGraph: true });
        return dA.add(a.mul(0));
      },
      ref: (a, b, c) => {
        const cbT = matmulRef(c, b, false, true);
        return ref(cbT.shape, (i) => cbT.data[i] + 0 * a.data[i]);
      },
    });
  });
});

describe('matmul variant choice', () => {
  it('exports the ladder and picks register-blocked kernels on SwiftShader', () => {
    expect([...gg.matmulVariants]).toEqual(['naive', 'blocked', 'tiled', 'quad', 'wide']);
    const info = gg.runtime().adapterInfo;
    if (info.architecture === 'swiftshader' || info.isFallbackAdapter) {
      expect(gg.chooseMatmulVariant(512, 512, 512)).toBe(gg.runtime().hasSubgroups ? 'quad' : 'blocked');
      expect(gg.chooseMatmulVariant(4, 512, 512)).toBe('blocked');
    } else {
      expect(gg.chooseMatmulVariant(512, 512, 512)).toBe('tiled');
    }
  });

  it('compiles one pipeline per variant, whatever the shapes and transposes', async () => {
    const run = (variant: gg.MatmulVariant) => {
      for (const [M, K, N] of [[3, 5, 7], [9, 2, 4]]) {
        for (const [transA, transB] of transposes) {
          const [aShape, bShape] = operandShapes(M, K, N, transA, transB);
          gg.scope(() => gg.matmul(gg.zeros(aShape), gg.zeros(bShape), { transA, transB, variant }).dispose());
        }
      }
    };
    for (const variant of available) run(variant); // compiled by now if not before
    const compiled = gg.runtime().counters.pipelinesCompiled;
    for (const variant of available) run(variant);
    expect(gg.runtime().counters.pipelinesCompiled).toBe(compiled);
  });
});

describe('matmul errors', () => {
  it('names both shapes when the inner dimensions differ', () => {
    gg.scope(() => {
      const a = gg.zeros([3, 5]);
      const b = gg.zeros([4, 2]);
      expect(() => gg.matmul(a, b)).toThrow(/matmul: inner dimensions differ: a \[3, 5\] is 3 x 5 but b \[4, 2\] is 4 x 2 \(5 != 4\)/);
      expect(() => gg.matmul(a, b, { transA: true, transB: true })).toThrow(/a \[3, 5\] \(transposed\) is 5 x 3 but b \[4, 2\] \(transposed\) is 2 x 4/);
      expect(() => gg.matmul(gg.zeros([2, 3, 5]), gg.zeros([4, 5, 2]))).toThrow(/batch dimensions \[2\] and \[4\] cannot be broadcast/);
    });
  });

  it('rejects integer dtypes, rank 0 and unknown variants', () => {
    gg.scope(() => {
      expect(() => gg.matmul(gg.zeros([2, 2], { dtype: 'i32' }), gg.zeros([2, 2]))).toThrow(/matmul: expected dtype f32, got i32.*\[2, 2\] i32/);
      expect(() => gg.matmul(gg.zeros([2, 2]), gg.zeros([2, 2], { dtype: 'u32' }))).toThrow(/matmul: expected dtype f32, got u32/);
      expect(() => gg.matmul(gg.full([], 2), gg.zeros([2, 2]))).toThrow(/matmul: both operands need at least 1 dimension.*\[\] f32, \[2, 2\] f32/);
      expect(() => gg.matmul(gg.zeros([2]), gg.full([], 2))).toThrow(/at least 1 dimension/);
      expect(() => gg.matmul(gg.zeros([2, 2]), gg.zeros([2, 2]), { variant: 'fast' as gg.MatmulVariant })).toThrow(
        /unknown variant 'fast'; expected one of naive, blocked, tiled, quad/,
      );
    });
  });
});
