// Sub-pixel rearrangement, as PyTorch's F.pixel_shuffle / F.pixel_unshuffle and nn.PixelShuffle /
// nn.PixelUnshuffle (Shi et al. 2016, ESPCN): pixelShuffle moves r x r channels into an r-times larger
// image, [N, C r², H, W] -> [N, C, H r, W r], out[n, c, h r + i, w r + j] = x[n, c r² + i r + j, h, w];
// pixelUnshuffle is its inverse. Both are a view, one permute (one strided copy) and a view, so their
// gradient is the permute's: the other rearrangement, exact.

import { composite } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { permute, reshape } from '../ops/movement.js';
import { checkPositiveInteger, opError } from './common.js';
import { Module } from './module.js';

/** The input's [N, C, H, W] (any leading dimensions fold into N), checked to be rank 3 or more. */
function spatialSplit(op: string, x: Tensor): { lead: number[]; c: number; h: number; w: number } {
  x.assertAlive(op);
  if (x.rank < 3) throw opError(op, `expected an input of shape [..., C, H, W], got rank ${x.rank}`, [x]);
  const [c, h, w] = x.shape.slice(-3);
  return { lead: x.shape.slice(0, -3), c, h, w };
}

/**
 * [..., C r², H, W] -> [..., C, H r, W r]: each group of r² channels becomes an r x r block of pixels
 * (PyTorch's F.pixel_shuffle, the upsampling of ESPCN's sub-pixel convolution).
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  checkPositiveInteger('pixelShuffle', 'upscaleFactor', upscaleFactor);
  const { lead, c, h, w } = spatialSplit('pixelShuffle', x);
  const r = upscaleFactor;
  if (c % (r * r) !== 0) throw opError('pixelShuffle', `${c} channels are not divisible by upscaleFactor² = ${r * r}`, [x]);
  const channels = c / (r * r);
  return composite([x], () => {
    const split = reshape(x, [-1, channels, r, r, h, w]);
    const interleaved = permute(split, [0, 1, 4, 2, 5, 3]);
    return reshape(interleaved, [...lead, channels, h * r, w * r]);
  });
}

/**
 * [..., C, H r, W r] -> [..., C r², H, W], the inverse of {@link pixelShuffle} (PyTorch's
 * F.pixel_unshuffle): each r x r block of pixels becomes r² channels.
 */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  checkPositiveInteger('pixelUnshuffle', 'downscaleFactor', downscaleFactor);
  const { lead, c, h, w } = spatialSplit('pixelUnshuffle', x);
  const r = downscaleFactor;
  if (h % r !== 0 || w % r !== 0) throw opError('pixelUnshuffle', `height ${h} and width ${w} must both be divisible by downscaleFactor ${r}`, [x]);
  return composite([x], () => {
    const blocks = reshape(x, [-1, c, h / r, r, w / r, r]);
    const gathered = permute(blocks, [0, 1, 3, 5, 2, 4]);
    return reshape(gathered, [...lead, c * r * r, h / r, w / r]);
  });
}

/** Rearranges [N, C r², H, W] into [N, C, H r, W r], as PyTorch's nn.PixelShuffle (see {@link pixelShuffle}). */
export class PixelShuffle extends Module {
  /** r: the factor each spatial side grows by. */
  readonly upscaleFactor: number;

  constructor(upscaleFactor: number) {
    super();
    checkPositiveInteger('PixelShuffle', 'upscaleFactor', upscaleFactor);
    this.upscaleFactor = upscaleFactor;
  }

  forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }

  protected override extraRepr(): string {
    return `upscaleFactor=${this.upscaleFactor}`;
  }
}

/** Rearranges [N, C, H r, W r] into [N, C r², H, W], as PyTorch's nn.PixelUnshuffle (see {@link pixelUnshuffle}). */
export class PixelUnshuffle extends Module {
  /** r: the factor each spatial side shrinks by. */
  readonly downscaleFactor: number;

  constructor(downscaleFactor: number) {
    super();
    checkPositiveInteger('PixelUnshuffle', 'downscaleFactor', downscaleFactor);
    this.downscaleFactor = downscaleFactor;
  }

  forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }

  protected override extraRepr(): string {
    return `downscaleFactor=${this.downscaleFactor}`;
  }
}
