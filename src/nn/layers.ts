// The layers, as torch.nn: PyTorch's constructor arguments (camelCased), weight layouts, state-dict
// keys and default initialisation, each drawn from a seeded generator (the `generator` option, else
// the default one, gg.manualSeed). Linear, Conv1d, Conv2d, ConvTranspose2d, BatchNorm1d/2d, LayerNorm,
// GroupNorm, Embedding, MaxPool2d, AvgPool2d, Dropout, Sequential, Identity, Flatten, Unflatten, Upsample, and the
// activations as modules.

import { noGrad } from '../autograd.js';
import { Tensor, checkFitsDevice, formatShape, scope } from '../tensor.js';
import { full, zeros } from '../ops/creation.js';
import { gelu, leakyRelu, relu, sigmoid, silu, softplus, tanh, type GeluApproximation, type SoftplusOptions } from '../ops/elementwise.js';
import { conv1d, conv2d, convTranspose2d, type Conv1dOptions, type Conv2dOptions, type ConvTranspose2dOptions, type Size2d } from '../ops/conv.js';
import { flatten, reshape } from '../ops/movement.js';
import { normalizeAxis, opError } from '../ops/shape.js';
import { type Generator } from '../ops/random.js';
import { checkNonNegative, checkPositiveInteger, checkProbability } from './common.js';
import { composite } from '../autograd.js';
import { batchNorm, dropout, linear } from './functional.js';
import { calculateFans, kaimingUniform, uniform } from './init.js';
import { Module } from './module.js';

interface Seeded {
  /** The stream the initial weights are drawn from (default: the default generator). */
  generator?: Generator;
}

/**
 * PyTorch's default init of Linear and convolution weights and biases: weight ~ kaimingUniform with
 * a = sqrt(5), i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn)), and bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 */
function defaultWeight(layer: string, shape: number[], generator: Generator | undefined): Tensor {
  checkFitsDevice(layer, shape, 'f32', 'the weight');
  return kaimingUniform(Tensor.empty(shape), { a: Math.sqrt(5), generator });
}
function defaultBias(weight: Tensor, size: number, generator: Generator | undefined): Tensor {
  const bound = 1 / Math.sqrt(calculateFans(weight).fanIn);
  return uniform(Tensor.empty([size]), -bound, bound, { generator });
}

function formatSize(size: Size2d | undefined, fallback: number): string {
  const [h, w] = typeof size === 'number' || size === undefined ? [size ?? fallback, size ?? fallback] : size;
  return `[${h}, ${w}]`;
}

// ---- Linear --------------------------------------------------------------------------------------

/** Options of {@link Linear}. */
export interface LinearOptions extends Seeded {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** y = x Wᵀ + b over the last dimension: [..., inFeatures] -> [..., outFeatures]. Weight [out, in]. */
export class Linear extends Module {
  /** Size of each input's last dimension. */
  readonly inFeatures: number;
  /** Size of each output's last dimension. */
  readonly outFeatures: number;
  /** [outFeatures, inFeatures], init U(-1/sqrt(inFeatures), 1/sqrt(inFeatures)). Key 'weight'. */
  readonly weight: Tensor;
  /** [outFeatures], init like the weight; null with `bias: false`. Key 'bias'. */
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    checkPositiveInteger('Linear', 'inFeatures', inFeatures);
    checkPositiveInteger('Linear', 'outFeatures', outFeatures);
    this.weight = this.registerParameter('weight', defaultWeight('Linear', [outFeatures, inFeatures], options.generator));
    this.bias = (options.bias ?? true) ? this.registerParameter('bias', defaultBias(this.weight, outFeatures, options.generator)) : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

// ---- convolutions --------------------------------------------------------------------------------

/** Options of {@link Conv2d}: conv2d's stride, padding, dilation and groups, plus bias and generator. */
export interface Conv2dLayerOptions extends Conv2dOptions, Seeded {
  /** Learn an additive per-channel bias (default true). */
  bias?: boolean;
}

/** Options of {@link Conv1d}: conv1d's stride, padding, dilation and groups, plus bias and generator. */
export interface Conv1dLayerOptions extends Conv1dOptions, Seeded {
  /** Learn an additive per-channel bias (default true). */
  bias?: boolean;
}

/** Options of {@link ConvTranspose2d}: convTranspose2d's options, plus bias and generator. */
export interface ConvTranspose2dLayerOptions extends ConvTranspose2dOptions, Seeded {
  /** Learn an additive per-channel bias (default true). */
  bias?: boolean;
}

function kernelPair(op: string, kernelSize: Size2d): [number, number] {
  const [h, w] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
  checkPositiveInteger(op, 'kernelSize', h);
  checkPositiveInteger(op, 'kernelSize', w);
  return [h, w];
}

function checkChannels(op: string, inChannels: number, outChannels: number, groups: number): void {
  checkPositiveInteger(op, 'inChannels', inChannels);
  checkPositiveInteger(op, 'outChannels', outChannels);
  checkPositiveInteger(op, 'groups', groups);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new Error(`${op}: inChannels ${inChannels} and outChannels ${outChannels} must both be divisible by groups ${groups}`);
  }
}

/**
 * 1-D convolution over [N, inChannels, L] (or unbatched [inChannels, L]). Weight [out, in / groups, k],
 * bias [out], PyTorch's layout and default init; computed as conv2d on height-1 views (see conv1d).
 */
export class Conv1d extends Module {
  /** Channels of the input (C of [N, C, L]). */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** [outChannels, inChannels / groups, kernelSize], PyTorch's default init (uniform, bound 1/sqrt(fanIn)). Key 'weight'. */
  readonly weight: Tensor;
  /** [outChannels]; null with `bias: false`. Key 'bias'. */
  readonly bias: Tensor | null;
  /** Taps of the kernel. */
  readonly kernelSize: number;
  /** stride, padding, dilation and groups, as conv1d takes them. */
  readonly convOptions: Conv1dOptions;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dLayerOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
    checkChannels('Conv1d', inChannels, outChannels, groups);
    checkPositiveInteger('Conv1d', 'kernelSize', kernelSize);
    checkPositiveInteger('Conv1d', 'stride', stride);
    checkPositiveInteger('Conv1d', 'dilation', dilation);
    if (!Number.isInteger(padding) || padding < 0) throw new Error(`Conv1d: padding must be an integer >= 0, got ${padding}`);
    this.kernelSize = kernelSize;
    this.convOptions = { stride, padding, dilation, groups };
    this.weight = this.registerParameter('weight', defaultWeight('Conv1d', [outChannels, inChannels / groups, kernelSize], options.generator));
    this.bias = (options.bias ?? true) ? this.registerParameter('bias', defaultBias(this.weight, outChannels, options.generator)) : null;
  }

  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, this.convOptions);
  }

  protected override extraRepr(): string {
    const { stride, padding, dilation, groups } = this.convOptions;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}, stride=${stride}, padding=${padding}, ` +
      `dilation=${dilation}, groups=${groups}, bias=${this.bias !== null}`;
  }
}

/** 2-D convolution over [N, inChannels, H, W]. Weight [out, in / groups, kH, kW], bias [out]. */
export class Conv2d extends Module {
  /** Channels of the input (C of [N, C, H, W]). */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /**
   * [outChannels, inChannels / groups, kH, kW], PyTorch's default init (uniform, bound 1/sqrt(fanIn)). Key 'weight'.
   */
  readonly weight: Tensor;
  /** [outChannels]; null with `bias: false`. Key 'bias'. */
  readonly bias: Tensor | null;
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** stride, padding, dilation and groups, as conv2d takes them (read by wrappers such as SpectralNorm). */
  readonly convOptions: Conv2dOptions;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: Conv2dLayerOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const { stride, padding, dilation, groups = 1 } = options;
    checkChannels('Conv2d', inChannels, outChannels, groups);
    this.kernelSize = kernelPair('Conv2d', kernelSize);
    this.convOptions = { stride, padding, dilation, groups };
    this.weight = this.registerParameter('weight', defaultWeight('Conv2d', [outChannels, inChannels / groups, ...this.kernelSize], options.generator));
    this.bias = (options.bias ?? true) ? this.registerParameter('bias', defaultBias(this.weight, outChannels, options.generator)) : null;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.convOptions);
  }

  protected override extraRepr(): string {
    const { stride, padding, dilation, groups } = this.convOptions;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${formatSize(this.kernelSize, 1)}, stride=${formatSize(stride, 1)}, ` +
      `padding=${formatSize(padding, 0)}, dilation=${formatSize(dilation, 1)}, groups=${groups}, bias=${this.bias !== null}`;
  }
}

/** 2-D transposed convolution over [N, inChannels, H, W]. Weight [in, out / groups, kH, kW], bias [out]. */
export class ConvTranspose2d extends Module {
  /** Channels of the input (C of [N, C, H, W]). */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** [inChannels, outChannels / groups, kH, kW] (PyTorch's layout), PyTorch's default init. Key 'weight'. */
  readonly weight: Tensor;
  /** [outChannels]; null with `bias: false`. Key 'bias'. */
  readonly bias: Tensor | null;
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  private readonly convOptions: ConvTranspose2dOptions;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: ConvTranspose2dLayerOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const { stride, padding, outputPadding, dilation, groups = 1 } = options;
    checkChannels('ConvTranspose2d', inChannels, outChannels, groups);
    this.kernelSize = kernelPair('ConvTranspose2d', kernelSize);
    this.convOptions = { stride, padding, outputPadding, dilation, groups };
    this.weight = this.registerParameter('weight', defaultWeight('ConvTranspose2d', [inChannels, outChannels / groups, ...this.kernelSize], options.generator));
    this.bias = (options.bias ?? true) ? this.registerParameter('bias', defaultBias(this.weight, outChannels, options.generator)) : null;
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.convOptions);
  }

  protected override extraRepr(): string {
    const { stride, padding, outputPadding, dilation, groups } = this.convOptions;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${formatSize(this.kernelSize, 1)}, stride=${formatSize(stride, 1)}, ` +
      `padding=${formatSize(padding, 0)}, outputPadding=${formatSize(outputPadding, 0)}, dilation=${formatSize(dilation, 1)}, ` +
      `groups=${groups}, bias=${this.bias !== null}`;
  }
}

// ---- normalisation -------------------------------------------------------------------------------

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d}. */
export interface BatchNormLayerOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Learn a per-channel weight (init 1) and bias (init 0) (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them both modes use batch statistics. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation per channel (dimension 1), as PyTorch's BatchNorm: in training, the batch's
 * statistics normalise the input and update the running ones (unbiased variance, momentum 0.1, and
 * `num_batches_tracked` counts the batches); in evaluation, the running statistics normalise it.
 * Keys: weight, bias, running_mean, running_var, num_batches_tracked (an i32 scalar).
 */
export abstract class BatchNorm extends Module {
  /** Channels C (dimension 1 of the input). */
  readonly numFeatures: number;
  /** Per-channel scale [C], init 1; null without `affine`. Key 'weight'. */
  readonly weight: Tensor | null;
  /** Per-channel shift [C], init 0; null without `affine`. Key 'bias'. */
  readonly bias: Tensor | null;
  /** Running mean [C], init 0; null without `trackRunningStats`. Key 'running_mean'. */
  readonly runningMean: Tensor | null;
  /** Running unbiased variance [C], init 1; null without `trackRunningStats`. Key 'running_var'. */
  readonly runningVar: Tensor | null;
  /** Training batches seen (an i32 scalar); null without `trackRunningStats`. Key 'num_batches_tracked'. */
  readonly numBatchesTracked: Tensor | null;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Weight of each new batch in the running statistics. */
  readonly momentum: number;

  /** Input ranks this layer accepts and how they read, e.g. [4] and '[N, C, H, W]'. */
  protected abstract readonly inputRanks: readonly number[];
  /** The accepted input layouts, for error messages. */
  protected abstract readonly inputLayout: string;

  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super();
    this.numFeatures = numFeatures;
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = options;
    checkPositiveInteger(this.className, 'numFeatures', numFeatures);
    checkNonNegative(this.className, 'eps', eps);
    checkProbability(this.className, 'momentum', momentum);
    this.eps = eps;
    this.momentum = momentum;
    this.weight = affine ? this.registerParameter('weight', full([numFeatures], 1)) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numFeatures])) : null;
    this.runningMean = trackRunningStats ? this.registerBuffer('running_mean', zeros([numFeatures])) : null;
    this.runningVar = trackRunningStats ? this.registerBuffer('running_var', full([numFeatures], 1)) : null;
    this.numBatchesTracked = trackRunningStats ? this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'i32' })) : null;
  }

  forward(x: Tensor): Tensor {
    x.assertAlive(this.className);
    if (!this.inputRanks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.className}: expected an input ${this.inputLayout} with C = ${this.numFeatures}, got ${formatShape(x.shape)} ${x.dtype}`);
    }
    // Without running statistics (trackRunningStats: false), evaluation normalises with the batch's too.
    const training = this.training || !this.runningMean;
    const y = batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, { training, momentum: this.momentum, eps: this.eps });
    const counter = this.numBatchesTracked;
    if (this.training && counter) noGrad(() => scope(() => void counter.assign(counter.add(1))));
    return y;
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, trackRunningStats=${this.runningMean !== null}`;
  }
}

/** BatchNorm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNorm {
  protected readonly inputRanks = [2, 3];
  protected readonly inputLayout = '[N, C] or [N, C, L]';
}

/** BatchNorm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNorm {
  protected readonly inputRanks = [4];
  protected readonly inputLayout = '[N, C, H, W]';
}

export { LayerNorm, type LayerNormOptions } from './layer-norm.js';
export { GroupNorm, type GroupNormOptions } from './group-norm.js';
export { Upsample } from './upsample.js';
export { PixelShuffle, PixelUnshuffle } from './pixel-shuffle.js';
export { Embedding, type EmbeddingLayerOptions } from './embedding.js';
export { MaxPool2d, AvgPool2d, type MaxPool2dLayerOptions } from './pooling.js';

// ---- Dropout -------------------------------------------------------------------------------------

/** Zeroes each element with probability p in training and scales the rest by 1 / (1 - p); the identity in evaluation. */
export class Dropout extends Module {
  /** Probability of zeroing each element in training. */
  readonly p: number;
  private readonly generator: Generator | undefined;

  constructor(p = 0.5, options: Seeded = {}) {
    super();
    this.p = p;
    checkProbability('Dropout', 'p', p);
    this.generator = options.generator;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, { generator: this.generator });
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

// ---- containers and shape ------------------------------------------------------------------------

/** Runs its modules in order, each on the previous one's output. Children are named '0', '1', ... */
export class Sequential extends Module {
  private readonly layers: Module[];

  constructor(...modules: Module[]) {
    super();
    this.layers = modules.map((m, i) => this.registerModule(String(i), m));
  }

  /** Number of modules. */
  get length(): number {
    return this.layers.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const module = this.layers.at(index);
    if (!module) throw new Error(`Sequential.at: index ${index} is out of range for ${this.layers.length} modules`);
    return module;
  }

  forward(x: Tensor): Tensor {
    // In a scope of its own unless a graph is recorded (see composite): the activations between the
    // layers are freed at once, also when a layer throws.
    return composite([x, ...this.parameters()], () => this.layers.reduce((y, layer) => layer.forward(y), x));
  }
}

/** Merges dimensions startDim..endDim (default 1..-1: everything but the batch). */
export class Flatten extends Module {
  /** First dimension merged. */
  readonly startDim: number;
  /** Last dimension merged (inclusive; negative counts from the end). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  protected override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Returns its input unchanged (the same tensor, as PyTorch's): a placeholder where a layer is optional. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Splits dimension `dim` into `sizes` (one of them may be -1), the inverse of Flatten: a view, no copy. */
export class Unflatten extends Module {
  /** The dimension split (negative counts from the end). */
  readonly dim: number;
  /** What it becomes. */
  readonly sizes: readonly number[];

  constructor(dim: number, sizes: readonly number[]) {
    super();
    if (!Number.isInteger(dim)) throw new Error(`Unflatten: dim must be an integer, got ${dim}`);
    if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((d) => Number.isInteger(d) && (d >= 0 || d === -1))) {
      throw new Error(`Unflatten: sizes must be a non-empty list of integers >= 0 (one may be -1), got ${String(sizes)}`);
    }
    this.dim = dim;
    this.sizes = [...sizes];
  }

  forward(x: Tensor): Tensor {
    const d = normalizeAxis('Unflatten', this.dim, x.rank, x.shape);
    const known = this.sizes.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
    const sizes = this.sizes.map((s) => (s === -1 && known > 0 ? x.shape[d] / known : s));
    if (sizes.reduce((a, b) => a * b, 1) !== x.shape[d] || !sizes.every(Number.isInteger)) {
      throw opError('Unflatten', `dimension ${d} (size ${x.shape[d]}) cannot be split into ${formatShape(this.sizes)}`, [x]);
    }
    return reshape(x, [...x.shape.slice(0, d), ...sizes, ...x.shape.slice(d + 1)]);
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}, sizes=${formatShape(this.sizes)}`;
  }
}

// ---- activations ---------------------------------------------------------------------------------

/** max(x, 0), elementwise. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** x where x > 0, else negativeSlope * x (default 0.01). */
export class LeakyReLU extends Module {
  /** Slope for x <= 0. */
  readonly negativeSlope: number;

  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = negativeSlope;
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** GELU, exact by default as PyTorch's GELU(); `approximate: 'tanh'` gives GPT-2's tanh form. */
export class GELU extends Module {
  /** 'none' (exact) or 'tanh'. */
  readonly approximate: GeluApproximation;

  constructor({ approximate = 'none' }: { approximate?: GeluApproximation } = {}) {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`GELU: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
    this.approximate = approximate;
  }

  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }

  protected override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** Hyperbolic tangent, elementwise. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** The logistic function 1 / (1 + e^-x), elementwise. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** SiLU (swish), x * sigmoid(x), elementwise (PyTorch's SiLU). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** log(1 + exp(beta x)) / beta, computed stably, and x itself where beta x > threshold (PyTorch's Softplus). */
export class Softplus extends Module {
  /** The sharpness (default 1). */
  readonly beta: number;
  /** Above this, beta x is returned as x (default 20). */
  readonly threshold: number;

  constructor({ beta = 1, threshold = 20 }: SoftplusOptions = {}) {
    super();
    this.beta = beta;
    this.threshold = threshold;
  }

  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }

  protected override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}
