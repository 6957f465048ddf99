// The layers, as torch.nn: PyTorch's constructor arguments (camelCased), weight layouts, state-dict
// keys and default initialisation, each drawn from a seeded generator (the `generator` option, else
// the default one, gg.manualSeed). Linear, Conv2d, ConvTranspose2d, BatchNorm1d/2d, LayerNorm,
// Embedding, Dropout, Sequential, Flatten, and the activations as modules.

import { noGrad } from '../autograd.js';
import { Tensor, formatShape, scope } from '../tensor.js';
import { full, zeros } from '../ops/creation.js';
import { gelu, leakyRelu, relu, sigmoid, softplus, tanh, type GeluApproximation } from '../ops/elementwise.js';
import { conv2d, convTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions, type Size2d } from '../ops/conv.js';
import { indexSelect } from '../ops/indexing.js';
import { flatten, reshape } from '../ops/movement.js';
import { type Generator } from '../ops/random.js';
import { assertDtype } from '../ops/shape.js';
import { checkNonNegative, checkPositiveInteger, checkProbability, composite } from './common.js';
import { batchNorm, dropout, linear } from './functional.js';
import { calculateFans, kaimingUniform, normal, uniform } from './init.js';
import { layerNorm } from './layer-norm.js';
import { Module } from './module.js';

interface Seeded {
  /** The stream the initial weights are drawn from (default: the default generator). */
  generator?: Generator;
}

/**
 * PyTorch's default init of Linear and convolution weights and biases: weight ~ kaimingUniform with
 * a = sqrt(5), i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn)), and bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 */
function defaultWeight(shape: number[], generator: Generator | undefined): Tensor {
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

export interface LinearOptions extends Seeded {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** y = x Wᵀ + b over the last dimension: [..., inFeatures] -> [..., outFeatures]. Weight [out, in]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    checkPositiveInteger('Linear', 'inFeatures', inFeatures);
    checkPositiveInteger('Linear', 'outFeatures', outFeatures);
    this.weight = this.registerParameter('weight', defaultWeight([outFeatures, inFeatures], options.generator));
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

export interface Conv2dLayerOptions extends Conv2dOptions, Seeded {
  bias?: boolean;
}

export interface ConvTranspose2dLayerOptions extends ConvTranspose2dOptions, Seeded {
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

/** 2-D convolution over [N, inChannels, H, W]. Weight [out, in / groups, kH, kW], bias [out]. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  /** stride, padding, dilation and groups, as conv2d takes them (read by wrappers such as SpectralNorm). */
  readonly convOptions: Conv2dOptions;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Size2d, options: Conv2dLayerOptions = {}) {
    super();
    const { stride, padding, dilation, groups = 1 } = options;
    checkChannels('Conv2d', inChannels, outChannels, groups);
    this.kernelSize = kernelPair('Conv2d', kernelSize);
    this.convOptions = { stride, padding, dilation, groups };
    this.weight = this.registerParameter('weight', defaultWeight([outChannels, inChannels / groups, ...this.kernelSize], options.generator));
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
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  private readonly convOptions: ConvTranspose2dOptions;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Size2d, options: ConvTranspose2dLayerOptions = {}) {
    super();
    const { stride, padding, outputPadding, dilation, groups = 1 } = options;
    checkChannels('ConvTranspose2d', inChannels, outChannels, groups);
    this.kernelSize = kernelPair('ConvTranspose2d', kernelSize);
    this.convOptions = { stride, padding, outputPadding, dilation, groups };
    this.weight = this.registerParameter('weight', defaultWeight([inChannels, outChannels / groups, ...this.kernelSize], options.generator));
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

export interface BatchNormLayerOptions {
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
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number;

  /** Input ranks this layer accepts and how they read, e.g. [4] and '[N, C, H, W]'. */
  protected abstract readonly inputRanks: readonly number[];
  protected abstract readonly inputLayout: string;

  constructor(readonly numFeatures: number, options: BatchNormLayerOptions = {}) {
    super();
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

export interface LayerNormOptions {
  eps?: number;
  /** Learn a weight (init 1) and a bias (init 0) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, learn the bias too (default true). */
  bias?: boolean;
}

/** Normalises over the trailing dimensions `normalizedShape` (one fused kernel each way; see functional.layerNorm). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const { eps = 1e-5, elementwiseAffine = true, bias = true } = options;
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0) throw new Error('LayerNorm: normalizedShape must not be empty');
    for (const d of this.normalizedShape) checkPositiveInteger('LayerNorm', 'each normalizedShape dimension', d);
    checkNonNegative('LayerNorm', 'eps', eps);
    this.eps = eps;
    this.weight = elementwiseAffine ? this.registerParameter('weight', full(this.normalizedShape, 1)) : null;
    this.bias = elementwiseAffine && bias ? this.registerParameter('bias', zeros(this.normalizedShape)) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  protected override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}, bias=${this.bias !== null}`;
  }
}

// ---- Embedding -----------------------------------------------------------------------------------

/** A lookup table [numEmbeddings, embeddingDim], init N(0, 1): i32 indices of any shape [...] -> [..., embeddingDim]. */
export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, options: Seeded = {}) {
    super();
    checkPositiveInteger('Embedding', 'numEmbeddings', numEmbeddings);
    checkPositiveInteger('Embedding', 'embeddingDim', embeddingDim);
    this.weight = this.registerParameter('weight', normal(Tensor.empty([numEmbeddings, embeddingDim]), 0, 1, options));
  }

  /** Rows of the table at `indices` (out-of-range indices are clamped into the table: the GPU cannot throw). */
  forward(indices: Tensor): Tensor {
    indices.assertAlive('Embedding');
    assertDtype('Embedding', indices, ['i32']);
    if (indices.rank === 1) return indexSelect(this.weight, 0, indices);
    return composite([this.weight], () => reshape(indexSelect(this.weight, 0, reshape(indices, [indices.size])), [...indices.shape, this.embeddingDim]));
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}

// ---- Dropout -------------------------------------------------------------------------------------

/** Zeroes each element with probability p in training and scales the rest by 1 / (1 - p); the identity in evaluation. */
export class Dropout extends Module {
  private readonly generator: Generator | undefined;

  constructor(readonly p = 0.5, options: Seeded = {}) {
    super();
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
    return this.layers.reduce((y, layer) => layer.forward(y), x);
  }
}

/** Merges dimensions startDim..endDim (default 1..-1: everything but the batch). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  protected override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

// ---- activations ---------------------------------------------------------------------------------

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
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

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** log(1 + exp(x)), computed stably (PyTorch's Softplus with beta 1). */
export class Softplus extends Module {
  forward(x: Tensor): Tensor {
    return softplus(x);
  }
}
