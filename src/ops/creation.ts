// Creating tensors: from JS arrays (one upload), or filled on the GPU (zeros, ones, full, arange,
// linspace) so that no JS array is built and no upload interrupts the pending command batch.

import { runtime } from '../context.js';
import { Tensor, dtypeArray, formatShape, shapeSize, type DType, type NestedArray, type TypedArray } from '../tensor.js';
import { checkDtype, checkShape, grid1d } from './shape.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** Options of the creation functions. */
export interface CreateOptions {
  /**
   * Element type; by default inferred from the data (typed arrays keep theirs, numbers give f32), f32 for
   * fills, and i32 for an `arange` of integers.
   */
  dtype?: DType;
  /** Mark the new tensor as a leaf that requires grad (ignored by `arange` and `linspace`). */
  requiresGrad?: boolean;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function flatten(data: NestedArray, shape: number[], out: number[], depth = 0): void {
  if (depth === shape.length) {
    if (typeof data !== 'number') throw new Error(`tensor: ragged nested array (expected shape ${formatShape(shape)})`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new Error(`tensor: ragged nested array (expected shape ${formatShape(shape)}, a row at depth ${depth} differs)`);
  }
  for (const item of data) flatten(item, shape, out, depth + 1);
}

function dtypeOf(data: TypedArray | NestedArray): DType {
  if (data instanceof Int32Array) return 'i32';
  if (data instanceof Uint32Array) return 'u32';
  return 'f32';
}

/**
 * A tensor from a number, nested arrays, or a typed array (then `shape` is required unless 1-D).
 * `tensor([[1, 2], [3, 4]])`, `tensor(new Float32Array(6), [2, 3])`.
 */
export function tensor(data: NestedArray | TypedArray, shapeOrOptions?: readonly number[] | CreateOptions, maybeOptions: CreateOptions = {}): Tensor {
  const options = Array.isArray(shapeOrOptions) || ArrayBuffer.isView(shapeOrOptions) ? maybeOptions : ((shapeOrOptions as CreateOptions) ?? {});
  const dtype = options.dtype ?? dtypeOf(data);
  checkDtype('tensor', dtype);
  let shape: number[];
  let values: TypedArray;
  if (ArrayBuffer.isView(data)) {
    if (Array.isArray(shapeOrOptions)) checkShape('tensor', shapeOrOptions);
    shape = Array.isArray(shapeOrOptions) ? [...shapeOrOptions] : [data.length];
    if (shapeSize(shape) !== data.length) {
      throw new Error(`tensor: ${data.length} values do not fill shape ${formatShape(shape)} (${shapeSize(shape)} elements)`);
    }
    if (data.constructor === dtypeArray[dtype]) values = data;
    else {
      checkIntegers(dtype, data);
      values = dtypeArray[dtype].from(data);
    }
  } else {
    shape = inferShape(data);
    if (Array.isArray(shapeOrOptions)) {
      throw new Error('tensor: a shape argument is only for typed arrays; nested arrays carry their own shape');
    }
    const flat: number[] = [];
    flatten(data, shape, flat);
    checkIntegers(dtype, flat);
    values = dtypeArray[dtype].from(flat);
  }
  const t = Tensor.empty(shape, dtype);
  if (values.length > 0) runtime().write(t.buffer, values);
  if (options.requiresGrad) t.requiresGrad_();
  return t;
}

/**
 * Throws unless every value fits an integer dtype exactly: an i32 or u32 tensor (class labels, token ids,
 * indices) made from 1.5, NaN or 2^32 would otherwise hold a silently truncated or wrapped number.
 */
function checkIntegers(dtype: DType, values: ArrayLike<number>): void {
  if (dtype === 'f32') return;
  const [low, high] = dtype === 'i32' ? [-(2 ** 31), 2 ** 31] : [0, 2 ** 32];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(Number.isInteger(v) && v >= low && v < high)) {
      throw new Error(`tensor: value ${v} at flat position ${i} does not fit dtype ${dtype} (integers in [${low}, ${high}))`);
    }
  }
}

function fillKernel(op: string, shape: readonly number[], dtype: DType, entryPoint: 'fill' | 'arange', value: number, start: number, step: number): Tensor {
  // Checked before anything is allocated or compiled: a bad shape leaks nothing, a bad dtype builds no kernel.
  checkShape(op, shape);
  checkDtype(op, dtype);
  const out = Tensor.empty(shape, dtype, op);
  if (out.size === 0) return out;
  runtime().dispatch({
    shader: wgsl.fill,
    entryPoint,
    template: { T: dtype },
    params: { n: out.size, value, start, step },
    buffers: { out: out.buffer },
    workgroups: grid1d(out.size),
  });
  return out;
}

/**
 * A 0-d f32 tensor holding `value()`, which a replayed step (gg.capture) calls again and writes at each
 * replay: how a number that changes from step to step (a decay ramp, a schedule) reaches kernels that a
 * captured step replays, where a scalar argument would be frozen.
 */
export function stepScalar(value: () => number): Tensor {
  const out = Tensor.empty([], 'f32', 'stepScalar');
  // The buffer, not the tensor: a replay runs this after the step's scope freed the tensor.
  const buffer = out.buffer;
  runtime().replayable(() =>
    runtime().dispatch({ shader: wgsl.fill, entryPoint: 'fill', template: { T: 'f32' }, params: { n: 1, value: value(), start: 0, step: 0 }, buffers: { out: buffer }, workgroups: grid1d(1) }),
  );
  return out;
}

/** A filled tensor; `op` is the creation function the caller called, for its errors. */
function filled(op: string, shape: readonly number[], value: number, options: CreateOptions): Tensor {
  const t = fillKernel(op, shape, options.dtype ?? 'f32', 'fill', value, 0, 0);
  if (options.requiresGrad) t.requiresGrad_();
  return t;
}

/** A tensor of `shape` with every element `value`. */
export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  return filled('full', shape, value, options);
}

/** A tensor of `shape` filled with 0 (f32 unless `dtype` says otherwise). */
export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return filled('zeros', shape, 0, options);
}

/** A tensor of `shape` filled with 1 (f32 unless `dtype` says otherwise). */
export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return filled('ones', shape, 1, options);
}

/** A tensor with `t`'s shape and dtype (unless overridden) filled with `value`. */
export function fullLike(t: Tensor, value: number, options: CreateOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...options });
}

/** A tensor with `t`'s shape and dtype filled with 0. */
export function zerosLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return fullLike(t, 0, options);
}

/** A tensor with `t`'s shape and dtype filled with 1. */
export function onesLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return fullLike(t, 1, options);
}

/** start, start + step, ... up to but excluding `end` (as NumPy). `arange(5)` is 0..4. */
export function arange(startOrEnd: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  const [start, stop] = end === undefined ? [0, startOrEnd] : [startOrEnd, end];
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a finite non-zero number, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(stop)) throw new Error(`arange: start and end must be finite numbers, got start ${start} and end ${stop}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const allInts = [start, stop, step].every(Number.isInteger);
  return fillKernel('arange', [n], options.dtype ?? (allInts ? 'i32' : 'f32'), 'arange', 0, start, step);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be an integer >= 0, got ${steps}`);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  return fillKernel('linspace', [steps], options.dtype ?? 'f32', 'arange', 0, start, step);
}
