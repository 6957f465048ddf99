// Single-image super-resolution networks, each mapping a low-resolution image [N, C, h, w] (values in
// [0, 1]) to one `scale` times larger [N, C, h s, w s]:
// - SRCNN (Dong et al. 2014): three convolutions (9x9, 1x1, 5x5 in the paper's base 9-1-5 setting) on
//   the bicubic-upscaled image, so every layer runs at the high resolution;
// - ESPCN (Shi et al. 2016): convolutions at the low resolution and a last one with C s² channels that
//   pixelShuffle rearranges into the larger image (sub-pixel convolution), tanh between, as the paper;
// - SRResNet (Ledig et al. 2017), small: residual blocks at the low resolution, then x2 / x3 sub-pixel
//   stages. Its blocks follow EDSR (Lim et al. 2017: conv-ReLU-conv, no BatchNorm, scaled residual)
//   rather than SRGAN's BatchNorm + PReLU: EDSR showed BatchNorm hurts SR, and ReLU needs no new op.
// Convolutions are zero-padded to keep sizes (the papers' SRCNN and ESPCN trained on valid-only output);
// `margin` is how many low-resolution pixels around a region its output depends on, which tiled
// inference (tiles.ts) overlaps by so that tiles equal the whole image.

import { Module } from '../../nn/module.js';
import { Conv2d } from '../../nn/layers.js';
import { pixelShuffle } from '../../nn/pixel-shuffle.js';
import { checkPositiveInteger, opError } from '../../nn/common.js';
import { relu, tanh } from '../../ops/elementwise.js';
import type { Generator } from '../../ops/random.js';
import type { Tensor } from '../../tensor.js';
import { resizeBicubic } from './resize.js';

/** The architectures. */
export type SrArchitecture = 'srcnn' | 'espcn' | 'srresnet';

/** What every architecture's config holds. */
interface SrConfigBase {
  /** The factor each side grows by (2, 3, 4, ...). */
  scale: number;
  /** Image channels in and out: 1 (luminance, Y of YCbCr, as SRCNN and ESPCN were trained) or 3 (RGB). */
  channels: number;
  /**
   * Add the bicubic upscale of the input to the output, so the network learns only what bicubic misses (VDSR's
   * global residual, which is SRCNN plus its own input; default false, as the papers). It starts at bicubic's
   * quality, which a short training budget needs.
   */
  bicubicSkip?: boolean;
}

/** SRCNN: patch extraction (k1 x k1, f1 maps), non-linear mapping (k2 x k2, f2), reconstruction (k3 x k3). */
export interface SrcnnConfig extends SrConfigBase {
  /** 'srcnn'. */
  architecture: 'srcnn';
  /** [k1, k2, k3] (the paper's base: [9, 1, 5]). */
  kernels: [number, number, number];
  /** [f1, f2] (the paper's: [64, 32]). */
  features: [number, number];
}

/** ESPCN: convolutions at low resolution and a sub-pixel convolution. */
export interface EspcnConfig extends SrConfigBase {
  /** 'espcn'. */
  architecture: 'espcn';
  /** Kernel sides of the three layers (the paper's: [5, 3, 3]). */
  kernels: [number, number, number];
  /** Feature maps of the first two (the paper's: [64, 32]). */
  features: [number, number];
  /** Between layers: 'tanh' (the paper's) or 'relu'. */
  activation: 'tanh' | 'relu';
}

/** A small SRResNet / EDSR generator. */
export interface SrResNetConfig extends SrConfigBase {
  /** 'srresnet'. */
  architecture: 'srresnet';
  /** Feature maps throughout (SRGAN's: 64). */
  features: number;
  /** Residual blocks (SRGAN's: 16). */
  blocks: number;
  /** Each block's residual is scaled by this before it is added (EDSR's large model: 0.1; 1 for small ones). */
  residualScale: number;
}

/** An architecture and its sizes: enough to rebuild the network (createSuperResolver); saved with checkpoints. */
export type SrConfig = SrcnnConfig | EspcnConfig | SrResNetConfig;

/** The papers' settings of each architecture at a scale: SRCNN 9-1-5 and ESPCN on luminance, a small SRResNet on RGB. */
export function defaultSrConfig(architecture: SrArchitecture, scale: number, channels?: number): SrConfig {
  checkPositiveInteger('defaultSrConfig', 'scale', scale);
  if (architecture === 'srcnn') return { architecture, scale, channels: channels ?? 1, kernels: [9, 1, 5], features: [64, 32] };
  if (architecture === 'espcn') return { architecture, scale, channels: channels ?? 1, kernels: [5, 3, 3], features: [64, 32], activation: 'tanh' };
  if (architecture === 'srresnet') return { architecture, scale, channels: channels ?? 3, features: 32, blocks: 4, residualScale: 1 };
  throw new Error(`defaultSrConfig: unknown architecture '${String(architecture)}' (expected 'srcnn', 'espcn' or 'srresnet')`);
}

/** Options every network's constructor takes. */
export interface SrInitOptions {
  /** Draws the initial weights (default: the global generator). */
  generator?: Generator;
}

/**
 * A super-resolution network: forward(lowRes [N, channels, h, w], values in [0, 1]) -> [N, channels, h scale, w scale].
 * The output is not clamped: a caller making 8-bit pixels rounds and clamps (as the evaluation protocol does).
 */
export abstract class SuperResolver extends Module {
  /** The architecture. */
  abstract readonly config: SrConfig;
  /** Low-resolution pixels on each side of a region that its output depends on (tiles overlap by this much). */
  abstract readonly margin: number;

  /** The factor each side grows by. */
  get scale(): number {
    return this.config.scale;
  }

  /** Image channels in and out. */
  get channels(): number {
    return this.config.channels;
  }

  /** The upscaled images. */
  abstract override forward(lowRes: Tensor): Tensor;

  /** `output` plus the bicubic upscale of `lowRes` when the config asks for the skip (ESPCN, SRResNet; SRCNN has its upscale at hand). */
  protected withSkip(lowRes: Tensor, output: Tensor): Tensor {
    if (!this.config.bicubicSkip) return output;
    const [h, w] = lowRes.shape.slice(2);
    return output.add(resizeBicubic(lowRes, { height: h * this.scale, width: w * this.scale }));
  }

  /** Checks a forward call's input: [N, channels, h, w] f32. */
  protected checkInput(op: string, x: Tensor): void {
    if (x.rank !== 4 || x.shape[1] !== this.channels || x.dtype !== 'f32') {
      throw opError(op, `expected low-resolution images of shape [N, ${this.channels}, h, w] f32`, [x]);
    }
  }
}

/** A zero-padded convolution that keeps the size: k x k, padding (k - 1) / 2 (k odd). */
function sameConv(op: string, inChannels: number, outChannels: number, k: number, options: SrInitOptions): Conv2d {
  if (!(Number.isInteger(k) && k >= 1 && k % 2 === 1)) throw new Error(`${op}: kernel sides must be odd positive integers, got ${k}`);
  return new Conv2d(inChannels, outChannels, k, { padding: (k - 1) / 2, generator: options.generator });
}

/** The radius of a stack of same-size convolutions: the sum of (k - 1) / 2. */
const radius = (kernels: readonly number[]) => kernels.reduce((sum, k) => sum + (k - 1) / 2, 0);

/** The config's bicubicSkip field, present only when set, so configs without it stay as their files stored them. */
const skipField = (bicubicSkip: boolean) => (bicubicSkip ? { bicubicSkip } : {});

/** Checks scale and channels, then registers same-size convolutions 'conv1', 'conv2', ... from widths[i] to widths[i + 1] maps. */
function convStack(op: string, owner: Module, config: SrConfigBase & SrInitOptions, widths: readonly number[], kernels: readonly number[]): Conv2d[] {
  checkPositiveInteger(op, 'scale', config.scale);
  checkPositiveInteger(op, 'channels', config.channels);
  return kernels.map((k, i) => owner.registerModule(`conv${i + 1}`, sameConv(op, widths[i], widths[i + 1], k, config)));
}

/** x through the convolutions with `activation` between them (none after the last). */
function throughStack(convs: readonly Conv2d[], x: Tensor, activation: (t: Tensor) => Tensor): Tensor {
  return convs.reduce((h, conv, i) => (i === 0 ? conv.forward(h) : conv.forward(activation(h))), x);
}

/** SRCNN: bicubic upscaling, then conv-ReLU, conv-ReLU, conv at the high resolution (plus the upscale with `bicubicSkip`). Keys 'conv1'..'conv3'. */
export class Srcnn extends SuperResolver {
  readonly config: SrcnnConfig;
  readonly margin: number;
  private readonly convs: Conv2d[];

  constructor(config: Omit<SrcnnConfig, 'architecture'> & SrInitOptions) {
    super();
    const { scale, channels, kernels, features, bicubicSkip = false } = config;
    this.convs = convStack('Srcnn', this, config, [channels, ...features, channels], kernels);
    this.config = { architecture: 'srcnn', scale, channels, kernels: [...kernels], features: [...features], ...skipField(bicubicSkip) };
    // Bicubic reads 2 low-resolution pixels each side; the convolutions' radius is in high-resolution pixels.
    this.margin = 2 + Math.ceil(radius(kernels) / scale);
  }

  forward(lowRes: Tensor): Tensor {
    this.checkInput('Srcnn.forward', lowRes);
    const [h, w] = lowRes.shape.slice(2);
    const upscaled = resizeBicubic(lowRes, { height: h * this.scale, width: w * this.scale });
    const output = throughStack(this.convs, upscaled, relu);
    return this.config.bicubicSkip ? output.add(upscaled) : output;
  }
}

/** ESPCN: conv-act, conv-act, conv to channels x scale² maps, pixelShuffle. Keys 'conv1'..'conv3'. */
export class Espcn extends SuperResolver {
  readonly config: EspcnConfig;
  readonly margin: number;
  private readonly convs: Conv2d[];

  constructor(config: Omit<EspcnConfig, 'architecture'> & SrInitOptions) {
    super();
    const { scale, channels, kernels, features, activation, bicubicSkip = false } = config;
    if (activation !== 'tanh' && activation !== 'relu') throw new Error(`Espcn: activation must be 'tanh' or 'relu', got ${String(activation)}`);
    this.convs = convStack('Espcn', this, config, [channels, ...features, channels * scale * scale], kernels);
    this.config = { architecture: 'espcn', scale, channels, kernels: [...kernels], features: [...features], activation, ...skipField(bicubicSkip) };
    // Bicubic (with the skip) reads 2 pixels each side.
    this.margin = Math.max(radius(kernels), bicubicSkip ? 2 : 0);
  }

  forward(lowRes: Tensor): Tensor {
    this.checkInput('Espcn.forward', lowRes);
    return this.withSkip(lowRes, pixelShuffle(throughStack(this.convs, lowRes, this.config.activation === 'tanh' ? tanh : relu), this.scale));
  }
}

/** x + residualScale · conv(relu(conv(x))), EDSR's block. Keys 'conv1', 'conv2'. */
class ResidualBlock extends Module {
  private readonly conv1: Conv2d;
  private readonly conv2: Conv2d;
  private readonly residualScale: number;

  constructor(features: number, residualScale: number, options: SrInitOptions) {
    super();
    this.residualScale = residualScale;
    this.conv1 = this.registerModule('conv1', sameConv('SrResNet', features, features, 3, options));
    this.conv2 = this.registerModule('conv2', sameConv('SrResNet', features, features, 3, options));
  }

  forward(x: Tensor): Tensor {
    const branch = this.conv2.forward(relu(this.conv1.forward(x)));
    return x.add(this.residualScale === 1 ? branch : branch.mul(this.residualScale));
  }
}

/** The sub-pixel stages of a scale: x3 alone, or x2 as often as it divides (4 -> 2, 2; 8 -> 2, 2, 2). */
function upsamplingStages(scale: number): number[] {
  if (scale === 1) return [];
  if (scale === 3) return [3];
  const stages: number[] = [];
  let left = scale;
  while (left % 2 === 0) {
    stages.push(2);
    left /= 2;
  }
  if (left !== 1) throw new Error(`SrResNet: scale ${scale} is not 3 or a power of 2`);
  return stages;
}

/**
 * A small SRResNet: head conv, residual blocks, body conv plus the head's features, sub-pixel stages
 * (conv to features x r², pixelShuffle(r), ReLU), tail conv; with `bicubicSkip`, plus the bicubic upscale. Keys 'head', 'block<i>.conv1/2', 'body',
 * 'upsample<i>', 'tail'.
 */
export class SrResNet extends SuperResolver {
  readonly config: SrResNetConfig;
  readonly margin: number;
  private readonly head: Conv2d;
  private readonly blocks: ResidualBlock[];
  private readonly body: Conv2d;
  private readonly stages: { factor: number; conv: Conv2d }[];
  private readonly tail: Conv2d;

  constructor(config: Omit<SrResNetConfig, 'architecture'> & SrInitOptions) {
    super();
    const { scale, channels, features, blocks, residualScale, bicubicSkip = false } = config;
    for (const [name, value] of Object.entries({ scale, channels, features })) checkPositiveInteger('SrResNet', name, value);
    if (!(Number.isInteger(blocks) && blocks >= 0)) throw new Error(`SrResNet: blocks must be an integer >= 0, got ${blocks}`);
    this.config = { architecture: 'srresnet', scale, channels, features, blocks, residualScale, ...skipField(bicubicSkip) };
    this.head = this.registerModule('head', sameConv('SrResNet', channels, features, 3, config));
    this.blocks = Array.from({ length: blocks }, (_, i) => this.registerModule(`block${i}`, new ResidualBlock(features, residualScale, config)));
    this.body = this.registerModule('body', sameConv('SrResNet', features, features, 3, config));
    this.stages = upsamplingStages(scale).map((factor, i) => ({
      factor, conv: this.registerModule(`upsample${i}`, sameConv('SrResNet', features, features * factor * factor, 3, config)),
    }));
    this.tail = this.registerModule('tail', sameConv('SrResNet', features, channels, 3, config));
    // Low-resolution radius: head, 2 per block, body; each stage's conv and the tail at finer grids (at most 1 each);
    // more than the 2 pixels each side that the skip's bicubic reads.
    this.margin = 2 + 2 * blocks + this.stages.length + 1;
  }

  forward(lowRes: Tensor): Tensor {
    this.checkInput('SrResNet.forward', lowRes);
    const features = this.head.forward(lowRes);
    let x = this.blocks.reduce((h, block) => block.forward(h), features);
    x = this.body.forward(x).add(features);
    for (const { factor, conv } of this.stages) x = relu(pixelShuffle(conv.forward(x), factor));
    return this.withSkip(lowRes, this.tail.forward(x));
  }
}

/** A new network of the architecture `config` describes, freshly initialised. */
export function createSuperResolver(config: SrConfig, options: SrInitOptions = {}): SuperResolver {
  if (config.architecture === 'srcnn') return new Srcnn({ ...config, ...options });
  if (config.architecture === 'espcn') return new Espcn({ ...config, ...options });
  if (config.architecture === 'srresnet') return new SrResNet({ ...config, ...options });
  throw new Error(`createSuperResolver: unknown architecture '${String((config as { architecture: unknown }).architecture)}'`);
}
