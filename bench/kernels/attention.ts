// The attention family: causal scaled-dot-product attention over [B, H, T, Dh] in gengpu's fused
// flash kernel, checked against tests/helpers/op-references.ts's float64 attention, then timed
// beside the peers' attention. Alone, in Node: `npx tsx bench/kernels/attention.ts [--quick]`.

import { scaledDotProductAttention } from '../../src/ops/attention.js';
import { attentionRef } from '../../tests/helpers/op-references.js';
import { gengpuCase, isEntryPoint, repsFor, upload, type Case } from '../harness/cases.js';
import { HostRandom, hostRef } from '../harness/harness.js';

function attentionCase(T: number, random: HostRandom): Case {
  const [B, H, D] = [4, 8, 64];
  const [q, k, v] = [0, 1, 2].map(() => random.uniform([B, H, T, D]));
  // q kᵀ and p v over the causal triangle (T (T + 1) / 2 pairs), two flops per multiply-add.
  const flops = 2 * 2 * B * H * D * ((T * (T + 1)) / 2);
  const reps = repsFor(flops, 2 ** 26);
  return {
    suite: 'attention', name: `causal, B=${B} H=${H} T=${T} Dh=${D}`, unit: 'GFLOPS', work: flops, reps,
    reference: () => ({ values: attentionRef(hostRef(q), hostRef(k), hostRef(v), { causal: true }).data, tolerance: 1e-4 }),
    gengpu: [{
      library: 'gengpu (fused flash kernel)', role: 'gengpu',
      prepare() {
        const [gq, gk, gv] = [upload(q), upload(k), upload(v)];
        return gengpuCase(() => scaledDotProductAttention(gq, gk, gv, { causal: true }), reps, [gq, gk, gv]);
      },
    }],
    peer: { kind: 'attention', q, k, v, causal: true },
  };
}

export function attentionCases(quick: boolean): Case[] {
  const random = new HostRandom(2029);
  return (quick ? [64] : [64, 256]).map((T) => attentionCase(T, random));
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(attentionCases);
