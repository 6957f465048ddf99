// The group-norm family: groupNorm over U-Net activations [N, C, H, W] in 32 groups, with weight and
// bias, checked against tests/helpers/op-references.ts's float64 group norm; the fused kernel
// (shaders/groupnorm.wgsl) beside the same function written with tensor ops, forward alone and
// forward with the backward pass (shaders/groupnorm_grad.wgsl against autograd through the ops).
// Alone, in Node: `npx tsx bench/kernels/groupnorm.ts [--quick]`.

import * as gg from '../../src/index.js';
import { groupNormRef } from '../../tests/helpers/op-references.js';
import { gengpuCase, isEntryPoint, repsFor, upload, type Case } from '../harness/cases.js';
import { HostRandom, hostRef, type HostTensor } from '../harness/harness.js';

const GROUPS = 32;

/** groupNorm with tensor ops: the per-(sample, group) statistics as reductions over a [N, G, rest] view. */
function composedGroupNorm(x: gg.Tensor, weight: gg.Tensor, bias: gg.Tensor): gg.Tensor {
  const [n, c] = x.shape;
  const rows = x.reshape([n, GROUPS, -1]);
  const centered = rows.sub(rows.mean(2, true));
  const normalized = centered.mul(centered.square().mean(2, true).add(1e-5).rsqrt()).reshape(x.shape);
  const perChannel = [c, ...x.shape.slice(2).map(() => 1)];
  return normalized.mul(weight.reshape(perChannel)).add(bias.reshape(perChannel));
}

type GroupNormFn = (x: gg.Tensor, weight: gg.Tensor, bias: gg.Tensor) => gg.Tensor;
const fused: GroupNormFn = (x, weight, bias) => gg.nn.functional.groupNorm(x, GROUPS, weight, bias);

/** One repetition: the forward pass, or the forward pass and the sum of the input's, weight's and bias's gradients for g = 1. */
function prepare(x: HostTensor, weight: HostTensor, bias: HostTensor, reps: number, fn: GroupNormFn, withBackward: boolean) {
  const [gx, gw, gb] = [upload(x), upload(weight), upload(bias)];
  if (!withBackward) return gengpuCase(() => fn(gx, gw, gb), reps, [gx, gw, gb]);
  for (const t of [gx, gw, gb]) t.requiresGrad = true;
  const g = gg.onesLike(gx);
  return gengpuCase(() => {
    const [dx, dw, db] = gg.grad(fn(gx, gw, gb), [gx, gw, gb], g);
    return dx.sum().add(dw.sum()).add(db.sum());
  }, reps, [gx, gw, gb, g]);
}

function groupNormCase(shape: number[], random: HostRandom, withBackward: boolean): Case {
  const x = random.uniform(shape, -2, 2);
  const weight = random.uniform([shape[1]], 0.5, 1.5);
  const bias = random.uniform([shape[1]], -1, 1);
  // Forward: x read twice for the statistics and once more to write y. Backward adds g and x read twice and dx written.
  const bytes = (withBackward ? 9 : 4) * 4 * x.data.length;
  const reps = repsFor(bytes, 2 ** 26);
  const impl = (library: string, role: 'gengpu' | 'variant', fn: GroupNormFn) => ({ library, role, prepare: () => prepare(x, weight, bias, reps, fn, withBackward) });
  return {
    suite: 'groupNorm', name: `${withBackward ? 'forward and backward' : 'forward'} [${shape.join(', ')}], ${GROUPS} groups`, unit: 'GB/s', work: bytes, reps,
    reference: withBackward
      // With g = 1, dx and dweight sum to 0 (xhat sums to 0 over each group) and dbias to N * H * W per channel.
      ? () => ({ values: Float64Array.of(x.data.length), tolerance: 1e-4 })
      : () => ({ values: groupNormRef(hostRef(x), GROUPS, hostRef(weight), hostRef(bias), 1e-5).data, tolerance: 1e-4 }),
    gengpu: [impl('gengpu', 'gengpu', fused), impl('gengpu, composed from tensor ops', 'variant', composedGroupNorm)],
    peer: 'group norm is not asked of the peers',
  };
}

export function groupNormCases(quick: boolean): Case[] {
  const random = new HostRandom(2031);
  const shapes = [[4, 64, 32, 32], [8, 128, 16, 16]];
  return (quick ? shapes.slice(0, 1) : shapes).flatMap((shape) => [groupNormCase(shape, random, false), groupNormCase(shape, random, true)]);
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(groupNormCases);
