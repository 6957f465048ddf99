// The image denoiser: a U-Net in the style of DDPM (Ho et al. 2020) and improved-diffusion (Nichol &
// Dhariwal 2021), small enough to train on a software adapter with its default widths. Each level
// of the encoder holds residual blocks (GroupNorm, SiLU, 3x3 conv, the conditioning added per channel,
// GroupNorm, SiLU, 3x3 conv, plus a 1x1 conv on the skip when the width changes) and halves the
// resolution with a stride-2 conv; the middle runs a block, multi-head self-attention over the
// positions, and a block; the decoder mirrors the encoder, each block taking the matching encoder
// activation concatenated on the channels, and doubles the resolution by nearest-neighbour upsampling
// and a 3x3 conv. The last conv of each block, of the attention and of the output start at zero
// (improved-diffusion's zero_module), so the untrained network is the identity plus zero.

import { Module } from '../../nn/module.js';
import { Conv2d, Linear } from '../../nn/layers.js';
import { GroupNorm } from '../../nn/group-norm.js';
import { interpolate } from '../../nn/upsample.js';
import { zeros as zeroInit } from '../../nn/init.js';
import { packedSelfAttention } from '../../ops/attention.js';
import { concat } from '../../ops/indexing.js';
import { silu } from '../../ops/elementwise.js';
import type { Tensor } from '../../tensor.js';
import { Conditioning, Denoiser, type DenoiserInitOptions } from './denoiser.js';

/** The U-Net's architecture. */
export interface UNetConfig {
  /** 'unet'. */
  kind: 'unet';
  /** Image channels (default 1). */
  channels: number;
  /** Image side; it must halve exactly at every level but the last (default 28: 28, 14, 7). */
  size: number;
  /** Channels of the first level (default 16). */
  baseChannels: number;
  /** Each level's channels as a multiple of baseChannels (default [1, 2, 2]). */
  channelMults: number[];
  /** Residual blocks per encoder level (the decoder has one more, default 1). */
  blocksPerLevel: number;
  /** Attention heads in the middle (default 4). */
  heads: number;
  /** GroupNorm groups; every width must be a multiple (default 8). */
  groups: number;
  /** Classes to condition on (default 0: unconditional). */
  numClasses: number;
}

/** The default tiny configuration (trains on a software adapter); a GPU one is e.g. { baseChannels: 64, blocksPerLevel: 2 }. */
export const defaultUNetConfig: UNetConfig = { kind: 'unet', channels: 1, size: 28, baseChannels: 16, channelMults: [1, 2, 2], blocksPerLevel: 1, heads: 4, groups: 8, numClasses: 0 };

/** A residual block conditioned on c. Keys 'norm1', 'conv1', 'cond', 'norm2', 'conv2', and 'skip' when the width changes. */
class ResBlock extends Module {
  private readonly norm1: GroupNorm;
  private readonly conv1: Conv2d;
  private readonly cond: Linear;
  private readonly norm2: GroupNorm;
  private readonly conv2: Conv2d;
  private readonly skip: Conv2d | null;

  constructor(inChannels: number, outChannels: number, condWidth: number, groups: number, options: DenoiserInitOptions) {
    super();
    this.norm1 = this.registerModule('norm1', new GroupNorm(groups, inChannels));
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, outChannels, 3, { padding: 1, ...options }));
    this.cond = this.registerModule('cond', new Linear(condWidth, outChannels, options));
    this.norm2 = this.registerModule('norm2', new GroupNorm(groups, outChannels));
    this.conv2 = this.registerModule('conv2', new Conv2d(outChannels, outChannels, 3, { padding: 1, ...options }));
    zeroInit(this.conv2.weight);
    zeroInit(this.conv2.bias!);
    this.skip = inChannels === outChannels ? null : this.registerModule('skip', new Conv2d(inChannels, outChannels, 1, options));
  }

  forward(x: Tensor, c?: Tensor): Tensor {
    const [n, channels] = [x.shape[0], this.conv1.outChannels];
    const h = this.conv1.forward(silu(this.norm1.forward(x))).add(this.cond.forward(silu(c!)).reshape([n, channels, 1, 1]));
    const out = this.conv2.forward(silu(this.norm2.forward(h)));
    return (this.skip ? this.skip.forward(x) : x).add(out);
  }
}

/** Multi-head self-attention over the positions, residual. Keys 'norm', 'qkv', 'proj'. */
class AttentionBlock extends Module {
  private readonly norm: GroupNorm;
  private readonly qkv: Linear;
  private readonly proj: Linear;
  private readonly heads: number;

  constructor(channels: number, heads: number, groups: number, options: DenoiserInitOptions) {
    super();
    if (channels % heads !== 0) throw new Error(`UNet: the middle's ${channels} channels must be divisible by heads ${heads}`);
    this.heads = heads;
    this.norm = this.registerModule('norm', new GroupNorm(groups, channels));
    this.qkv = this.registerModule('qkv', new Linear(channels, 3 * channels, options));
    this.proj = this.registerModule('proj', new Linear(channels, channels, options));
    zeroInit(this.proj.weight);
    zeroInit(this.proj.bias!);
  }

  forward(x: Tensor): Tensor {
    const [n, c, h, w] = x.shape;
    // [N, C, H, W] -> [N, HW, C]: one token per position.
    const tokens = this.norm.forward(x).reshape([n, c, h * w]).transpose(1, 2);
    const attended = this.proj.forward(packedSelfAttention(this.qkv.forward(tokens), this.heads));
    return x.add(attended.transpose(1, 2).reshape([n, c, h, w]));
  }
}

/** The decoder's upsampling: nearest-neighbour 2x, then a 3x3 conv. Key 'conv'. */
class Upsample2x extends Module {
  private readonly conv: Conv2d;
  constructor(channels: number, options: DenoiserInitOptions) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(channels, channels, 3, { padding: 1, ...options }));
  }
  forward(x: Tensor): Tensor {
    return this.conv.forward(interpolate(x, { scaleFactor: 2, mode: 'nearest' }));
  }
}

/** One stage of the U-Net, in the order forward runs them. */
type Stage = { kind: 'block'; block: ResBlock; pushSkip: boolean; popSkip: boolean } | { kind: 'down' | 'up'; layer: Conv2d | Upsample2x } | { kind: 'attention'; layer: AttentionBlock };

/**
 * A U-Net denoiser for images [N, channels, size, size] (see the file's header). Keys: 'conditioning', 'conv_in', then
 * one per stage in the order they run, 'down_<i>', 'middle_<i>', 'up_<i>' (i counting all stages), 'norm_out', 'conv_out'.
 */
export class UNet extends Denoiser {
  readonly config: UNetConfig;
  readonly dataShape: readonly number[];
  readonly numClasses: number;
  /** The conditioning (time and class). Key 'conditioning'. */
  readonly conditioning: Conditioning;
  private readonly convIn: Conv2d;
  private readonly stages: Stage[] = [];
  private readonly normOut: GroupNorm;
  private readonly convOut: Conv2d;

  constructor(options: Partial<Omit<UNetConfig, 'kind'>> & DenoiserInitOptions = {}) {
    super();
    const { generator, ...given } = options;
    const config: UNetConfig = { ...defaultUNetConfig, ...given, kind: 'unet' };
    checkConfig(config);
    this.config = config;
    this.dataShape = [config.channels, config.size, config.size];
    this.numClasses = config.numClasses;
    const init = { generator };
    const { baseChannels, channelMults, blocksPerLevel, groups } = config;
    const condWidth = 4 * baseChannels;
    this.conditioning = this.registerModule('conditioning', new Conditioning(condWidth, config.numClasses, init));
    this.convIn = this.registerModule('conv_in', new Conv2d(config.channels, baseChannels, 3, { padding: 1, ...init }));
    const widths = channelMults.map((m) => m * baseChannels);
    const skips = [baseChannels];
    let width = baseChannels;
    let index = 0;
    const add = (prefix: string, stage: Stage) => {
      const module = stage.kind === 'block' ? stage.block : stage.layer;
      this.registerModule(`${prefix}_${index++}`, module);
      this.stages.push(stage);
    };
    widths.forEach((levelWidth, level) => {
      for (let b = 0; b < blocksPerLevel; b++) {
        add('down', { kind: 'block', block: new ResBlock(width, levelWidth, condWidth, groups, init), pushSkip: true, popSkip: false });
        width = levelWidth;
        skips.push(width);
      }
      if (level < widths.length - 1) {
        add('down', { kind: 'down', layer: new Conv2d(width, width, 3, { stride: 2, padding: 1, ...init }) });
        skips.push(width);
      }
    });
    add('middle', { kind: 'block', block: new ResBlock(width, width, condWidth, groups, init), pushSkip: false, popSkip: false });
    add('middle', { kind: 'attention', layer: new AttentionBlock(width, config.heads, groups, init) });
    add('middle', { kind: 'block', block: new ResBlock(width, width, condWidth, groups, init), pushSkip: false, popSkip: false });
    [...widths.entries()].reverse().forEach(([level, levelWidth]) => {
      for (let b = 0; b <= blocksPerLevel; b++) {
        add('up', { kind: 'block', block: new ResBlock(width + skips.pop()!, levelWidth, condWidth, groups, init), pushSkip: false, popSkip: true });
        width = levelWidth;
      }
      if (level > 0) add('up', { kind: 'up', layer: new Upsample2x(width, init) });
    });
    this.normOut = this.registerModule('norm_out', new GroupNorm(groups, width));
    this.convOut = this.registerModule('conv_out', new Conv2d(width, config.channels, 3, { padding: 1, ...init }));
    zeroInit(this.convOut.weight);
    zeroInit(this.convOut.bias!);
  }

  forward(x: Tensor, t: Tensor, labels?: Tensor): Tensor {
    this.checkInputs('UNet', x, t, labels);
    const c = this.conditioning.forward(t, labels);
    let h = this.convIn.forward(x);
    const skips = [h];
    for (const stage of this.stages) {
      if (stage.kind === 'block') {
        h = stage.block.forward(stage.popSkip ? concat([h, skips.pop()!], 1) : h, c);
        if (stage.pushSkip) skips.push(h);
      } else {
        h = stage.layer.forward(h);
        if (stage.kind === 'down') skips.push(h);
      }
    }
    return this.convOut.forward(silu(this.normOut.forward(h)));
  }

  protected override extraRepr(): string {
    const { channels, size, baseChannels, channelMults, blocksPerLevel, numClasses } = this.config;
    return `${channels}x${size}x${size}, channels ${baseChannels} x [${channelMults.join(', ')}], ${blocksPerLevel} blocks per level, numClasses=${numClasses}`;
  }
}

function checkConfig(config: UNetConfig): void {
  const { channels, size, baseChannels, channelMults, blocksPerLevel, heads, groups, numClasses } = config;
  for (const [name, value] of Object.entries({ channels, size, baseChannels, blocksPerLevel, heads, groups })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`UNet: ${name} must be a positive integer, got ${value}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 0) throw new Error(`UNet: numClasses must be an integer >= 0, got ${numClasses}`);
  if (!Array.isArray(channelMults) || channelMults.length === 0 || !channelMults.every((m) => Number.isInteger(m) && m >= 1)) {
    throw new Error(`UNet: channelMults must be a non-empty list of positive integers, got ${JSON.stringify(channelMults)}`);
  }
  if (size % 2 ** (channelMults.length - 1) !== 0) {
    throw new Error(`UNet: size ${size} must halve exactly ${channelMults.length - 1} times (one per level after the first)`);
  }
  const widths = [baseChannels, ...channelMults.map((m) => m * baseChannels)];
  const bad = widths.find((w) => w % groups !== 0);
  if (bad !== undefined) throw new Error(`UNet: every width must be a multiple of groups ${groups}, got ${bad}`);
}
