// The safetensors file format in plain JS, with no GPU: parsing and writing exactly as the reference
// implementation (huggingface/safetensors) does.
//
//   [N: u64 little-endian][N bytes of UTF-8 JSON, padded with spaces to a multiple of 8][data section]
//
// The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (byte offsets into
// the data section) and may hold "__metadata__": {string: string}. A file is valid when the tensors,
// sorted by offset, tile the data section exactly: each begins where the previous one ends, holds
// product(shape) * dtype size bytes, and the last ends at the end of the file. Data is little-endian,
// row-major; typed arrays use the host's byte order, which is little-endian wherever WebGPU runs.

/** Every dtype of the format, in the reference's order (by alignment), which also orders tensors on write. */
export const safetensorsDtypes = [
  'BOOL', 'F4', 'F6_E2M3', 'F6_E3M2', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0',
  'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64',
] as const;
/** A dtype name as safetensors writes it ('F32', 'I64', 'BF16', ...). */
export type SafetensorsDtype = (typeof safetensorsDtypes)[number];

/** The arrays that hold a tensor's values in JS (see `hostArrayTypes` for which dtype gets which). */
export type HostArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;
type HostArrayConstructor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): HostArray; BYTES_PER_ELEMENT: number };

/** Bits per element of each dtype. */
export const dtypeBits: Record<SafetensorsDtype, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
};

/**
 * The JS array for each dtype's raw data. Types JS has no array for keep their bits: F16 and BF16 as
 * Uint16Array, the 8-bit floats and BOOL as Uint8Array, the packed sub-byte floats (F4, F6_*) as their
 * bytes, C64 as interleaved (real, imaginary) Float32Array pairs.
 */
export const hostArrayTypes: Record<SafetensorsDtype, HostArrayConstructor> = {
  BOOL: Uint8Array, F4: Uint8Array, F6_E2M3: Uint8Array, F6_E3M2: Uint8Array, U8: Uint8Array, I8: Int8Array,
  F8_E5M2: Uint8Array, F8_E4M3: Uint8Array, F8_E8M0: Uint8Array, I16: Int16Array, U16: Uint16Array,
  F16: Uint16Array, BF16: Uint16Array, I32: Int32Array, U32: Uint32Array, F32: Float32Array,
  C64: Float32Array, F64: Float64Array, I64: BigInt64Array, U64: BigUint64Array,
};

/** The reference refuses headers above 100 MB, and so do we (reading and writing). */
export const MAX_HEADER_BYTES = 100_000_000;
/**
 * The most tensors one file may list. The header cap alone admits 1.5 million tiny entries, whose
 * parsing and uploading would take minutes and gigabytes; real checkpoints list hundreds to thousands.
 */
export const MAX_TENSORS = 100_000;
/**
 * How deep a header's JSON may nest: the reference's JSON parser (serde_json) stops at 128 levels, and
 * so do we, before anything recurses into it (a header itself needs 3; extra fields may nest more).
 */
const MAX_HEADER_DEPTH = 128;
const METADATA_KEY = '__metadata__';

/** A tensor in JS memory: what deserialize() returns and serializeArrays() takes. */
export interface HostTensor {
  /** The element type. */
  dtype: SafetensorsDtype;
  /** Dimensions, outermost first. */
  shape: readonly number[];
  /** The values, row-major, in the array type `hostArrayTypes` gives for the dtype. */
  data: HostArray;
}

/** One header entry: where a tensor's bytes lie in the data section. */
export interface TensorInfo {
  /** The element type. */
  dtype: SafetensorsDtype;
  /** Dimensions, outermost first. */
  shape: number[];
  /** Byte range [begin, end) in the data section (the file's `data_offsets`). */
  dataOffsets: [begin: number, end: number];
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  /** Bytes of JSON (padding included) between the 8-byte length and the data section. */
  headerBytes: number;
  /** Tensor entries in the order the JSON lists them. */
  tensors: Record<string, TensorInfo>;
  /** The `__metadata__` strings ({} when the file has none). */
  metadata: Record<string, string>;
}

/** A whole parsed safetensors file, as `deserialize` returns it. */
export interface SafetensorsFile {
  /** The parsed header. */
  header: SafetensorsHeader;
  /** The `__metadata__` strings (the header's, repeated for convenience; {} when none). */
  metadata: Record<string, string>;
  /** The values; each array views `bytes` without a copy where its alignment allows, else is a copy. */
  tensors: Record<string, HostTensor>;
}

/** The reference's error names, plus DuplicateKey and InvalidDtype, which it reports as bad JSON. */
export type SafetensorsErrorCode =
  | 'HeaderTooSmall' | 'HeaderTooLarge' | 'InvalidHeaderLength' | 'InvalidHeader' | 'InvalidHeaderStart'
  | 'InvalidHeaderDeserialization' | 'DuplicateKey' | 'InvalidDtype' | 'InvalidOffset' | 'TensorInvalidInfo'
  | 'MisalignedSlice' | 'ValidationOverflow' | 'MetadataIncompleteBuffer';

/** A file that is not valid safetensors; `code` says which rule it breaks. */
export class SafetensorsError extends Error {
  /** Which rule of the format the file breaks. */
  readonly code: SafetensorsErrorCode;
  /** Always 'SafetensorsError'. */
  override readonly name = 'SafetensorsError';
  constructor(code: SafetensorsErrorCode, message: string) {
    super(`safetensors: ${message} (${code})`);
    this.code = code;
  }
}

// ---- reading ---------------------------------------------------------------------------------------

/**
 * Parses and validates the header of a safetensors file (the data section is checked for size only).
 * `bytes` is the file, or its start up to the end of the header when `fileBytes` gives the whole
 * file's size; with `fileBytes` null (a stream of unknown length) the tensors are checked to tile
 * the data section but not to end where the file ends: the reader checks that when it gets there.
 */
export function readHeader(bytes: Uint8Array, fileBytes: number | null = bytes.length): SafetensorsHeader {
  if (bytes.length < 8) {
    throw new SafetensorsError('HeaderTooSmall', `the file has ${bytes.length} bytes; it must start with an 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const headerBytes = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  if (headerBytes > MAX_HEADER_BYTES) {
    throw new SafetensorsError('HeaderTooLarge', `the header length is ${headerBytes} bytes, above the limit of ${MAX_HEADER_BYTES}`);
  }
  if (8 + headerBytes > bytes.length) {
    throw new SafetensorsError('InvalidHeaderLength', `the header length is ${headerBytes} bytes but only ${bytes.length - 8} follow it`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerBytes));
  } catch {
    throw new SafetensorsError('InvalidHeader', 'the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) {
    throw new SafetensorsError('InvalidHeaderStart', `the header must start with '{', not ${JSON.stringify(text.slice(0, 8))}`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('InvalidHeaderDeserialization', `the header is not valid JSON: ${(e as Error).message}`);
  }
  const count = Object.keys(json).length - (Object.hasOwn(json, METADATA_KEY) ? 1 : 0);
  if (count > MAX_TENSORS) throw new SafetensorsError('InvalidHeader', `the header lists ${count} tensors, above the limit of ${MAX_TENSORS}`);
  checkHeaderStructure(text);

  const tensors: Record<string, TensorInfo> = {};
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value);
    else setEntry(tensors, name, parseTensorInfo(name, value));
  }
  checkDataLayout(tensors, fileBytes === null ? null : fileBytes - 8 - headerBytes);
  return { headerBytes, tensors, metadata };
}

/** Parses a safetensors file into its header, metadata and tensor values (no GPU involved). */
export function deserialize(bytes: Uint8Array): SafetensorsFile {
  const header = readHeader(bytes);
  const dataStart = 8 + header.headerBytes;
  const tensors: Record<string, HostTensor> = {};
  for (const [name, { dtype, shape, dataOffsets }] of Object.entries(header.tensors)) {
    const [begin, end] = dataOffsets;
    setEntry(tensors, name, { dtype, shape, data: hostArray(bytes, dataStart + begin, end - begin, hostArrayTypes[dtype]) });
  }
  return { header, metadata: header.metadata, tensors };
}

/** record[key] = value, also for the key "__proto__" (which plain assignment would treat as the prototype). */
export function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `byteLength` bytes of `bytes` from `start` as a typed array: a view when aligned, else a copy. */
function hostArray(bytes: Uint8Array, start: number, byteLength: number, type: HostArrayConstructor): HostArray {
  const length = byteLength / type.BYTES_PER_ELEMENT;
  if ((bytes.byteOffset + start) % type.BYTES_PER_ELEMENT === 0 && bytes.buffer instanceof ArrayBuffer) {
    return new type(bytes.buffer, bytes.byteOffset + start, length);
  }
  // A copy made by hand: a Node Buffer's slice() is a view, whose .buffer would be the whole file.
  const copy = new Uint8Array(byteLength);
  copy.set(bytes.subarray(start, start + byteLength));
  return new type(copy.buffer, 0, length);
}

/**
 * Refuses (already valid) JSON text that repeats a key in an object or nests deeper than a header can.
 * JSON.parse keeps the last of duplicate keys silently, so this scan finds them: it tracks, per open
 * object, the keys seen. Deep nesting is refused here, before anything recurses into it.
 */
function checkHeaderStructure(text: string): void {
  const open: (Set<string> | null)[] = []; // a key set per open object, null per open array
  const opened = (container: Set<string> | null) => {
    open.push(container);
    if (open.length > MAX_HEADER_DEPTH) {
      throw new SafetensorsError('InvalidHeaderDeserialization', `the header nests deeper than ${MAX_HEADER_DEPTH} levels, the limit of the reference's JSON parser`);
    }
  };
  let expectingKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      if (expectingKey && keys) {
        const key: string = JSON.parse(text.slice(i, end + 1));
        if (keys.has(key)) throw new SafetensorsError('DuplicateKey', `the key ${JSON.stringify(key)} appears twice in the header`);
        keys.add(key);
        expectingKey = false;
      }
      i = end;
    } else if (c === '{') {
      opened(new Set());
      expectingKey = true;
    } else if (c === '[') {
      opened(null);
    } else if (c === '}' || c === ']') {
      open.pop();
    } else if (c === ',') {
      expectingKey = open[open.length - 1] != null;
    }
  }
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new SafetensorsError('InvalidHeaderDeserialization', `"${METADATA_KEY}" must be an object of strings, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, string>;
}

function parseTensorInfo(name: string, value: unknown): TensorInfo {
  const invalid = (what: string) =>
    new SafetensorsError('InvalidHeaderDeserialization', `tensor ${JSON.stringify(name)}: ${what} (entry ${JSON.stringify(value)})`);
  if (!isPlainObject(value)) throw invalid('the entry must be an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw invalid('"dtype" must be a string');
  if (!(safetensorsDtypes as readonly string[]).includes(dtype)) {
    throw new SafetensorsError('InvalidDtype', `tensor ${JSON.stringify(name)} has unknown dtype ${JSON.stringify(dtype)}; known: ${safetensorsDtypes.join(', ')}`);
  }
  if (!isArrayOfCounts(shape)) throw invalid('"shape" must be an array of integers >= 0');
  if (!isArrayOfCounts(offsets) || offsets.length !== 2) throw invalid('"data_offsets" must be [begin, end], integers >= 0');
  return { dtype: dtype as SafetensorsDtype, shape, dataOffsets: [offsets[0], offsets[1]] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isArrayOfCounts(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && v >= 0);
}

/**
 * The reference's validation: sorted by offset, the tensors must tile the data section exactly
 * (`dataBytes` null: the section's size is not known yet, so only the tiling is checked).
 */
function checkDataLayout(tensors: Record<string, TensorInfo>, dataBytes: number | null): void {
  const byOffset = Object.entries(tensors).sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  for (const [name, { dtype, shape, dataOffsets: [begin, end] }] of byOffset) {
    const label = `tensor ${JSON.stringify(name)} with data_offsets [${begin}, ${end}]`;
    if (end < begin) throw new SafetensorsError('InvalidOffset', `${label} ends before it begins`);
    if (begin !== cursor) {
      const problem = begin > cursor ? `leaves a gap after byte ${cursor}` : `overlaps the tensor that ends at byte ${cursor}`;
      throw new SafetensorsError('InvalidOffset', `${label} ${problem}`);
    }
    cursor = end;
    const bytes = tensorBytes(shape, dtype, (code, message) => new SafetensorsError(code, `${label}: ${message}`));
    if (end - begin !== bytes) {
      throw new SafetensorsError('TensorInvalidInfo', `${label} holds ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${bytes}`);
    }
  }
  if (dataBytes !== null) checkDataEnd(cursor, dataBytes);
}

/** Refuses a data section of `dataBytes` bytes unless the tensors cover exactly that (`cursor` bytes). */
export function checkDataEnd(cursor: number, dataBytes: number): void {
  if (cursor !== dataBytes) {
    const problem = cursor > dataBytes ? 'the file is truncated' : `${dataBytes - cursor} bytes trail the last tensor`;
    throw new SafetensorsError('MetadataIncompleteBuffer', `the tensors cover ${cursor} bytes of data but ${dataBytes} follow the header: ${problem}`);
  }
}

/** Bytes of a tensor of this shape and dtype; `fail` builds the error for an overflow or a partial byte. */
function tensorBytes(shape: readonly number[], dtype: SafetensorsDtype, fail: (code: SafetensorsErrorCode, message: string) => Error): number {
  let bits = dtypeBits[dtype];
  for (const d of shape) bits *= d;
  if (!Number.isSafeInteger(bits)) throw fail('ValidationOverflow', `shape [${shape.join(', ')}] of ${dtype} is too large`);
  if (bits % 8 !== 0) throw fail('MisalignedSlice', `shape [${shape.join(', ')}] of ${dtype} is ${bits} bits, not a whole number of bytes`);
  return bits / 8;
}

// ---- writing ---------------------------------------------------------------------------------------

/** A tensor's place in a file being written. */
export interface PlannedTensor {
  /** The tensor's key in the file. */
  name: string;
  /** The element type. */
  dtype: SafetensorsDtype;
  /** Dimensions, outermost first. */
  shape: readonly number[];
  /** First byte in the data section. */
  begin: number;
  /** One past the last byte in the data section. */
  end: number;
}

/** A file's layout before its data is written: the header bytes and where each tensor goes (`planLayout`). */
export interface FileLayout {
  /** The first 8 + N bytes of the file: the header length and the padded JSON. */
  header: Uint8Array;
  /** The tensors in file order with their offsets in the data section. */
  tensors: PlannedTensor[];
  /** Size of the data section in bytes. */
  dataBytes: number;
}

const utf8 = new TextEncoder();

/**
 * Lays out a file as the reference writer does: tensors ordered by dtype (widest alignment first) and
 * then by name (UTF-8 bytes), packed back to back; the JSON without spaces, with `__metadata__` first
 * (its keys sorted, so equal inputs give equal bytes), padded with spaces to a multiple of 8 bytes so
 * the data section starts 8-byte aligned.
 */
export function planLayout(op: string, tensors: readonly Omit<PlannedTensor, 'begin' | 'end'>[], metadata: Record<string, string> = {}): FileLayout {
  if (tensors.length > MAX_TENSORS) throw new Error(`${op}: ${tensors.length} tensors are more than a file may list (${MAX_TENSORS})`);
  const rank = (dtype: SafetensorsDtype) => safetensorsDtypes.indexOf(dtype);
  const nameBytes = new Map(tensors.map((t) => [t.name, utf8.encode(t.name)]));
  const ordered = [...tensors].sort((a, b) => rank(b.dtype) - rank(a.dtype) || compareBytes(nameBytes.get(a.name)!, nameBytes.get(b.name)!));

  let offset = 0;
  const planned: PlannedTensor[] = [];
  const entries: string[] = [];
  for (const { name, dtype, shape } of ordered) {
    if (name === METADATA_KEY) throw new Error(`${op}: "${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
    if (!(safetensorsDtypes as readonly string[]).includes(dtype)) throw new Error(`${op}: tensor ${JSON.stringify(name)} has unknown dtype ${JSON.stringify(dtype)}`);
    if (!isArrayOfCounts(shape)) throw new Error(`${op}: tensor ${JSON.stringify(name)} has invalid shape ${JSON.stringify(shape)}`);
    const bytes = tensorBytes(shape, dtype, (_, message) => new Error(`${op}: tensor ${JSON.stringify(name)}: ${message}`));
    planned.push({ name, dtype, shape, begin: offset, end: offset + bytes });
    entries.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`);
    offset += bytes;
  }
  const metadataKeys = Object.keys(metadata).sort((a, b) => compareBytes(utf8.encode(a), utf8.encode(b)));
  if (metadataKeys.length > 0) {
    for (const key of metadataKeys) {
      if (typeof metadata[key] !== 'string') throw new Error(`${op}: metadata ${JSON.stringify(key)} must be a string, got ${typeof metadata[key]}`);
    }
    entries.unshift(`"${METADATA_KEY}":{${metadataKeys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }

  const json = utf8.encode(`{${entries.join(',')}}`);
  const headerBytes = Math.ceil(json.length / 8) * 8;
  if (headerBytes > MAX_HEADER_BYTES) throw new Error(`${op}: the header would take ${headerBytes} bytes, above the format's limit of ${MAX_HEADER_BYTES}`);
  const header = new Uint8Array(8 + headerBytes).fill(0x20, 8); // spaces pad the JSON
  new DataView(header.buffer).setUint32(0, headerBytes, true); // the high 32 bits stay 0
  header.set(json, 8);
  return { header, tensors: planned, dataBytes: offset };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Writes tensors held in JS memory as a safetensors file (the pure counterpart of deserialize). */
export function serializeArrays(tensors: Record<string, HostTensor>, metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const layout = planLayout('serializeArrays', Object.entries(tensors).map(([name, { dtype, shape }]) => ({ name, dtype, shape })), metadata);
  const out = new Uint8Array(layout.header.length + layout.dataBytes);
  out.set(layout.header);
  for (const { name, dtype, shape, begin, end } of layout.tensors) {
    const { data } = tensors[name];
    if (data.byteLength !== end - begin) {
      throw new Error(`serializeArrays: tensor ${JSON.stringify(name)} has ${data.byteLength} bytes of data, but shape [${shape.join(', ')}] of ${dtype} needs ${end - begin}`);
    }
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), layout.header.length + begin);
  }
  return out;
}
