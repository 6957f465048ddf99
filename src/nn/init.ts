/**
 * Weight initializers, as torch.nn.init: each fills a tensor in place (a parameter keeps its
 * identity, so an optimizer holding it is unaffected) from a seeded GPU draw and returns it. Pass
 * `generator` for a stream of your own; otherwise the default generator (gg.manualSeed) is used.
 *
 * Fans follow PyTorch: for a weight of shape [out, in, ...kernel], fanIn = in * prod(kernel) and
 * fanOut = out * prod(kernel) (so a Linear weight [out, in] has fanIn = in, and a ConvTranspose2d
 * weight [in, out / groups, kH, kW] has fanIn = out / groups * kH * kW, as in PyTorch).
 *
 * @module
 */

import { noGrad } from '../autograd.js';
import { Tensor, formatShape } from '../tensor.js';
import { full } from '../ops/creation.js';
import { normal as drawNormal, uniform as drawUniform, type Generator } from '../ops/random.js';
import { assertDtype } from '../ops/shape.js';

/** Options of every random initializer. */
export interface InitOptions {
  /** The stream to draw from (default: the default generator, seeded by `manualSeed`). */
  generator?: Generator;
}

/** torch.nn.init's nonlinearity names, camelCased. */
export type Nonlinearity = 'linear' | 'conv2d' | 'convTranspose2d' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

/** Which fan sets the scale: fanIn keeps the forward pass's variance, fanOut the backward pass's. */
export type FanMode = 'fanIn' | 'fanOut';

/** Options of the Kaiming/He initializers. */
export interface KaimingOptions extends InitOptions {
  /** The negative slope of the leaky ReLU that follows (default 0). */
  a?: number;
  /** Which fan scales the draw (default 'fanIn'). */
  mode?: FanMode;
  /** Default 'leakyRelu' (with a = 0, the ReLU gain sqrt(2)), as PyTorch. */
  nonlinearity?: Nonlinearity;
}

/** Options of the Xavier/Glorot initializers. */
export interface XavierOptions extends InitOptions {
  /** Multiplies the standard deviation (default 1; see `calculateGain`). */
  gain?: number;
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain); `param` is leakyRelu's slope (default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv2d':
    case 'convTranspose2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new Error(`calculateGain: the negative slope must be a finite number, got ${slope}`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

/** fanIn and fanOut of a weight of shape [out, in, ...kernel] (rank >= 2). */
export function calculateFans(t: Tensor): {
  /** in * prod(kernel). */
  fanIn: number;
  /** out * prod(kernel). */
  fanOut: number;
} {
  if (t.rank < 2) {
    throw new Error(`calculateFans: fans need a tensor of rank >= 2 ([out, in, ...kernel]), got ${formatShape(t.shape)} ${t.dtype}`);
  }
  const receptiveField = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptiveField, fanOut: t.shape[0] * receptiveField };
}

/** Copies a fresh draw of t's shape into t (nothing to draw for an empty tensor). */
function fillWith(op: string, t: Tensor, draw: () => Tensor): Tensor {
  t.assertAlive(op);
  assertDtype(op, t, ['f32']);
  if (t.size === 0) return t;
  noGrad(() => {
    const values = draw();
    t.assign(values);
    values.dispose();
  });
  return t;
}

/** Uniform in [low, high). */
export function uniform(t: Tensor, low = 0, high = 1, options: InitOptions = {}): Tensor {
  if (low === high) return constant(t, low);
  return fillWith('init.uniform', t, () => drawUniform(t.shape, low, high, options));
}

/** Normal with the given mean and standard deviation. */
export function normal(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  return fillWith('init.normal', t, () => drawNormal(t.shape, mean, std, options));
}

/** Fills t with `value` in place and returns it. */
export function constant(t: Tensor, value: number): Tensor {
  return fillWith('init.constant', t, () => full(t.shape, value));
}

/** Fills t with 0 in place and returns it. */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/** Fills t with 1 in place and returns it. */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** The standard deviation of Xavier/Glorot: gain * sqrt(2 / (fanIn + fanOut)). */
function xavierStd(op: string, t: Tensor, gain: number): number {
  if (!Number.isFinite(gain) || gain < 0) throw new Error(`${op}: gain must be a finite number >= 0, got ${gain}`);
  const { fanIn, fanOut } = calculateFans(t);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** Xavier/Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform(t: Tensor, options: XavierOptions = {}): Tensor {
  const bound = Math.sqrt(3) * xavierStd('init.xavierUniform', t, options.gain ?? 1);
  return uniform(t, -bound, bound, options);
}

/** Xavier/Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, options: XavierOptions = {}): Tensor {
  return normal(t, 0, xavierStd('init.xavierNormal', t, options.gain ?? 1), options);
}

/** The standard deviation of Kaiming/He: gain / sqrt(fan). */
function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  const mode = options.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new Error(`${op}: mode must be 'fanIn' or 'fanOut', got '${String(mode)}'`);
  const { fanIn, fanOut } = calculateFans(t);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  if (fan === 0) throw new Error(`${op}: ${mode} of ${formatShape(t.shape)} is 0`);
  return calculateGain(options.nonlinearity ?? 'leakyRelu', options.a ?? 0) / Math.sqrt(fan);
}

/** Kaiming/He uniform: U(-b, b) with b = gain * sqrt(3 / fan). PyTorch's Linear and Conv2d use it with a = sqrt(5). */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('init.kaimingUniform', t, options);
  return uniform(t, -bound, bound, options);
}

/** Kaiming/He normal: N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd('init.kaimingNormal', t, options), options);
}
