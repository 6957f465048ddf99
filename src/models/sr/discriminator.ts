// The discriminator of an SRGAN, SRGAN's (Ledig et al. 2017) at a smaller width: pairs of 3x3
// convolutions with LeakyReLU(0.2), the second of each pair with stride 2 and the width doubling per
// stage, then a global average and a linear logit (instead of SRGAN's dense 1024 layer, so any patch
// size works). No BatchNorm: the GAN family's discriminators go without it, and batch statistics
// would couple the real and generated halves. `features` also returns each stage's output, for the
// trainer's feature-matching content loss.

import { Module } from '../../nn/module.js';
import { Conv2d, Linear } from '../../nn/layers.js';
import { checkPositiveInteger, opError } from '../../nn/common.js';
import { leakyRelu } from '../../ops/elementwise.js';
import type { Tensor } from '../../tensor.js';
import type { SrInitOptions } from './networks.js';

/** Options of {@link SrDiscriminator}. */
export interface SrDiscriminatorOptions extends SrInitOptions {
  /** Image channels (default 3). */
  channels?: number;
  /** Width of the first stage, doubling per stage (default 32; SRGAN's: 64). */
  features?: number;
  /** Stages, each halving the size (default 3; SRGAN's: 4). */
  stages?: number;
}

/** What the discriminator sees in a batch: its logits and each stage's features. */
export interface DiscriminatorFeatures {
  /** [N] logits, "real" positive. */
  logits: Tensor;
  /** Each stage's output [N, width, h, w]. */
  hidden: Tensor[];
}

/** conv-LeakyReLU, strided conv-LeakyReLU: half the size. Keys 'conv1', 'conv2'. */
class DiscriminatorStage extends Module {
  private readonly conv1: Conv2d;
  private readonly conv2: Conv2d;

  constructor(inChannels: number, outChannels: number, options: SrInitOptions) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, outChannels, 3, { padding: 1, generator: options.generator }));
    this.conv2 = this.registerModule('conv2', new Conv2d(outChannels, outChannels, 3, { padding: 1, stride: 2, generator: options.generator }));
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(this.conv2.forward(leakyRelu(this.conv1.forward(x), 0.2)), 0.2);
  }
}

/** SRGAN's discriminator, narrower: forward(images [N, C, H, W]) -> logits [N]. Keys 'stage<i>.conv1/2', 'head'. */
export class SrDiscriminator extends Module {
  /** Image channels. */
  readonly channels: number;
  private readonly stages: DiscriminatorStage[];
  private readonly head: Linear;

  constructor(options: SrDiscriminatorOptions = {}) {
    super();
    const { channels = 3, features = 32, stages = 3, generator } = options;
    for (const [name, value] of Object.entries({ channels, features, stages })) checkPositiveInteger('SrDiscriminator', name, value);
    this.channels = channels;
    const widths = [channels, ...Array.from({ length: stages }, (_, i) => features * 2 ** i)];
    this.stages = widths.slice(1).map((out, i) => this.registerModule(`stage${i}`, new DiscriminatorStage(widths[i], out, { generator })));
    this.head = this.registerModule('head', new Linear(widths[stages], 1, { generator }));
  }

  /** The logits [N] and each stage's features. */
  features(images: Tensor): DiscriminatorFeatures {
    if (images.rank !== 4 || images.shape[1] !== this.channels || images.dtype !== 'f32') {
      throw opError('SrDiscriminator.forward', `expected images of shape [N, ${this.channels}, H, W] f32`, [images]);
    }
    const hidden: Tensor[] = [];
    let x = images;
    for (const stage of this.stages) {
      x = stage.forward(x);
      hidden.push(x);
    }
    const pooled = x.mean([2, 3]);
    return { logits: this.head.forward(pooled).reshape([images.shape[0]]), hidden };
  }

  /** The logits [N], "real" positive. */
  forward(images: Tensor): Tensor {
    return this.features(images).logits;
  }
}
