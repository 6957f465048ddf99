// Nearest-neighbour upsampling by whole factors, as PyTorch's F.interpolate(mode='nearest') and
// nn.Upsample: each input value becomes a block of s1 x s2 (x s3) equal values. Written as a view
// [N, C, H, 1, W, 1] expanded to [N, C, H, sH, W, sW] and viewed as [N, C, H sH, W sW]: one strided
// copy forward, and a backward that is expand's, the exact sum of the gradient over each block.

import { composite } from '../autograd.js';
import { type Tensor, formatShape } from '../tensor.js';
import { expand, reshape } from '../ops/movement.js';
import { opError } from './common.js';
import { Module } from './module.js';

/** The interpolation modes: nearest neighbour only (PyTorch's default). */
export type InterpolateMode = 'nearest';

/** Options of {@link interpolate} and {@link Upsample}: exactly one of `size` and `scaleFactor`. */
export interface InterpolateOptions {
  /** The output's spatial size, a whole multiple of the input's: one number for every spatial dimension, or one each. */
  size?: number | readonly number[];
  /** A positive integer factor: one for every spatial dimension, or one each. */
  scaleFactor?: number | readonly number[];
  /** 'nearest' (the default and the one mode). */
  mode?: InterpolateMode;
}

/** The options' own checks, which need no input: a layer makes them when it is built. */
function checkOptions(op: string, { size, scaleFactor, mode = 'nearest' }: InterpolateOptions): void {
  if (mode !== 'nearest') throw new Error(`${op}: mode '${String(mode)}' is not supported (only 'nearest')`);
  if ((size === undefined) === (scaleFactor === undefined)) throw new Error(`${op}: give exactly one of size and scaleFactor`);
  const [name, value] = size === undefined ? ['scaleFactor', scaleFactor] : ['size', size];
  const values = typeof value === 'number' ? [value] : Array.isArray(value) ? value : [NaN];
  if (values.length === 0 || !values.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`${op}: ${name} must be a positive integer or a list of them (mode 'nearest' upsamples by whole factors), got ${formatValue(value)}`);
  }
}

function formatValue(value: unknown): string {
  return Array.isArray(value) ? formatShape(value as number[]) : String(value);
}

/** The whole factor of each spatial dimension of x for these options (checked). */
function scaleFactors(x: Tensor, options: InterpolateOptions): number[] {
  checkOptions('interpolate', options);
  if (x.rank < 3 || x.rank > 5) {
    throw opError('interpolate', `expected an input of shape [N, C, ...spatial] with 1 to 3 spatial dimensions, got rank ${x.rank}`, [x]);
  }
  const spatial = x.shape.slice(2);
  const perDimension = (name: string, value: number | readonly number[]) => {
    const values = typeof value === 'number' ? spatial.map(() => value) : [...value];
    if (values.length !== spatial.length) {
      throw opError('interpolate', `${name} ${formatShape(values)} must have one entry per spatial dimension (${spatial.length})`, [x]);
    }
    return values;
  };
  if (options.scaleFactor !== undefined) return perDimension('scaleFactor', options.scaleFactor);
  const size = perDimension('size', options.size!);
  const factors = size.map((s, i) => s / spatial[i]);
  if (!factors.every((f) => Number.isInteger(f) && f >= 1)) {
    throw opError('interpolate', `size ${formatShape(size)} must be a whole multiple of the input's spatial size ${formatShape(spatial)} (mode 'nearest' upsamples by whole factors)`, [x]);
  }
  return factors;
}

/**
 * Nearest-neighbour upsampling of x [N, C, ...spatial] (1 to 3 spatial dimensions, any dtype) by whole
 * factors, as PyTorch's F.interpolate(x, size, scale_factor, mode='nearest'): out[.., h, w] =
 * x[.., floor(h / sH), floor(w / sW)]. The gradient of each input value is the sum of its block's.
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  x.assertAlive('interpolate');
  const factors = scaleFactors(x, options);
  const [batch, channels, ...spatial] = x.shape;
  const blocks = spatial.flatMap((d) => [d, 1]);
  const filled = spatial.flatMap((d, i) => [d, factors[i]]);
  const outShape = [batch, channels, ...spatial.map((d, i) => d * factors[i])];
  return composite([x], () => reshape(expand(reshape(x, [batch, channels, ...blocks]), [batch, channels, ...filled]), outShape));
}

/** Nearest-neighbour upsampling by whole factors, as PyTorch's nn.Upsample (see functional.interpolate). */
export class Upsample extends Module {
  /** The output's spatial size, when given instead of scaleFactor. */
  readonly size: number | readonly number[] | undefined;
  /** The factor of each spatial dimension, when given instead of size. */
  readonly scaleFactor: number | readonly number[] | undefined;
  /** 'nearest'. */
  readonly mode: InterpolateMode;

  constructor(options: InterpolateOptions) {
    super();
    checkOptions('Upsample', options);
    this.size = typeof options.size === 'object' ? [...options.size] : options.size;
    this.scaleFactor = typeof options.scaleFactor === 'object' ? [...options.scaleFactor] : options.scaleFactor;
    this.mode = options.mode ?? 'nearest';
  }

  forward(x: Tensor): Tensor {
    return interpolate(x, { size: this.size, scaleFactor: this.scaleFactor, mode: this.mode });
  }

  protected override extraRepr(): string {
    const setting = this.size === undefined ? `scaleFactor=${formatValue(this.scaleFactor)}` : `size=${formatValue(this.size)}`;
    return `${setting}, mode='${this.mode}'`;
  }
}
