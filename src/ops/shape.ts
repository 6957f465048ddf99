// Shape arithmetic shared by the ops: broadcasting, strides, axis normalisation, and the
// descriptive errors that name the op, the shapes and what was expected.

import { formatShape, type DType, type Tensor } from '../tensor.js';

/** Kernels take shapes and strides as two vec4s, so ranks above 8 are rejected up front. */
export const MAX_RANK = 8;

export function describe(t: Tensor): string {
  return `${formatShape(t.shape)} ${t.dtype}`;
}

/** Throws `op: message (inputs: ...)` naming every input's shape and dtype. */
export function opError(op: string, message: string, inputs: Tensor[] = []): Error {
  const detail = inputs.length ? ` (inputs: ${inputs.map(describe).join(', ')})` : '';
  return new Error(`${op}: ${message}${detail}`);
}

/** The element types a tensor can have (see DType). */
export const DTYPES: readonly DType[] = ['f32', 'i32', 'u32'];

const dtypeAliases: Record<string, DType> = { float32: 'f32', float: 'f32', int32: 'i32', int: 'i32', uint32: 'u32' };

/** Throws unless `dtype` is 'f32', 'i32' or 'u32': checked where a dtype enters, before any kernel is built for it. */
export function checkDtype(op: string, dtype: unknown): asserts dtype is DType {
  if (typeof dtype === 'string' && (DTYPES as readonly string[]).includes(dtype)) return;
  const shown = typeof dtype === 'string' ? `'${dtype}'` : String(dtype);
  const alias = typeof dtype === 'string' ? dtypeAliases[dtype.toLowerCase()] : undefined;
  const hint = alias ? ` (did you mean '${alias}'?)` : '';
  throw new Error(`${op}: unknown dtype ${shown}${hint}; the dtypes are ${DTYPES.map((d) => `'${d}'`).join(', ')}`);
}

/** A shape argument as error messages show it, whatever it is. */
function shownShape(shape: unknown): string {
  return Array.isArray(shape) ? `[${shape.map(String).join(', ')}]` : typeof shape === 'string' ? `'${shape}'` : String(shape);
}

/** Throws unless `shape` is an array of integers >= 0: checked where a shape enters, before anything is allocated. */
export function checkShape(op: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${op}: shape must be a list of integers >= 0, got ${shownShape(shape)}`);
  }
}

export function assertDtype(op: string, t: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw opError(op, `expected dtype ${allowed.join(' or ')}, got ${t.dtype}`, [t]);
  }
}

export function assertSameDtype(op: string, tensors: Tensor[]): void {
  const first = tensors[0].dtype;
  if (tensors.some((t) => t.dtype !== first)) {
    throw opError(op, `dtypes differ; cast one with .to(dtype) first`, tensors);
  }
}

export function assertRank(op: string, t: Tensor): void {
  if (t.rank > MAX_RANK) throw opError(op, `rank ${t.rank} exceeds the supported maximum of ${MAX_RANK}`, [t]);
}

/** Contiguous (row-major) strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** The NumPy broadcast of several shapes, or an error naming the op and the shapes. */
export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const e = s[s.length - rank + i] ?? 1;
      if (e === d || e === 1) continue;
      if (d !== 1) {
        throw new Error(`${op}: shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast together (dimension ${i} from the right-aligned shapes: ${d} vs ${e})`);
      }
      d = e;
    }
    out.push(d);
  }
  return out;
}

/** Strides to read a tensor of `shape` as if broadcast to `outShape` (0 on broadcast dimensions). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]));
}

/** Maps a possibly negative axis into [0, rank), or throws naming the op and the shape. */
export function normalizeAxis(op: string, axis: number, rank: number, shape: readonly number[]): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new Error(`${op}: axis ${axis} is out of range for shape ${formatShape(shape)} (rank ${rank})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalises an axis list (undefined = all axes), rejecting duplicates. Returns sorted axes. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, shape: readonly number[]): number[] {
  const rank = shape.length;
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const normalized = list.map((a) => normalizeAxis(op, a, rank, shape));
  if (new Set(normalized).size !== normalized.length) {
    throw new Error(`${op}: repeated axis in [${list.join(', ')}] for shape ${formatShape(shape)}`);
  }
  return normalized.sort((a, b) => a - b);
}

/** Workgroup counts for a 1-D launch of `n` invocations, folded into 2-D past 65535 workgroups. */
export function grid1d(n: number, workgroupSize = 256): [number, number] {
  const groups = Math.max(1, Math.ceil(n / workgroupSize));
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Merges adjacent dimensions that every operand walks contiguously (stride[i] = stride[i+1] *
 * shape[i+1]) and drops size-1 dimensions, so broadcasting kernels do less index arithmetic:
 * [8, 16, 32] + [32] becomes [128, 32] with strides [32, 1] and [0, 1]. Keeps at least one dimension.
 */
export function collapseDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][last] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}
