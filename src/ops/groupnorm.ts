// groupNorm (PyTorch's F.group_norm) as fused kernels: x [N, C, ...spatial] has its C channels split
// into numGroups groups, and each (n, group) block, contiguous in memory, is normalised as layerNorm
// normalises a row, then scaled and shifted per channel. shaders/groupnorm.wgsl does it in one
// kernel, one workgroup per block (blocks are few and long, unlike layerNorm's rows); the backward
// pass is shaders/groupnorm_grad.wgsl's two kernels (per-channel sums of g and g * xhat, then the
// input gradient from them) and, for the weight and bias, a sum of those per-channel sums over N.
// As in src/ops/layernorm.ts, the backward rule falls back to tensor ops when the backward pass is
// itself recorded (createGraph), so gradients of gradients work. The GroupNorm module
// (src/nn/group-norm.ts) calls it.

import { fusedOrComposed, record } from '../autograd.js';
import { runtime } from '../context.js';
import { Tensor, formatShape, shapeSize } from '../tensor.js';
import { full } from './creation.js';
import { reshape } from './movement.js';
import { mean, sum } from './reduce.js';
import { assertDtype, grid1d, opError, sameShape } from './shape.js';
import { isSoftwareAdapter } from './matmul.js';
import * as wgsl from '../gpu/shaders.generated.js';

/**
 * The workgroup size for items of `length` values each: enough invocations to stride an item, a power
 * of two (for the tree sum) from 32 to 256, so that short items (few spatial positions) do not keep
 * mostly idle workgroups of 256. A software adapter gets 32: it runs a workgroup's invocations a few
 * SIMD lanes at a time and switches between them at every barrier of the tree, so wide workgroups
 * cost several times more there (7x for a 28 x 28 U-Net's GroupNorm backward).
 */
function workgroupSize(length: number): number {
  const widest = isSoftwareAdapter() ? 32 : 256;
  return Math.min(widest, Math.max(32, 2 ** Math.ceil(Math.log2(Math.max(length, 1)))));
}

/** Workgroup counts for one workgroup of `size` per item, folded into 2-D past 65535 (the kernels unfold it). */
const perItem = (items: number, size: number) => grid1d(items * size, size);

/** The sizes the kernels see: batch N, channels C, groups G, channels per group, spatial size S. */
interface GroupLayout {
  batch: number;
  channels: number;
  groups: number;
  groupChannels: number;
  spatial: number;
}

/** Checks the op's arguments (`inputs` are the tensors among them, for the errors) and returns the layout. */
function checkInputs(x: Tensor, numGroups: number, weight: Tensor | null, bias: Tensor | null, eps: number, inputs: Tensor[]): GroupLayout {
  for (const t of inputs) {
    t.assertAlive('groupNorm');
    assertDtype('groupNorm', t, ['f32']);
  }
  if (x.rank < 2) throw opError('groupNorm', `expected an input of shape [N, C, ...], got rank ${x.rank}`, inputs);
  const channels = x.shape[1];
  if (!Number.isInteger(numGroups) || numGroups < 1) throw opError('groupNorm', `numGroups must be a positive integer, got ${numGroups}`, inputs);
  if (channels % numGroups !== 0) {
    throw opError('groupNorm', `the number of channels ${channels} must be divisible by numGroups ${numGroups}`, inputs);
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && !sameShape(t.shape, [channels])) throw opError('groupNorm', `${name} must have shape ${formatShape([channels])}, got ${formatShape(t.shape)}`, inputs);
  }
  if (!(eps >= 0 && Number.isFinite(eps))) throw opError('groupNorm', `eps must be a finite number >= 0, got ${eps}`, inputs);
  return { batch: x.shape[0], channels, groups: numGroups, groupChannels: channels / numGroups, spatial: shapeSize(x.shape.slice(2)) };
}

/**
 * Group normalisation (PyTorch's F.group_norm): x [N, C, ...] (rank >= 2) with C divisible by
 * numGroups; each sample's channels are split into numGroups groups, each group normalised over its
 * channels and spatial positions, (x - mean) / sqrt(var + eps) with the biased variance, then times
 * `weight` and plus `bias` per channel ([C] each, optional).
 */
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  const layout = checkInputs(x, numGroups, weight, bias, eps, inputs);
  const { batch, groups, groupChannels, spatial } = layout;
  const rows = batch * groups;
  const width = groupChannels * spatial;
  const out = Tensor.empty(x.shape, 'f32');
  const stats = Tensor.empty([rows, 2], 'f32');
  if (x.size > 0) {
    const size = workgroupSize(width);
    runtime().dispatch({
      shader: wgsl.groupnorm,
      constants: { WG: size, HAS_WEIGHT: weight ? 1 : 0, HAS_BIAS: bias ? 1 : 0 },
      params: { rows, groups, group_channels: groupChannels, spatial, inv_count: 1 / width, eps },
      // Without a weight or a bias the kernel skips it (HAS_WEIGHT, HAS_BIAS); x stands in.
      buffers: { x: x.buffer, weight: (weight ?? x).buffer, bias: (bias ?? x).buffer, y: out.buffer, stats: stats.buffer },
      workgroups: perItem(rows, size),
    });
  }
  const result = record('groupNorm', inputs, out, fusedOrComposed(
    (g) => gradList(fusedBackward(x, layout, weight, bias, stats, g), weight, bias),
    (g) => gradList(recordedBackward(x, layout, weight, bias, eps, g), weight, bias),
  ));
  if (!result.requiresGrad) stats.dispose();
  return result;
}

interface GroupNormGrads {
  dx: Tensor;
  dWeight: Tensor | null;
  dBias: Tensor | null;
}

/** One gradient per input of the op: x's, then the weight's and the bias's when they were given. */
function gradList(grads: GroupNormGrads, weight: Tensor | null, bias: Tensor | null): (Tensor | null)[] {
  return [grads.dx, ...(weight ? [grads.dWeight] : []), ...(bias ? [grads.dBias] : [])];
}

/** The backward pass with shaders/groupnorm_grad.wgsl (nothing recorded). */
function fusedBackward(x: Tensor, layout: GroupLayout, weight: Tensor | null, bias: Tensor | null, stats: Tensor, g: Tensor): GroupNormGrads {
  const { batch, channels, groups, groupChannels, spatial } = layout;
  const dx = Tensor.empty(x.shape, 'f32');
  if (x.size === 0) {
    const zeros = (t: Tensor | null) => (t?.requiresGrad ? full([channels], 0) : null);
    return { dx, dWeight: zeros(weight), dBias: zeros(bias) };
  }
  const planes = batch * channels;
  const sumG = Tensor.empty([batch, channels], 'f32');
  const sumGXhat = Tensor.empty([batch, channels], 'f32');
  const shader = wgsl.groupnorm_grad;
  const hasWeight = weight ? 1 : 0;
  const [planeSize, rowSize] = [workgroupSize(spatial), workgroupSize(groupChannels * spatial)];
  const params = { channels, group_channels: groupChannels, spatial, inv_count: 1 / (groupChannels * spatial) };
  const sums = { stats: stats.buffer, g: g.buffer, sum_g: sumG.buffer, sum_g_xhat: sumGXhat.buffer };
  runtime().dispatch({
    shader,
    entryPoint: 'channel_sums',
    constants: { WG: planeSize, HAS_WEIGHT: hasWeight },
    params: { items: planes, ...params },
    buffers: { x: x.buffer, ...sums },
    workgroups: perItem(planes, planeSize),
  });
  runtime().dispatch({
    shader,
    entryPoint: 'input_grad',
    constants: { WG: rowSize, HAS_WEIGHT: hasWeight },
    params: { items: batch * groups, ...params },
    // Without a weight the kernel skips it (HAS_WEIGHT); x stands in.
    buffers: { x: x.buffer, weight: (weight ?? x).buffer, ...sums, dx: dx.buffer },
    workgroups: perItem(batch * groups, rowSize),
  });
  const dWeight = weight?.requiresGrad ? sum(sumGXhat, 0) : null;
  const dBias = bias?.requiresGrad ? sum(sumG, 0) : null;
  sumG.dispose();
  sumGXhat.dispose();
  return { dx, dWeight, dBias };
}

/** The same rules with tensor ops, so that the backward pass can itself be differentiated. */
function recordedBackward(x: Tensor, layout: GroupLayout, weight: Tensor | null, bias: Tensor | null, eps: number, g: Tensor): GroupNormGrads {
  const { batch, groups } = layout;
  const rows = [batch, groups, x.size / Math.max(batch * groups, 1)];
  const byRow = (t: Tensor) => reshape(t, rows);
  const perChannel = (t: Tensor) => reshape(t, x.shape.map((d, i) => (i === 1 ? d : 1)));
  const notChannel = x.shape.flatMap((_, i) => (i === 1 ? [] : [i]));
  const centered = byRow(x).sub(mean(byRow(x), 2, true));
  const rstd = mean(centered.square(), 2, true).add(eps).rsqrt();
  const xhat = centered.mul(rstd);
  const gw = byRow(weight ? g.mul(perChannel(weight)) : g);
  // dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), per (n, group) row
  const dx = reshape(rstd.mul(gw.sub(mean(gw, 2, true)).sub(xhat.mul(mean(gw.mul(xhat), 2, true)))), x.shape);
  return {
    dx,
    dWeight: weight ? sum(g.mul(reshape(xhat, x.shape)), notChannel) : null,
    dBias: bias ? sum(g, notChannel) : null,
  };
}
