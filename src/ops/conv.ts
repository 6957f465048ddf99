// Convolution and pooling over NCHW tensors, with PyTorch's semantics: conv2d, convTranspose2d,
// conv2dWeightGrad, maxPool2d and avgPool2d; conv1d is conv2d on a height-1 view.
//
// Two implementations, numbered as the benchmark's kernel ladder shows them (convVariants):
//   1 'direct'  three kernels serve every convolution and every derivative of one: the direct convolution
//      (shaders/conv2d.wgsl), the direct transposed convolution (shaders/conv2d_transpose.wgsl) and the
//      weight gradient, a correlation of an input with an output gradient (shaders/conv2d_weight_grad.wgsl);
//   2 'im2col'  (groups = 1) the same three ops as matmuls: the convolution unfolds the input's receptive
//      fields (shaders/conv2d_im2col.wgsl) and multiplies them by the weight; the transposed one
//      multiplies the input by the weight first and gathers the products into the output
//      (shaders/conv2d_col2im.wgsl); the weight gradient multiplies the output gradient by the
//      unfolded input. The matmul kernels are the fast ones on SwiftShader, so it is the choice
//      there for the convolution and the weight gradient (chooseConvVariant); GPUs keep the direct
//      kernels, whose blocking suits them.
// The gradient of a convolution with respect to its input is the transposed convolution with the
// same weight and vice versa, so the backward rules below only call these three ops, each of which
// records a backward rule of its own: gradients of gradients (WGAN-GP's penalty) need nothing more.
// Pooling (shaders/pool2d.wgsl) follows the same pattern: each forward kernel's adjoint is a
// backward kernel, and each backward kernel's adjoint is the forward one.

import { composite, record } from '../autograd.js';
import { runtime } from '../context.js';
import { Tensor, checkFitsDevice, formatShape } from '../tensor.js';
import { defineMethods } from './methods.js';
import { assertDtype, grid1d, opError } from './shape.js';
import { reduceRows, sum } from './reduce.js';
import { noGrad } from '../autograd.js';
import { add } from './elementwise.js';
import { isSoftwareAdapter, matmul } from './matmul.js';
import { permute, reshape } from './movement.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** A size per spatial dimension: one number for both, or [height, width]. */
export type Size2d = number | readonly [number, number];

/** The convolution implementations: direct kernels, or unfold/gather around one batched matmul. */
export const convVariants = ['direct', 'im2col'] as const;
/** One of {@link convVariants}. */
export type ConvVariant = (typeof convVariants)[number];

/** A one-line description of each variant (the benchmark prints these). */
export const convVariantSummaries: Readonly<Record<ConvVariant, string>> = {
  direct: 'direct kernels: 4 columns x up to 8 channels per invocation, no workgroup memory',
  im2col: 'unfold (im2col) or gather (col2im) around one batched matmul (groups = 1)',
};

/** The three convolution ops a variant implements. */
export type ConvOp = 'conv2d' | 'convTranspose2d' | 'weightGrad';

/**
 * The variant used when none is forced. On a software adapter (groups = 1) the matmul path for the
 * convolution and its weight gradient, where it beat the direct kernels (`npm run bench -- --only
 * conv` shows both); the transposed convolution keeps its direct kernel, which the col2im path did
 * not beat there. GPUs keep the direct kernels.
 */
export function chooseConvVariant(op: ConvOp, groups: number): ConvVariant {
  return groups === 1 && op !== 'convTranspose2d' && isSoftwareAdapter() ? 'im2col' : 'direct';
}

/** Options of `conv2d` and `conv2dWeightGrad`, as F.conv2d takes them. */
export interface Conv2dOptions {
  /** Force an implementation (default: chooseConvVariant per op); its backward ops use the same one. */
  variant?: ConvVariant;
  /** Step between windows (default 1). */
  stride?: Size2d;
  /** Zeros added on each side of the input (default 0). */
  padding?: Size2d;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2d;
  /** Channels split into this many independent groups (default 1; groups = C is depthwise). */
  groups?: number;
}

/** Options of `convTranspose2d`: conv2d's plus the output padding. */
export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra rows and columns at the bottom and right of the output, less than stride or dilation (default 0). */
  outputPadding?: Size2d;
}

/** Options both 2-D poolings take, as F.max_pool2d's and F.avg_pool2d's. */
export interface Pool2dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2d;
  /** Padding on each side, at most half the kernel (default 0); padded taps never win or count. */
  padding?: Size2d;
  /**
   * Round the output size up instead of down (default false), as PyTorch's ceil_mode: one more window
   * where the last would reach past the right padding, kept only if it starts inside the input or
   * the left padding.
   */
  ceilMode?: boolean;
}

/** Options of `maxPool2d`: pooling's plus dilation and whether to return the indices. */
export interface MaxPool2dOptions extends Pool2dOptions {
  /** Spacing between a window's taps (default 1). */
  dilation?: Size2d;
  /**
   * Also return where each maximum is (default false): [values, indices] with i32 indices
   * ih * W + iw into each input plane, as PyTorch's return_indices (whose indices are int64).
   */
  returnIndices?: boolean;
}

/** Options of `avgPool2d`: pooling's plus how to count padding. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /**
   * Divide by the whole window, padding included (default true), or by the taps inside the input.
   * In ceil mode a window reaching past the right padding counts up to the padding's end, as PyTorch.
   */
  countIncludePad?: boolean;
}

type Pair = [number, number];

/** Stride, padding and dilation per spatial dimension, and the number of groups. */
interface ConvGeometry {
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  groups: number;
  /** A forced variant, or undefined for the automatic choice per op. */
  variant: ConvVariant | undefined;
}

// ---- convolution kernels -------------------------------------------------------------------------

const CONV_WORKGROUP = 64;
/** Entries of a row of the unfolded input per invocation of conv2d_im2col.wgsl (its RUN). */
const IM2COL_RUN = 8;
/** Output columns per invocation of the direct kernels (the lanes of their vec4 accumulators). */
const COLUMN_BLOCK = 4;
/** The weight gradient splits its reduction until it has about this many invocations... */
const WEIGHT_GRAD_TARGET_INVOCATIONS = 4096;
/** ...but keeps at least this many output pixels in each piece. */
const WEIGHT_GRAD_MIN_CHUNK_PIXELS = 256;

/** Channels per invocation in the kernels' channel blocks: 1, 2, 4 or 8, so that small groups waste little. */
const channelBlock = (channels: number) => (channels <= 2 ? Math.max(channels, 1) : channels <= 4 ? 4 : 8);

const spatial = (t: Tensor): Pair => [t.shape[2], t.shape[3]];
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The window fields every convolution kernel's Params share (shaders/include/conv_window.wgsl), to spread
 * into a launch's params next to its channel count and its own fields.
 */
function convWindowParams([inH, inW]: Pair, [outH, outW]: Pair, [kernelH, kernelW]: Pair, { stride, padding, dilation }: ConvGeometry) {
  return {
    in_h: inH,
    in_w: inW,
    out_h: outH,
    out_w: outW,
    kernel_h: kernelH,
    kernel_w: kernelW,
    stride_h: stride[0],
    stride_w: stride[1],
    pad_h: padding[0],
    pad_w: padding[1],
    dilation_h: dilation[0],
    dilation_w: dilation[1],
  };
}

/** Runs conv2d.wgsl or conv2d_transpose.wgsl (same parameters): x, w, optional bias -> [N, O, outH, outW]. */
function directConvolution(
  shader: typeof wgsl.conv2d | typeof wgsl.conv2d_transpose, x: Tensor, w: Tensor, bias: Tensor | null, geometry: ConvGeometry,
  outChannels: number, [outH, outW]: Pair,
): Tensor {
  const [batch, channels, inH, inW] = x.shape;
  const out = Tensor.empty([batch, outChannels, outH, outW]);
  if (out.size === 0) return out;
  const { stride, dilation, groups } = geometry;
  const groupOutChannels = outChannels / groups;
  const block = channelBlock(groupOutChannels);
  const channelBlocks = Math.ceil(groupOutChannels / block);
  // The transposed kernel's column blocks take every stride-th column, one set per phase.
  const phases = shader === wgsl.conv2d ? 1 : stride[1];
  const columnBlocks = phases * Math.ceil(Math.ceil(outW / phases) / COLUMN_BLOCK);
  const invocations = batch * groups * channelBlocks * outH * columnBlocks;
  const params = {
    channels,
    ...convWindowParams([inH, inW], [outH, outW], [w.shape[2], w.shape[3]], geometry),
    out_channels: outChannels,
    groups,
    group_channels: channels / groups,
    group_out_channels: groupOutChannels,
    channel_blocks: channelBlocks,
    column_blocks: columnBlocks,
    invocations,
    has_bias: bias ? 1 : 0,
  };
  const launch = {
    template: { OC_BLOCK: block },
    constants: { WG: CONV_WORKGROUP },
    // Without a bias the kernel ignores it; the weight stands in (it has at least O values).
    buffers: { x: x.buffer, w: w.buffer, bias: (bias ?? w).buffer, out: out.buffer },
    workgroups: grid1d(invocations, CONV_WORKGROUP),
  };
  if (shader === wgsl.conv2d) {
    runtime().dispatch({ ...launch, shader: wgsl.conv2d, params });
  } else {
    // The transposed kernel visits every (stride / gcd(stride, dilation))-th kernel row and column.
    const tapSteps = { tap_step_h: stride[0] / gcd(stride[0], dilation[0]), tap_step_w: stride[1] / gcd(stride[1], dilation[1]) };
    runtime().dispatch({ ...launch, shader: wgsl.conv2d_transpose, params: { ...params, ...tapSteps } });
  }
  return out;
}

/**
 * Runs conv2d_weight_grad.wgsl: the correlation of x [N, C, H, W] with dy [N, O, OH, OW] ->
 * [O, C / groups, kH, kW]. Few weights with a long reduction are split into chunks summed after.
 */
function weightGradient(x: Tensor, dy: Tensor, geometry: ConvGeometry, [kernelH, kernelW]: Pair): Tensor {
  const [batch, channels, inH, inW] = x.shape;
  const [, outChannels, outH, outW] = dy.shape;
  const { groups } = geometry;
  const groupChannels = channels / groups;
  const groupOutChannels = outChannels / groups;
  const shape = [outChannels, groupChannels, kernelH, kernelW];
  const weights = outChannels * groupChannels * kernelH * kernelW;
  if (weights === 0) return Tensor.empty(shape);

  const inBlock = channelBlock(groupChannels);
  const outBlocks = Math.ceil(groupOutChannels / 4);
  const inBlocks = Math.ceil(groupChannels / inBlock);
  const tasks = groups * outBlocks * inBlocks * kernelH * kernelW;
  const rows = batch * outH;
  const minChunkRows = Math.ceil(WEIGHT_GRAD_MIN_CHUNK_PIXELS / Math.max(outW, 1));
  const wantedChunks = Math.max(1, Math.min(Math.ceil(WEIGHT_GRAD_TARGET_INVOCATIONS / tasks), Math.ceil(rows / minChunkRows)));
  const chunkRows = Math.max(1, Math.ceil(rows / wantedChunks));
  const chunks = Math.max(1, Math.ceil(rows / chunkRows));
  const invocations = tasks * chunks;

  const partial = Tensor.empty(chunks === 1 ? shape : [weights * chunks]);
  runtime().dispatch({
    shader: wgsl.conv2d_weight_grad,
    template: { IC_BLOCK: inBlock },
    constants: { WG: CONV_WORKGROUP },
    params: {
      channels,
      ...convWindowParams([inH, inW], [outH, outW], [kernelH, kernelW], geometry),
      out_channels: outChannels,
      groups,
      group_channels: groupChannels,
      group_out_channels: groupOutChannels,
      out_blocks: outBlocks,
      in_blocks: inBlocks,
      rows,
      chunks,
      chunk_rows: chunkRows,
      invocations,
    },
    buffers: { x: x.buffer, dy: dy.buffer, partial: partial.buffer },
    workgroups: grid1d(invocations, CONV_WORKGROUP),
  });
  if (chunks === 1) return partial;
  const summed = reduceRows(partial, weights, chunks, 'sum');
  partial.dispose();
  const out = Tensor.view(summed, shape);
  summed.dispose();
  return out;
}

// ---- the matmul path (im2col / col2im), groups = 1 ---------------------------------------------

/** The unfolded receptive fields of x for an output of outH x outW: [N, outH * outW, C * kH * kW]. */
function unfold(x: Tensor, [kernelH, kernelW]: Pair, geometry: ConvGeometry, [outH, outW]: Pair): Tensor {
  const [batch, channels, inH, inW] = x.shape;
  const rowLength = channels * kernelH * kernelW;
  const cols = Tensor.empty([batch, outH * outW, rowLength]);
  const total = batch * outH * outW * Math.ceil(rowLength / IM2COL_RUN);
  if (total === 0) return cols;
  runtime().dispatch({
    shader: wgsl.conv2d_im2col,
    constants: { WG: CONV_WORKGROUP },
    params: { channels, ...convWindowParams([inH, inW], [outH, outW], [kernelH, kernelW], geometry), row_len: rowLength, total },
    buffers: { x: x.buffer, cols: cols.buffer },
    workgroups: grid1d(total, CONV_WORKGROUP),
  });
  return cols;
}

/** conv2d as weight [O, C kH kW] times the unfolded input (transposed): [N, O, outH * outW] in place. */
function im2colConvolution(x: Tensor, w: Tensor, bias: Tensor | null, geometry: ConvGeometry, outSize: Pair): Tensor {
  const [outChannels, channels, kernelH, kernelW] = w.shape;
  const batch = x.shape[0];
  return noGrad(() => {
    const cols = unfold(x, [kernelH, kernelW], geometry, outSize);
    const weight = reshape(w, [outChannels, channels * kernelH * kernelW]);
    const product = matmul(weight, cols, { transB: true });
    const out = reshape(product, [batch, outChannels, outSize[0], outSize[1]]);
    for (const t of [cols, weight, product]) t.dispose();
    if (!bias) return out;
    const column = reshape(bias, [outChannels, 1, 1]);
    const shifted = add(out, column);
    out.dispose();
    column.dispose();
    return shifted;
  });
}

/**
 * convTranspose2d as one matmul, weightᵀ [O kH kW, C] times every input pixel [C, N H W] (both
 * operands transposed by a copy first, so the product is one large matrix), the products then
 * gathered into the output by col2im.
 */
function col2imTransposedConvolution(x: Tensor, w: Tensor, bias: Tensor | null, geometry: ConvGeometry, [outH, outW]: Pair): Tensor {
  const [batch, channels, inH, inW] = x.shape;
  const [, outChannels, kernelH, kernelW] = w.shape;
  const out = Tensor.empty([batch, outChannels, outH, outW]);
  if (out.size === 0) return out;
  const cols = noGrad(() => {
    const weight = reshape(w, [channels, outChannels * kernelH * kernelW]);
    const weightT = permute(weight, [1, 0]);
    const grouped = reshape(x, [batch, channels, inH * inW]);
    const byChannel = permute(grouped, [1, 0, 2]);
    const pixels = reshape(byChannel, [channels, batch * inH * inW]);
    const product = matmul(weightT, pixels);
    for (const t of [weight, weightT, grouped, byChannel, pixels]) t.dispose();
    return product;
  });
  runtime().dispatch({
    shader: wgsl.conv2d_col2im,
    constants: { WG: CONV_WORKGROUP },
    params: {
      out_channels: outChannels,
      ...convWindowParams([inH, inW], [outH, outW], [kernelH, kernelW], geometry),
      total: out.size,
      has_bias: bias ? 1 : 0,
    },
    // Without a bias the kernel ignores it; the products stand in.
    buffers: { cols: cols.buffer, bias: (bias ?? cols).buffer, out: out.buffer },
    workgroups: grid1d(out.size, CONV_WORKGROUP),
  });
  cols.dispose();
  return out;
}

/** The weight gradient as dy [O, N outH outW] times the unfolded input [N outH outW, C kH kW]. */
function im2colWeightGradient(x: Tensor, dy: Tensor, geometry: ConvGeometry, kernel: Pair): Tensor {
  const [batch, channels] = x.shape;
  const [, outChannels, outH, outW] = dy.shape;
  const pixels = batch * outH * outW;
  return noGrad(() => {
    const cols = unfold(x, kernel, geometry, [outH, outW]);
    const flatCols = reshape(cols, [pixels, channels * kernel[0] * kernel[1]]);
    const grouped = reshape(dy, [batch, outChannels, outH * outW]);
    const byChannel = permute(grouped, [1, 0, 2]);
    const rows = reshape(byChannel, [outChannels, pixels]);
    const product = matmul(rows, flatCols);
    const out = reshape(product, [outChannels, channels, kernel[0], kernel[1]]);
    for (const t of [cols, flatCols, grouped, byChannel, rows, product]) t.dispose();
    return out;
  });
}

// ---- the three differentiable convolution ops (arguments already checked) -----------------------

/** conv2d with an explicit output size (a backward rule may ask for fewer rows than fit). */
function convolve(x: Tensor, w: Tensor, bias: Tensor | null, geometry: ConvGeometry, outSize: Pair): Tensor {
  const out = (geometry.variant ?? chooseConvVariant('conv2d', geometry.groups)) === 'im2col'
    ? im2colConvolution(x, w, bias, geometry, outSize)
    : directConvolution(wgsl.conv2d, x, w, bias, geometry, w.shape[0], outSize);
  return record('conv2d', bias ? [x, w, bias] : [x, w], out, (g) => [
    x.requiresGrad ? convolveTransposed(g, w, null, geometry, spatial(x)) : null,
    w.requiresGrad ? correlate(x, g, geometry, [w.shape[2], w.shape[3]]) : null,
    bias?.requiresGrad ? sum(g, [0, 2, 3]) : null,
  ]);
}

/** convTranspose2d with an explicit output size. */
function convolveTransposed(x: Tensor, w: Tensor, bias: Tensor | null, geometry: ConvGeometry, outSize: Pair): Tensor {
  const out = (geometry.variant ?? chooseConvVariant('convTranspose2d', geometry.groups)) === 'im2col'
    ? col2imTransposedConvolution(x, w, bias, geometry, outSize)
    : directConvolution(wgsl.conv2d_transpose, x, w, bias, geometry, w.shape[1] * geometry.groups, outSize);
  return record('convTranspose2d', bias ? [x, w, bias] : [x, w], out, (g) => [
    x.requiresGrad ? convolve(g, w, null, geometry, spatial(x)) : null,
    // The transposed convolution's weight gradient is a forward one with the roles of x and g swapped.
    w.requiresGrad ? correlate(g, x, geometry, [w.shape[2], w.shape[3]]) : null,
    bias?.requiresGrad ? sum(g, [0, 2, 3]) : null,
  ]);
}

/** The weight gradient: bilinear in x and dy, so its own gradients are the two convolutions. */
function correlate(x: Tensor, dy: Tensor, geometry: ConvGeometry, kernel: Pair): Tensor {
  const variant = geometry.variant ?? chooseConvVariant('weightGrad', geometry.groups);
  const out = variant === 'im2col' ? im2colWeightGradient(x, dy, geometry, kernel) : weightGradient(x, dy, geometry, kernel);
  return record('conv2dWeightGrad', [x, dy], out, (g) => [
    x.requiresGrad ? convolveTransposed(dy, g, null, geometry, spatial(x)) : null,
    dy.requiresGrad ? convolve(x, g, null, geometry, spatial(dy)) : null,
  ]);
}

// ---- argument checks -----------------------------------------------------------------------------

/** A Size2d option as a pair of integers >= `least`, or an error naming the op and the option. */
function resolvePair(op: string, name: string, value: Size2d | undefined, fallback: Pair, least: number, inputs: Tensor[]): Pair {
  if (value === undefined) return fallback;
  const pair: Pair = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  const valid = (typeof value === 'number' || value.length === 2) && pair.every((v) => Number.isInteger(v) && v >= least);
  if (!valid) {
    throw opError(op, `${name} must be an integer >= ${least} or a pair [height, width] of them, got ${JSON.stringify(value)}`, inputs);
  }
  return pair;
}

function checkTensors(op: string, inputs: Tensor[]): void {
  for (const t of inputs) t.assertAlive(op);
  for (const t of inputs) assertDtype(op, t, ['f32']);
}

/** `layout` spells out the expected dimensions, e.g. '(N, C, H, W)'. */
function checkRank4(op: string, t: Tensor, what: string, layout: string, inputs: Tensor[]): void {
  if (t.rank !== 4) throw opError(op, `expected ${what} of rank 4 ${layout}, got ${formatShape(t.shape)}`, inputs);
}

function resolveGeometry(op: string, options: Conv2dOptions, inputs: Tensor[]): ConvGeometry {
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw opError(op, `groups must be an integer >= 1, got ${groups}`, inputs);
  const variant = options.variant;
  if (variant !== undefined && !convVariants.includes(variant)) throw opError(op, `variant must be one of ${convVariants.join(', ')}, got ${String(variant)}`, inputs);
  if (variant === 'im2col' && groups !== 1) throw opError(op, `the im2col variant needs groups = 1, got ${groups}`, inputs);
  return {
    variant,
    stride: resolvePair(op, 'stride', options.stride, [1, 1], 1, inputs),
    padding: resolvePair(op, 'padding', options.padding, [0, 0], 0, inputs),
    dilation: resolvePair(op, 'dilation', options.dilation, [1, 1], 1, inputs),
    groups,
  };
}

function checkGroups(op: string, channels: number, outChannels: number, groups: number, inputs: Tensor[]): void {
  if (channels % groups !== 0 || outChannels % groups !== 0) {
    throw opError(op, `groups = ${groups} must divide the input channels (${channels}) and the output channels (${outChannels})`, inputs);
  }
}

function checkBias(op: string, bias: Tensor | null, outChannels: number, inputs: Tensor[]): void {
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outChannels)) {
    throw opError(op, `expected bias of shape [${outChannels}] (one value per output channel), got ${formatShape(bias.shape)}`, inputs);
  }
}

/** conv2d's output size: floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1 per dimension. */
function convOutputSize(x: Tensor, kernel: Pair, geometry: ConvGeometry): Pair {
  const size = (d: 0 | 1) => Math.floor((x.shape[2 + d] + 2 * geometry.padding[d] - geometry.dilation[d] * (kernel[d] - 1) - 1) / geometry.stride[d]) + 1;
  return [size(0), size(1)];
}

function checkOutputSize(op: string, outSize: Pair, detail: string, inputs: Tensor[]): void {
  if (outSize[0] <= 0 || outSize[1] <= 0) {
    throw opError(op, `output size ${outSize[0]}x${outSize[1]} is not positive (${detail})`, inputs);
  }
}

function convDetail(x: Tensor, kernel: Pair, geometry: ConvGeometry): string {
  const extent = kernel.map((k, d) => geometry.dilation[d] * (k - 1) + 1);
  return `input ${x.shape[2]}x${x.shape[3]} with padding [${geometry.padding.join(', ')}] is smaller than the dilated kernel ${extent.join('x')}`;
}

// ---- public convolution ops ----------------------------------------------------------------------

/** What conv2d and convTranspose2d check first: live f32 tensors, a rank-4 input and weight, the geometry. */
function checkConvolution(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, weightLayout: string, options: Conv2dOptions): { inputs: Tensor[]; geometry: ConvGeometry } {
  const inputs = bias ? [x, weight, bias] : [x, weight];
  checkTensors(op, inputs);
  checkRank4(op, x, 'input', '(N, C, H, W)', inputs);
  checkRank4(op, weight, 'weight', weightLayout, inputs);
  return { inputs, geometry: resolveGeometry(op, options, inputs) };
}

/**
 * 2-D convolution (PyTorch's F.conv2d): x [N, C, H, W], weight [O, C/groups, kH, kW], optional
 * bias [O] -> [N, O, OH, OW] with OH = floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const { inputs, geometry } = checkConvolution(op, x, weight, bias, '(O, C/groups, kH, kW)', options);
  const [outChannels, groupChannels, kernelH, kernelW] = weight.shape;
  checkGroups(op, x.shape[1], outChannels, geometry.groups, inputs);
  if (groupChannels * geometry.groups !== x.shape[1]) {
    throw opError(op, `weight expects ${groupChannels} input channels per group x ${geometry.groups} groups = ${groupChannels * geometry.groups} channels, but the input has ${x.shape[1]}`, inputs);
  }
  checkBias(op, bias, outChannels, inputs);
  const outSize = convOutputSize(x, [kernelH, kernelW], geometry);
  checkOutputSize(op, outSize, convDetail(x, [kernelH, kernelW], geometry), inputs);
  checkFitsDevice(op, [x.shape[0], outChannels, ...outSize], 'f32');
  return convolve(x, weight, bias, geometry, outSize);
}

/** Options of `conv1d`, as F.conv1d takes them: one number each. */
export interface Conv1dOptions {
  /** Force an implementation of the conv2d underneath (default: chooseConvVariant). */
  variant?: ConvVariant;
  /** Step between windows (default 1). */
  stride?: number;
  /** Zeros added at both ends of the input (default 0). */
  padding?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channels split into this many independent groups (default 1). */
  groups?: number;
}

/**
 * 1-D convolution (PyTorch's F.conv1d): x [N, C, L] (or unbatched [C, L]), weight [O, C/groups, k],
 * optional bias [O] -> [N, O, OL] with OL = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1.
 * It is conv2d on the height-1 views x [N, C, 1, L] and weight [O, C/groups, 1, k] (views share the
 * buffers), so its values and gradients are conv2d's.
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv1dOptions = {}): Tensor {
  const op = 'conv1d';
  const inputs = bias ? [x, weight, bias] : [x, weight];
  checkTensors(op, inputs);
  if (x.rank !== 3 && x.rank !== 2) throw opError(op, `input must be [N, C, L] or unbatched [C, L], got rank ${x.rank}`, inputs);
  if (weight.rank !== 3) throw opError(op, `weight must be [O, C/groups, k], got rank ${weight.rank}`, inputs);
  for (const [name, value] of Object.entries({ stride: options.stride, padding: options.padding, dilation: options.dilation })) {
    if (value !== undefined && typeof value !== 'number') throw opError(op, `${name} must be one number, got ${String(value)}`, inputs);
  }
  const { stride = 1, padding = 0, dilation = 1, groups = 1, variant } = options;
  const [n, c, length] = x.rank === 3 ? x.shape : [1, ...x.shape];
  if (weight.shape[1] * groups !== c) {
    throw opError(op, `weight expects ${weight.shape[1]} input channels per group x ${groups} groups = ${weight.shape[1] * groups} channels, but the input has ${c}`, inputs);
  }
  // The views are intermediates: freed at once unless a graph needs them (see composite).
  return composite(inputs, () => {
    const y = conv2d(reshape(x, [n, c, 1, length]), reshape(weight, [weight.shape[0], weight.shape[1], 1, weight.shape[2]]), bias, {
      stride: [1, stride], padding: [0, padding], dilation: [1, dilation], groups, variant,
    });
    return reshape(y, x.rank === 3 ? [n, y.shape[1], y.shape[3]] : [y.shape[1], y.shape[3]]);
  });
}

/**
 * 2-D transposed convolution (PyTorch's F.conv_transpose2d), the gradient of conv2d with respect to
 * its input: x [N, C, H, W], weight [C, O/groups, kH, kW], optional bias [O] -> [N, O, OH, OW] with
 * OH = (H - 1) stride - 2 padding + dilation (kH - 1) + outputPadding + 1.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  const { inputs, geometry } = checkConvolution(op, x, weight, bias, '(C, O/groups, kH, kW)', options);
  const outputPadding = resolvePair(op, 'outputPadding', options.outputPadding, [0, 0], 0, inputs);
  const [weightChannels, groupOutChannels, kernelH, kernelW] = weight.shape;
  const outChannels = groupOutChannels * geometry.groups;
  checkGroups(op, x.shape[1], outChannels, geometry.groups, inputs);
  if (weightChannels !== x.shape[1]) {
    throw opError(op, `weight has ${weightChannels} input channels (its first dimension), but the input has ${x.shape[1]}`, inputs);
  }
  for (const d of [0, 1] as const) {
    if (outputPadding[d] >= Math.max(geometry.stride[d], geometry.dilation[d])) {
      throw opError(op, `outputPadding [${outputPadding.join(', ')}] must be smaller than stride [${geometry.stride.join(', ')}] or dilation [${geometry.dilation.join(', ')}]`, inputs);
    }
  }
  checkBias(op, bias, outChannels, inputs);
  const size = (d: 0 | 1, k: number) =>
    (x.shape[2 + d] - 1) * geometry.stride[d] - 2 * geometry.padding[d] + geometry.dilation[d] * (k - 1) + outputPadding[d] + 1;
  const outSize: Pair = [size(0, kernelH), size(1, kernelW)];
  checkOutputSize(op, outSize, `input ${x.shape[2]}x${x.shape[3]} with padding [${geometry.padding.join(', ')}] removes more than the kernel adds`, inputs);
  checkFitsDevice(op, [x.shape[0], outChannels, ...outSize], 'f32');
  return convolveTransposed(x, weight, bias, geometry, outSize);
}

/**
 * The gradient of conv2d's weight (PyTorch's torch.nn.grad.conv2d_weight): the correlation of
 * x [N, C, H, W] with the output gradient [N, O, OH, OW] -> [O, C/groups, kH, kW]. Differentiable.
 */
export function conv2dWeightGrad(x: Tensor, gradOutput: Tensor, kernelSize: Size2d, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2dWeightGrad';
  const inputs = [x, gradOutput];
  checkTensors(op, inputs);
  checkRank4(op, x, 'input', '(N, C, H, W)', inputs);
  checkRank4(op, gradOutput, 'output gradient', '(N, O, OH, OW)', inputs);
  const geometry = resolveGeometry(op, options, inputs);
  const kernel = resolvePair(op, 'kernelSize', kernelSize, [1, 1], 1, inputs);
  checkGroups(op, x.shape[1], gradOutput.shape[1], geometry.groups, inputs);
  const outSize = convOutputSize(x, kernel, geometry);
  checkOutputSize(op, outSize, convDetail(x, kernel, geometry), inputs);
  if (gradOutput.shape[0] !== x.shape[0] || gradOutput.shape[2] !== outSize[0] || gradOutput.shape[3] !== outSize[1]) {
    throw opError(op, `output gradient must have shape [${x.shape[0]}, O, ${outSize[0]}, ${outSize[1]}] (conv2d's output for this input), got ${formatShape(gradOutput.shape)}`, inputs);
  }
  return correlate(x, gradOutput, geometry, kernel);
}

// ---- pooling -------------------------------------------------------------------------------------

interface PoolGeometry {
  inSize: Pair;
  outSize: Pair;
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  countIncludePad: boolean;
}

type PoolEntry = 'max_pool' | 'max_pool_backward' | 'avg_pool' | 'avg_pool_backward';

/** pool2d.wgsl's uniforms for `pool`, with one invocation per element of a tensor of `invocations`. */
function poolParams(pool: PoolGeometry, invocations: number) {
  return {
    in_h: pool.inSize[0],
    in_w: pool.inSize[1],
    out_h: pool.outSize[0],
    out_w: pool.outSize[1],
    kernel_h: pool.kernel[0],
    kernel_w: pool.kernel[1],
    stride_h: pool.stride[0],
    stride_w: pool.stride[1],
    pad_h: pool.padding[0],
    pad_w: pool.padding[1],
    dilation_h: pool.dilation[0],
    dilation_w: pool.dilation[1],
    count_include_pad: pool.countIncludePad ? 1 : 0,
    invocations,
  };
}

/** Runs one entry point of pool2d.wgsl over `src`, giving [N, C, *size] (one invocation per output). */
function poolKernel(entryPoint: PoolEntry, src: Tensor, size: Pair, pool: PoolGeometry, keys?: Tensor): Tensor {
  const out = Tensor.empty([src.shape[0], src.shape[1], ...size]);
  if (out.size === 0) return out;
  runtime().dispatch({
    shader: wgsl.pool2d,
    entryPoint,
    params: poolParams(pool, out.size),
    buffers: { src: src.buffer, dst: out.buffer, keys: keys?.buffer },
    workgroups: grid1d(out.size),
  });
  return out;
}

/** src at the maximum of each window of `keys` (max pooling when src = keys). No gradient to keys. */
function gatherAtMaxima(src: Tensor, keys: Tensor, pool: PoolGeometry): Tensor {
  const out = poolKernel('max_pool', src, pool.outSize, pool, keys);
  return record('maxPool2d', [src], out, (g) => [scatterToMaxima(g, keys, pool)]);
}

/** Max pooling and where each maximum is, in one pass: [values, i32 indices into each plane]. */
function maximaWithIndices(x: Tensor, pool: PoolGeometry): [Tensor, Tensor] {
  const shape = [x.shape[0], x.shape[1], ...pool.outSize];
  const values = Tensor.empty(shape);
  const indices = Tensor.empty(shape, 'i32');
  if (values.size > 0) {
    runtime().dispatch({
      shader: wgsl.pool2d,
      entryPoint: 'max_pool_with_indices',
      params: poolParams(pool, values.size),
      buffers: { keys: x.buffer, dst: values.buffer, indices: indices.buffer },
      workgroups: grid1d(values.size),
    });
  }
  return [record('maxPool2d', [x], values, (g) => [scatterToMaxima(g, x, pool)]), indices];
}

/** Max pooling's backward: each window's gradient goes to its maximum in `keys`. */
function scatterToMaxima(dy: Tensor, keys: Tensor, pool: PoolGeometry): Tensor {
  const out = poolKernel('max_pool_backward', dy, pool.inSize, pool, keys);
  return record('maxPool2dBackward', [dy], out, (g) => [gatherAtMaxima(g, keys, pool)]);
}

/** Average pooling's forward: the mean of each window. */
function averageWindows(x: Tensor, pool: PoolGeometry): Tensor {
  const out = poolKernel('avg_pool', x, pool.outSize, pool);
  return record('avgPool2d', [x], out, (g) => [spreadAverages(g, pool)]);
}

/** Average pooling's backward: each window's gradient shared among its taps. */
function spreadAverages(dy: Tensor, pool: PoolGeometry): Tensor {
  const out = poolKernel('avg_pool_backward', dy, pool.inSize, pool);
  return record('avgPool2dBackward', [dy], out, (g) => [averageWindows(g, pool)]);
}

/**
 * PyTorch's pooling output size along one axis: floor (or in ceil mode, ceil) of
 * (in + 2 pad - extent) / stride, plus 1; in ceil mode a last window that would start past the
 * input and the left padding is dropped.
 */
function pooledSize(size: number, pad: number, extent: number, stride: number, ceilMode: boolean): number {
  const span = size + 2 * pad - extent;
  if (!ceilMode) return Math.floor(span / stride) + 1;
  const out = Math.ceil(span / stride) + 1;
  return (out - 1) * stride >= size + pad ? out - 1 : out;
}

/** The geometry of a pooling; `dilation` is max pooling's (average pooling has none). */
function resolvePool(op: string, x: Tensor, kernelSize: Size2d, options: Pool2dOptions & { countIncludePad?: boolean }, dilationOption?: Size2d): PoolGeometry {
  checkTensors(op, [x]);
  checkRank4(op, x, 'input', '(N, C, H, W)', [x]);
  const kernel = resolvePair(op, 'kernelSize', kernelSize, [1, 1], 1, [x]);
  const stride = resolvePair(op, 'stride', options.stride, kernel, 1, [x]);
  const padding = resolvePair(op, 'padding', options.padding, [0, 0], 0, [x]);
  const dilation = resolvePair(op, 'dilation', dilationOption, [1, 1], 1, [x]);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw opError(op, `padding [${padding.join(', ')}] must be at most half the kernel size [${kernel.join(', ')}]`, [x]);
  }
  const inSize = spatial(x);
  if (inSize[0] === 0 || inSize[1] === 0) throw opError(op, `expected a non-empty image, got ${inSize[0]}x${inSize[1]}`, [x]);
  const extent = kernel.map((k, d) => dilation[d] * (k - 1) + 1);
  const ceilMode = options.ceilMode ?? false;
  const size = (d: 0 | 1) => pooledSize(inSize[d], padding[d], extent[d], stride[d], ceilMode);
  const outSize: Pair = [size(0), size(1)];
  const kernelText = dilation[0] === 1 && dilation[1] === 1 ? `the kernel ${kernel.join('x')}` : `the dilated kernel ${extent.join('x')}`;
  checkOutputSize(op, outSize, `input ${inSize[0]}x${inSize[1]} with padding [${padding.join(', ')}] is smaller than ${kernelText}`, [x]);
  // With dilation, a window that starts in the padding can step over the whole input; PyTorch gives
  // -inf there, from no input at all.
  for (const d of [0, 1] as const) {
    for (let o = 0; o < outSize[d] && o * stride[d] < padding[d]; o++) {
      const start = o * stride[d] - padding[d];
      if (start + Math.ceil(-start / dilation[d]) * dilation[d] >= inSize[d]) {
        throw opError(op, `window ${o} along ${d === 0 ? 'the height' : 'the width'} has no tap inside the input (padding [${padding.join(', ')}], dilation [${dilation.join(', ')}])`, [x]);
      }
    }
  }
  return { inSize, outSize, kernel, stride, padding, dilation, countIncludePad: options.countIncludePad ?? true };
}

/**
 * 2-D max pooling (PyTorch's F.max_pool2d): x [N, C, H, W] -> [N, C, OH, OW] with
 * OH = floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1 (ceil with `ceilMode`). The
 * gradient goes to each window's first maximum. With `returnIndices`, returns [values, indices]
 * (i32 positions ih * W + iw in each input plane; PyTorch's are int64). Unlike PyTorch, a window
 * that dilation and padding leave with no tap inside the input is an error, not -inf.
 */
export function maxPool2d(x: Tensor, kernelSize: Size2d, options: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: Size2d, options?: MaxPool2dOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: Size2d, options?: MaxPool2dOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: Size2d, options: MaxPool2dOptions = {}): Tensor | [Tensor, Tensor] {
  const pool = resolvePool('maxPool2d', x, kernelSize, options, options.dilation);
  return options.returnIndices ? maximaWithIndices(x, pool) : gatherAtMaxima(x, x, pool);
}

/**
 * 2-D average pooling (PyTorch's F.avg_pool2d): x [N, C, H, W] -> [N, C, OH, OW], sizes as
 * maxPool2d's without dilation. PyTorch's divisor_override is not offered.
 */
export function avgPool2d(x: Tensor, kernelSize: Size2d, options: AvgPool2dOptions = {}): Tensor {
  return averageWindows(x, resolvePool('avgPool2d', x, kernelSize, options));
}

// ---- Tensor methods ------------------------------------------------------------------------------

declare module '../tensor.js' {
  interface Tensor {
    /** 1-D convolution of this [N, C, L] tensor. See {@link conv1d}. */
    conv1d(weight: Tensor, bias?: Tensor | null, options?: Conv1dOptions): Tensor;
    /** 2-D convolution of this [N, C, H, W] tensor. See {@link conv2d}. */
    conv2d(weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor;
    /** 2-D transposed convolution of this [N, C, H, W] tensor. See {@link convTranspose2d}. */
    convTranspose2d(weight: Tensor, bias?: Tensor | null, options?: ConvTranspose2dOptions): Tensor;
    /** 2-D max pooling of this [N, C, H, W] tensor, and where each maximum is. See {@link maxPool2d}. */
    maxPool2d(kernelSize: Size2d, options: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor];
    /** 2-D max pooling of this [N, C, H, W] tensor. See {@link maxPool2d}. */
    maxPool2d(kernelSize: Size2d, options?: MaxPool2dOptions & { returnIndices?: false }): Tensor;
    /** 2-D max pooling of this [N, C, H, W] tensor, with the indices when `options.returnIndices` is set. See {@link maxPool2d}. */
    maxPool2d(kernelSize: Size2d, options?: MaxPool2dOptions): Tensor | [Tensor, Tensor];
    /** 2-D average pooling of this [N, C, H, W] tensor. See {@link avgPool2d}. */
    avgPool2d(kernelSize: Size2d, options?: AvgPool2dOptions): Tensor;
  }
}

defineMethods({ conv1d, conv2d, convTranspose2d, maxPool2d, avgPool2d });
