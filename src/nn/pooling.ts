// The pooling layers, as PyTorch's nn.MaxPool2d and nn.AvgPool2d: the kernel size and options of
// maxPool2d / avgPool2d (src/ops/conv.ts, shaders/pool2d.wgsl) held by a module, so that pooling
// can sit in a Sequential.

import type { Tensor } from '../tensor.js';
import { avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions, type Size2d } from '../ops/conv.js';
import { Module } from './module.js';

/** A Size2d as PyTorch's repr writes it: the number, or [height, width]. */
function formatSize(size: Size2d): string {
  return typeof size === 'number' ? String(size) : `[${size[0]}, ${size[1]}]`;
}

/** Options of {@link MaxPool2d}: maxPool2d's, where `forwardWithIndices` takes the place of returnIndices. */
export type MaxPool2dLayerOptions = Omit<MaxPool2dOptions, 'returnIndices'>;

/**
 * 2-D max pooling over [N, C, H, W] (PyTorch's nn.MaxPool2d; see {@link maxPool2d}): kernel size,
 * stride (default: the kernel size), padding, dilation and ceilMode. A Module's forward returns one
 * tensor, so PyTorch's return_indices=True is {@link MaxPool2d.forwardWithIndices} here.
 */
export class MaxPool2d extends Module {
  /** Window size: one number for both dimensions, or [height, width]. */
  readonly kernelSize: Size2d;
  /** Stride, padding, dilation and ceil mode, as maxPool2d takes them. */
  readonly poolOptions: Readonly<MaxPool2dLayerOptions>;

  constructor(kernelSize: Size2d, options: MaxPool2dLayerOptions = {}) {
    super();
    if ((options as MaxPool2dOptions).returnIndices !== undefined) {
      throw new Error('MaxPool2d: returnIndices is not an option here; call forwardWithIndices(x) for [values, indices]');
    }
    const { stride, padding, dilation, ceilMode } = options;
    this.kernelSize = kernelSize;
    this.poolOptions = { stride, padding, dilation, ceilMode };
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.poolOptions);
  }

  /** The pooled values and where each maximum is (i32 ih * W + iw in each input plane), as return_indices=True gives. */
  forwardWithIndices(x: Tensor): [Tensor, Tensor] {
    return maxPool2d(x, this.kernelSize, { ...this.poolOptions, returnIndices: true });
  }

  protected override extraRepr(): string {
    const { stride, padding = 0, dilation = 1, ceilMode = false } = this.poolOptions;
    return `kernelSize=${formatSize(this.kernelSize)}, stride=${formatSize(stride ?? this.kernelSize)}, padding=${formatSize(padding)}, ` +
      `dilation=${formatSize(dilation)}, ceilMode=${ceilMode}`;
  }
}

/**
 * 2-D average pooling over [N, C, H, W] (PyTorch's nn.AvgPool2d; see {@link avgPool2d}): kernel
 * size, stride (default: the kernel size), padding, ceilMode and countIncludePad (default true).
 */
export class AvgPool2d extends Module {
  /** Window size: one number for both dimensions, or [height, width]. */
  readonly kernelSize: Size2d;
  /** Stride, padding, ceil mode and countIncludePad, as avgPool2d takes them. */
  readonly poolOptions: Readonly<AvgPool2dOptions>;

  constructor(kernelSize: Size2d, options: AvgPool2dOptions = {}) {
    super();
    const { stride, padding, ceilMode, countIncludePad } = options;
    this.kernelSize = kernelSize;
    this.poolOptions = { stride, padding, ceilMode, countIncludePad };
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.poolOptions);
  }

  protected override extraRepr(): string {
    const { stride, padding = 0, ceilMode = false, countIncludePad = true } = this.poolOptions;
    return `kernelSize=${formatSize(this.kernelSize)}, stride=${formatSize(stride ?? this.kernelSize)}, padding=${formatSize(padding)}, ` +
      `ceilMode=${ceilMode}, countIncludePad=${countIncludePad}`;
  }
}
