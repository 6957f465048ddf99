// The matmul family: square products over gengpu's numbered ladder of matmul kernels (each variant
// the adapter can run, beside the automatic choice), the transformer's shapes, and batched
// products; each checked at sampled positions against the float64 product of
// tests/helpers/op-references.ts, then timed beside the peers' matmul.
// Alone, in Node: `npx tsx bench/kernels/matmul.ts [--quick] [--only 1024]`.

import * as gg from '../../src/index.js';
import { atPositions, matmulElements } from '../../tests/helpers/op-references.js';
import { gengpuCase, isEntryPoint, repsFor, upload, type Case, type GengpuImpl } from '../harness/cases.js';
import { HostRandom, hostRef, samplePositions } from '../harness/harness.js';

function matmulCase(suite: string, name: string, aShape: number[], bShape: number[], random: HostRandom, ladder: boolean): Case {
  const a = random.uniform(aShape);
  const b = random.uniform(bShape);
  const [M, K] = aShape.slice(-2);
  const N = bShape[bShape.length - 1];
  const batch = aShape.length === 3 ? aShape[0] : 1;
  const flops = 2 * batch * M * N * K;
  const reps = repsFor(flops, 2 ** 28);
  const impl = (variant: gg.MatmulVariant | undefined): GengpuImpl => ({
    library: variant ? `gengpu ${gg.matmulVariantSpecs[variant].shader.name}` : `gengpu (auto: ${gg.chooseMatmulVariant(M, N, K)})`,
    role: variant ? 'variant' : 'gengpu',
    prepare() {
      const [ga, gb] = [upload(a), upload(b)];
      return gengpuCase(() => gg.matmul(ga, gb, { variant }), reps, [ga, gb]);
    },
  });
  const variants = ladder ? gg.matmulVariants.filter((v) => !gg.matmulVariantSpecs[v].subgroups || gg.runtime().hasSubgroups) : [];
  return {
    suite, name, unit: 'GFLOPS', work: flops, reps,
    reference() {
      const at = samplePositions(batch * M * N);
      return { values: atPositions(matmulElements(hostRef(a), hostRef(b)), at), at, tolerance: 1e-4 };
    },
    gengpu: [impl(undefined), ...variants.map(impl)],
    peer: { kind: 'matmul', a, b },
  };
}

export function matmulCases(quick: boolean): Case[] {
  const random = new HostRandom(2026);
  const pick = <T>(sizes: T[]) => (quick ? sizes.slice(0, 1) : sizes);
  const cases = pick([256, 512, 1024, 2048]).map((n) => matmulCase('matmul', `${n}x${n}x${n}`, [n, n], [n, n], random, true));
  if (!quick) {
    cases.push(matmulCase('matmul', 'transformer 4096x128 @ 128x128', [4096, 128], [128, 128], random, true));
    cases.push(matmulCase('matmul', 'transformer 64x768 @ 768x3072', [64, 768], [768, 3072], random, true));
  }
  for (const [b, n] of pick([[48, 64], [16, 256]])) cases.push(matmulCase('batched matmul', `${b} x ${n}x${n}x${n}`, [b, n, n], [b, n, n], random, false));
  return cases;
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(matmulCases);
