// Tensors to and from safetensors bytes: serialize() reads every tensor back from the GPU in one
// batched read, laid out on the GPU exactly as the file's data section; loadTensors() parses a file and
// uploads each tensor, converting the dtypes gengpu does not hold (F16, BF16, F64, I64, ...) to one it does.

import { runtime } from '../context.js';
import { tensor } from '../ops/creation.js';
import { Tensor, formatShape, type DType, type TypedArray } from '../tensor.js';
import { deserialize, planLayout, setEntry, type HostTensor, type PlannedTensor, type SafetensorsDtype } from './format.js';

const fileDtypeOf: Record<DType, SafetensorsDtype> = { f32: 'F32', i32: 'I32', u32: 'U32' };

/** The gengpu dtype each loadable file dtype becomes; the others cannot be loaded. */
const engineDtypeOf: Partial<Record<SafetensorsDtype, DType>> = {
  F32: 'f32', F16: 'f32', BF16: 'f32', F64: 'f32',
  I32: 'i32', I64: 'i32', I16: 'i32', I8: 'i32', U16: 'i32', U8: 'i32', BOOL: 'i32',
  U32: 'u32', U64: 'u32',
};

/** The dtype a tensor of this file dtype has once loaded, or null when gengpu cannot hold it. */
export function loadedDtype(dtype: SafetensorsDtype): DType | null {
  return engineDtypeOf[dtype] ?? null;
}

/**
 * Writes tensors as a safetensors file. Every tensor is copied into one GPU buffer laid out like the
 * data section and read back at once (one read per `maxBufferSize` bytes, so one for any usual model).
 * All GPU work is recorded before this returns, so the tensors may be disposed right after the call
 * (for instance by the scope() it was called in); only the wait for the bytes is asynchronous.
 */
export function serialize(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array<ArrayBuffer>> {
  const byName = new Map<string, Tensor>();
  for (const [name, t] of Object.entries(tensors)) {
    if (!(t instanceof Tensor)) throw new Error(`serialize: ${JSON.stringify(name)} is not a Tensor (got ${Object.prototype.toString.call(t)})`);
    t.assertAlive(`serialize (tensor ${JSON.stringify(name)})`);
    byName.set(name, t);
  }
  const layout = planLayout('serialize', [...byName].map(([name, t]) => ({ name, dtype: fileDtypeOf[t.dtype], shape: t.shape })), metadata);
  const chunks = chunksOfAtMost(layout.tensors, runtime().device.limits.maxBufferSize);
  const reads = chunks.map((chunk) => readChunk(chunk, byName));
  return (async () => {
    const out = new Uint8Array(layout.header.length + layout.dataBytes);
    out.set(layout.header);
    const chunkBytes = await Promise.all(reads);
    chunks.forEach((chunk, i) => out.set(chunkBytes[i], layout.header.length + chunk[0].begin));
    return out;
  })();
}

/** Consecutive runs of tensors whose bytes together fit in one GPU buffer of `maxBytes`. */
export function chunksOfAtMost(tensors: PlannedTensor[], maxBytes: number): PlannedTensor[][] {
  const chunks: PlannedTensor[][] = [];
  let current: PlannedTensor[] = [];
  for (const t of tensors) {
    if (t.end === t.begin) continue;
    if (current.length > 0 && t.end - current[0].begin > maxBytes) {
      chunks.push(current);
      current = [];
    }
    current.push(t);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Gathers a run of tensors into one buffer on the GPU and starts reading it back: the copies and the
 * read are recorded and submitted now, and the returned promise gives the bytes.
 */
function readChunk(chunk: PlannedTensor[], byName: Map<string, Tensor>): Promise<Uint8Array> {
  const rt = runtime();
  const start = chunk[0].begin;
  const bytes = chunk[chunk.length - 1].end - start;
  const gathered = rt.device.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: 'serialize' });
  for (const t of chunk) rt.copy(byName.get(t.name)!.buffer, 0, gathered, t.begin - start, t.end - t.begin);
  return rt
    .read(gathered, 0, bytes)
    .then((data) => new Uint8Array(data))
    .finally(() => gathered.destroy());
}

/** Parses a safetensors file and uploads every tensor (see `toLoadable` for the dtype conversions). */
export function loadTensors(bytes: Uint8Array): Record<string, Tensor> {
  const file = deserialize(bytes);
  const loadable = Object.entries(file.tensors).map(([name, host]) => [name, toLoadable('loadTensors', name, host)] as const);
  return upload(loadable);
}

/** Uploads converted tensors; if one fails, the ones already made are disposed before the error goes on. */
export function upload(tensors: readonly (readonly [string, LoadableTensor])[]): Record<string, Tensor> {
  const made: Record<string, Tensor> = {};
  try {
    for (const [name, { dtype, shape, values }] of tensors) setEntry(made, name, tensor(values, shape, { dtype }));
  } catch (error) {
    for (const t of Object.values(made)) t.dispose();
    throw error;
  }
  return made;
}

/** A file tensor converted to a gengpu dtype, ready to upload (`toLoadable`). */
export interface LoadableTensor {
  /** The gengpu dtype it converts to. */
  dtype: DType;
  /** Dimensions, outermost first. */
  shape: readonly number[];
  /** The converted values, row-major. */
  values: TypedArray;
}

/**
 * A file tensor's values as a gengpu dtype: F32, I32 and U32 as they are; F16, BF16 and F64 to f32
 * (F16/BF16 exactly, NaN payloads kept; F64 rounded to nearest); I64 to i32 and U64 to u32 when every
 * value fits, and the smaller integers and BOOL to i32. Other dtypes (8-bit and packed floats, C64) are
 * an error naming the tensor.
 */
export function toLoadable(op: string, name: string, { dtype, shape, data }: HostTensor): LoadableTensor {
  const target = loadedDtype(dtype);
  if (target === null) {
    const supported = Object.keys(engineDtypeOf).join(', ');
    throw new Error(`${op}: tensor ${JSON.stringify(name)} ${formatShape(shape)} has dtype ${dtype}, which gengpu cannot load (supported: ${supported})`);
  }
  switch (dtype) {
    case 'F32':
    case 'I32':
    case 'U32':
      return { dtype: target, shape, values: data as TypedArray };
    case 'F16':
      return { dtype: target, shape, values: mapBits(data as Uint16Array, f16ToF32Bits()) };
    case 'BF16':
      return { dtype: target, shape, values: bf16ToF32(data as Uint16Array) };
    case 'F64':
      return { dtype: target, shape, values: Float32Array.from(data as Float64Array) };
    case 'I64':
    case 'U64':
      return { dtype: target, shape, values: narrow64(op, name, shape, data as BigInt64Array | BigUint64Array, dtype) };
    default:
      return { dtype: target, shape, values: Int32Array.from(data as Uint8Array | Int8Array | Uint16Array | Int16Array) };
  }
}

/** f32 values whose bit patterns come from a table indexed by 16-bit patterns. */
function mapBits(halves: Uint16Array, table: Uint32Array): Float32Array {
  const bits = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) bits[i] = table[halves[i]];
  return new Float32Array(bits.buffer);
}

/** BF16 is the top half of an f32: shifting the bits up is exact. */
function bf16ToF32(halves: Uint16Array): Float32Array {
  const bits = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  return new Float32Array(bits.buffer);
}

let f16Table: Uint32Array | null = null;

/** The f32 bit pattern of every IEEE half (65536 entries, built on first use). */
function f16ToF32Bits(): Uint32Array {
  if (f16Table) return f16Table;
  f16Table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0x1f) {
      f16Table[h] = sign | 0x7f800000 | (mantissa << 13); // infinity, or NaN with its payload
    } else if (exponent > 0) {
      f16Table[h] = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    } else if (mantissa === 0) {
      f16Table[h] = sign; // signed zero
    } else {
      // A subnormal half, mantissa * 2^-24: normalise it, as every f32 of that size is normal.
      let e = 127 - 14;
      let m = mantissa;
      while ((m & 0x400) === 0) {
        m <<= 1;
        e--;
      }
      f16Table[h] = sign | (e << 23) | ((m & 0x3ff) << 13);
    }
  }
  return f16Table;
}

/**
 * 64-bit integers to 32 bits, checked: I64 fits in i32 when the high word is the sign extension of
 * the low one; U64 fits in u32 when the high word is 0. Read as 32-bit words, so no BigInt per value.
 */
function narrow64(op: string, name: string, shape: readonly number[], data: BigInt64Array | BigUint64Array, dtype: 'I64' | 'U64'): Int32Array | Uint32Array {
  const words = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
  const out = dtype === 'I64' ? new Int32Array(data.length) : new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const low = words[2 * i];
    const high = words[2 * i + 1];
    if (high !== (dtype === 'I64' ? low >> 31 : 0)) {
      const range = dtype === 'I64' ? 'i32 [-2147483648, 2147483647]' : 'u32 [0, 4294967295]';
      throw new Error(`${op}: tensor ${JSON.stringify(name)} ${formatShape(shape)} ${dtype} holds ${data[i]} at flat index ${i}, outside ${range}`);
    }
    out[i] = low;
  }
  return out;
}
