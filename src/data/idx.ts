// The IDX file format of MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number (two zero
// bytes, a dtype code, the rank), then `rank` big-endian u32 dimensions, then the values in row-major
// order, big-endian. parseIdx turns the bytes into a shape and a typed array.

/** The element types an IDX file can hold. */
export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
/** The typed array for each IDX dtype. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX file. */
export interface IdxArray {
  /** The element type the file declares. */
  dtype: IdxDtype;
  /** The dimensions (the first one cut to `limit` when given). */
  shape: number[];
  /** The values, row-major. For u8 files this is a view of the input bytes (no copy). */
  data: IdxData;
}

/** The start of an IDX file: dtype, dimensions and where the values begin. */
export interface IdxHeader {
  /** The element type the file declares. */
  dtype: IdxDtype;
  /** The dimensions as written in the file. */
  shape: number[];
  /** Where the values start. */
  dataOffset: number;
  /** Bytes per value. */
  itemBytes: number;
}

const dtypeCodes: Record<number, { dtype: IdxDtype; itemBytes: number }> = {
  0x08: { dtype: 'u8', itemBytes: 1 },
  0x09: { dtype: 'i8', itemBytes: 1 },
  0x0b: { dtype: 'i16', itemBytes: 2 },
  0x0c: { dtype: 'i32', itemBytes: 4 },
  0x0d: { dtype: 'f32', itemBytes: 4 },
  0x0e: { dtype: 'f64', itemBytes: 8 },
};

const hex = (value: number, digits: number) => `0x${value.toString(16).padStart(digits, '0')}`;

/** Reads the magic number and the dimensions; needs only the first 4 + 4 * rank bytes. */
export function parseIdxHeader(bytes: Uint8Array): IdxHeader {
  if (bytes.length < 4) throw new Error(`parseIdx: truncated header: ${bytes.length} bytes, an IDX file starts with a 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new Error(`parseIdx: bad magic ${hex(magic, 8)}: the data is gzip-compressed (an .idx.gz file); decompress it first`);
  }
  const type = dtypeCodes[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type) {
    throw new Error(
      `parseIdx: bad magic ${hex(magic, 8)}: an IDX file starts with two zero bytes, a dtype code ` +
        `(0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64) and the rank, e.g. 0x00000803`,
    );
  }
  const rank = bytes[3];
  const dataOffset = 4 + 4 * rank;
  if (bytes.length < dataOffset) {
    throw new Error(`parseIdx: truncated header: rank ${rank} needs ${dataOffset} header bytes, got ${bytes.length}`);
  }
  const shape: number[] = [];
  for (let axis = 0; axis < rank; axis++) shape.push(view.getUint32(4 + 4 * axis));
  return { dtype: type.dtype, shape, dataOffset, itemBytes: type.itemBytes };
}

/** Bytes needed for the header and the first `limit` entries along the first dimension. */
export function idxByteLength(header: IdxHeader, limit = Infinity): number {
  return header.dataOffset + limitedShape(header.shape, limit).reduce((n, d) => n * d, 1) * header.itemBytes;
}

function limitedShape(shape: readonly number[], limit: number): number[] {
  return shape.length === 0 ? [] : [Math.min(shape[0], limit), ...shape.slice(1)];
}

/** Options of `parseIdx`. */
export interface ParseIdxOptions {
  /** Keep only the first `limit` entries along the first dimension (later bytes may be absent). */
  limit?: number;
}

/** Parses an IDX file: `{dtype, shape, data}` with multi-byte values converted from big-endian. */
export function parseIdx(bytes: Uint8Array, options: ParseIdxOptions = {}): IdxArray {
  const limit = options.limit ?? Infinity;
  if (!(limit >= 0) || (Number.isFinite(limit) && !Number.isInteger(limit))) {
    throw new Error(`parseIdx: limit must be an integer >= 0, got ${limit}`);
  }
  const header = parseIdxHeader(bytes);
  const shape = limitedShape(header.shape, limit);
  const count = shape.reduce((n, d) => n * d, 1);
  const needed = header.dataOffset + count * header.itemBytes;
  const described = `shape [${header.shape.join(', ')}] ${header.dtype}`;
  if (bytes.length < needed) {
    throw new Error(`parseIdx: truncated data: ${described}${shape[0] !== header.shape[0] ? ` (first ${shape[0]})` : ''} needs ${needed} bytes, got ${bytes.length}`);
  }
  if (options.limit === undefined && bytes.length > needed) {
    throw new Error(`parseIdx: ${bytes.length - needed} unexpected bytes after the data of ${described} (${needed} bytes expected)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, count * header.itemBytes);
  return { dtype: header.dtype, shape, data: readValues(header.dtype, view, count, bytes, header.dataOffset) };
}

/** The multi-byte element types: their array type and big-endian reader (IDX stores MSB first). */
const MULTI_BYTE = {
  i16: { array: Int16Array, read: (view: DataView, i: number) => view.getInt16(2 * i) },
  i32: { array: Int32Array, read: (view: DataView, i: number) => view.getInt32(4 * i) },
  f32: { array: Float32Array, read: (view: DataView, i: number) => view.getFloat32(4 * i) },
  f64: { array: Float64Array, read: (view: DataView, i: number) => view.getFloat64(8 * i) },
} as const;

function readValues(dtype: IdxDtype, view: DataView, count: number, bytes: Uint8Array, offset: number): IdxData {
  if (dtype === 'u8') return bytes.subarray(offset, offset + count);
  if (dtype === 'i8') return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count);
  const { array, read } = MULTI_BYTE[dtype];
  const out = new array(count);
  for (let i = 0; i < count; i++) out[i] = read(view, i);
  return out;
}
