// The half-precision weight family: linearHalf (x · wᵀ with w packed as halves, shaders/matmul_half.wgsl)
// at GPT-2 124M's shapes, one token being decoded and a 128-token prompt, beside the f32 matmul of
// the same weights read as Bᵀ; each checked at sampled positions against the float64 product with
// the halves widened. The peers hold no packed halves, so they sit these out.
// Alone, in Node: `npx tsx bench/kernels/half.ts [--quick]`.

import * as gg from '../../src/index.js';
import { gengpuCase, isEntryPoint, repsFor, upload, type Case } from '../harness/cases.js';
import { HostRandom, samplePositions } from '../harness/harness.js';

function halfCase(M: number, K: number, N: number, random: HostRandom): Case {
  const x = random.uniform([M, K]);
  const w = random.uniform([N, K], -0.1, 0.1);
  const halves = gg.toHalfBits(w.data);
  const widened = gg.io.toLoadable('bench', 'w', { dtype: 'F16', shape: [N, K], data: halves }).values as Float32Array;
  const flops = 2 * M * N * K;
  const reps = repsFor(flops, 2 ** 27);
  return {
    suite: 'half-precision weights', name: `${M}x${K} · (${N}x${K} halves)ᵀ`, unit: 'GFLOPS', work: flops, reps,
    reference() {
      const at = samplePositions(M * N);
      const values = Float64Array.from(at, (i) => {
        const [m, n] = [Math.floor(i / N), i % N];
        let sum = 0;
        for (let k = 0; k < K; k++) sum += x.data[m * K + k] * widened[n * K + k];
        return sum;
      });
      return { values, at, tolerance: 1e-4 };
    },
    gengpu: [
      {
        library: 'gengpu linearHalf',
        role: 'gengpu',
        prepare() {
          const [gx, gw] = [upload(x), gg.halfTensor(halves, [N, K], { halves: true })];
          return gengpuCase(() => gg.linearHalf(gx, gw), reps, [gx, gw]);
        },
      },
      {
        library: 'gengpu matmul, f32 weights',
        role: 'variant',
        prepare() {
          const [gx, gw] = [upload(x), gg.tensor(widened, [N, K])];
          return gengpuCase(() => gg.matmul(gx, gw, { transB: true }), reps, [gx, gw]);
        },
      },
    ],
    peer: 'the peers have no weights stored as packed halves',
  };
}

export function halfCases(quick: boolean): Case[] {
  const random = new HostRandom(2028);
  const shapes = [[1, 768, 3072], [128, 768, 3072], [1, 3072, 768]];
  return (quick ? shapes.slice(0, 1) : shapes).map(([M, K, N]) => halfCase(M, K, N, random));
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(halfCases);
