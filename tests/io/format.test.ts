// The safetensors format without the GPU: files written byte by byte in the tests parse as the spec
// says, the writer reproduces the reference implementation's own golden bytes, and every malformed
// file is refused with the named rule it breaks.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { deserialize, serializeArrays, SafetensorsError } = gg.io;

/** A file from header text (padded with spaces to a multiple of 8, as writers do) and data bytes. */
function file(header: string, data: number[] = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerBytes + data.length).fill(0x20, 8, 8 + headerBytes);
  new DataView(bytes.buffer).setUint32(0, headerBytes, true);
  bytes.set(json, 8);
  bytes.set(data, 8 + headerBytes);
  return bytes;
}

function expectCode(bytes: Uint8Array, code: gg.io.SafetensorsErrorCode, message?: RegExp): void {
  let error: unknown;
  try {
    deserialize(bytes);
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code}`).toBeInstanceOf(SafetensorsError);
  expect((error as gg.io.SafetensorsError).code).toBe(code);
  expect((error as Error).message).toContain(`(${code})`);
  if (message) expect((error as Error).message).toMatch(message);
}

const info = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe('safetensors format', () => {
  it('parses a file written byte by byte from the spec', () => {
    // The header JSON padded with spaces to a multiple of 8; data: F32 [2] = [1.5, -2], then I32 [] = 7.
    const header = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"n":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}';
    const headerBytes = Math.ceil(header.length / 8) * 8;
    const bytes = new Uint8Array([
      headerBytes, 0, 0, 0, 0, 0, 0, 0,
      ...new TextEncoder().encode(header.padEnd(headerBytes, ' ')),
      0x00, 0x00, 0xc0, 0x3f, // 1.5  = 0x3fc00000
      0x00, 0x00, 0x00, 0xc0, // -2   = 0xc0000000
      0x07, 0x00, 0x00, 0x00, // 7
    ]);
    const parsed = deserialize(bytes);
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect(parsed.header.headerBytes).toBe(headerBytes);
    expect(Object.keys(parsed.tensors)).toEqual(['w', 'n']);
    expect(parsed.tensors.w.dtype).toBe('F32');
    expect(parsed.tensors.w.shape).toEqual([2]);
    expect(parsed.tensors.w.data).toEqual(new Float32Array([1.5, -2]));
    expect(parsed.tensors.n).toEqual({ dtype: 'I32', shape: [], data: new Int32Array([7]) });
    expect(parsed.header.tensors.n.dataOffsets).toEqual([8, 12]);
  });

  it("writes the reference implementation's golden bytes", () => {
    // From huggingface/safetensors' own tests (test_serialization, test_empty, forced alignment).
    const attn = { dtype: 'F32' as const, shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) };
    expect([...serializeArrays({ 'attn.0': attn })]).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    expect([...serializeArrays({ attn0: { ...attn, shape: [1, 1, 2, 3] } })]).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
      121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
      91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
      115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
      32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
      160, 64,
    ]);
    expect([...serializeArrays({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect([...serializeArrays({}, { framework: 'pt' })]).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('orders tensors as the reference does (widest dtype first, then UTF-8 name) and round-trips bytes exactly', () => {
    const tensors: Record<string, gg.io.HostTensor> = {
      b: { dtype: 'I32', shape: [2], data: new Int32Array([-1, 2 ** 31 - 1]) },
      a: { dtype: 'I32', shape: [1], data: new Int32Array([5]) },
      half: { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0x8000, 0x7e01]) },
      big: { dtype: 'I64', shape: [1], data: new BigInt64Array([-(2n ** 62n)]) },
      flags: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
      '\uffff': { dtype: 'F32', shape: [], data: new Float32Array([1]) },
      '\u{10000}': { dtype: 'F32', shape: [], data: new Float32Array([2]) },
      __proto__x: { dtype: 'U8', shape: [0], data: new Uint8Array(0) },
    };
    const bytes = serializeArrays(tensors, { z: 'last', a: 'first' });
    const parsed = deserialize(bytes);
    // JS sorts '\u{10000}' (a surrogate pair) before '\uffff'; UTF-8 byte order puts it after.
    expect(Object.keys(parsed.header.tensors)).toEqual(['big', '\uffff', '\u{10000}', 'a', 'b', 'half', '__proto__x', 'flags']);
    expect(Object.keys(parsed.metadata)).toEqual(['a', 'z']);
    for (const [name, t] of Object.entries(tensors)) expect(parsed.tensors[name]).toEqual(t);
    expect(serializeArrays(parsed.tensors, parsed.metadata)).toEqual(bytes);
    // The header is padded to a multiple of 8, so every tensor's data is aligned to its element size.
    expect(parsed.header.headerBytes % 8).toBe(0);
    for (const { data } of Object.values(parsed.tensors)) {
      expect(data.buffer).toBe(bytes.buffer); // views, not copies
      expect(data.byteOffset % data.BYTES_PER_ELEMENT).toBe(0);
    }
  });

  it('reads misaligned input by copying, and tensors named like Object.prototype keys', () => {
    const bytes = serializeArrays({
      ['__proto__']: { dtype: 'F64', shape: [2], data: new Float64Array([0.1, -3]) },
      constructor: { dtype: 'I16', shape: [1], data: new Int16Array([-7]) },
    } as Record<string, gg.io.HostTensor>);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const parsed = deserialize(shifted.subarray(1));
    expect(Object.keys(parsed.tensors).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(parsed.tensors)).toBe(Object.prototype);
    expect(parsed.tensors['__proto__'].data).toEqual(new Float64Array([0.1, -3]));
    expect(parsed.tensors['constructor'].data).toEqual(new Int16Array([-7]));
    // A Node Buffer, whose slice() is a view and not a copy, is copied all the same.
    const buffer = Buffer.alloc(bytes.length + 1);
    buffer.set(bytes, 1);
    expect(deserialize(buffer.subarray(1)).tensors['__proto__'].data).toEqual(new Float64Array([0.1, -3]));
  });

  it('accepts any JSON order of entries and extra fields, as the reference does', () => {
    const bytes = file(JSON.stringify({ second: info('U8', [2], 2, 4), first: { ...info('U8', [2], 0, 2), note: 'x' } }), [1, 2, 3, 4]);
    const parsed = deserialize(bytes);
    expect(parsed.tensors.first.data).toEqual(new Uint8Array([1, 2]));
    expect(parsed.tensors.second.data).toEqual(new Uint8Array([3, 4]));
  });

  it('knows the sizes of sub-byte and complex dtypes', () => {
    const parsed = deserialize(file(JSON.stringify({ f4: info('F4', [4], 0, 2), c: info('C64', [1], 2, 10) }), [0x21, 0x43, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]));
    expect(parsed.tensors.f4.data).toEqual(new Uint8Array([0x21, 0x43]));
    expect(parsed.tensors.c.data).toEqual(new Float32Array([1, 2])); // copied: offset 2 is not 4-aligned
  });

  describe('refuses bad files with a named error', () => {
    const good = JSON.stringify({ a: info('F32', [2], 0, 8) });
    const data = [0, 0, 128, 63, 0, 0, 0, 64];

    it('a truncated header length', () => expectCode(new Uint8Array([8, 0, 0, 0, 0]), 'HeaderTooSmall', /5 bytes/));

    it('a header length above the 100 MB limit', () => {
      const bytes = file(good, data);
      new DataView(bytes.buffer).setUint32(4, 1, true); // 2^32 + n
      expectCode(bytes, 'HeaderTooLarge');
    });

    it('a header length beyond the end of the file', () => {
      const bytes = file(good, data);
      new DataView(bytes.buffer).setUint32(0, bytes.length, true);
      expectCode(bytes, 'InvalidHeaderLength', new RegExp(`only ${bytes.length - 8} follow`));
    });

    it('a header that is not UTF-8', () => {
      const bytes = file('{"a":1}');
      bytes[10] = 0xff;
      expectCode(bytes, 'InvalidHeader');
    });

    it('a header that does not start with {', () => {
      expectCode(file(' {}'), 'InvalidHeaderStart');
      expectCode(file('[]'), 'InvalidHeaderStart');
    });

    it('invalid JSON', () => {
      expectCode(file('{"a": {"dtype": "F32",'), 'InvalidHeaderDeserialization', /not valid JSON/);
      expectCode(file('{"a":1}x'), 'InvalidHeaderDeserialization');
    });

    it('entries of the wrong form', () => {
      expectCode(file(JSON.stringify({ a: { dtype: 'F32', shape: [2] } }), data), 'InvalidHeaderDeserialization', /data_offsets/);
      expectCode(file(JSON.stringify({ a: { ...info('F32', [2], 0, 8), shape: [-2] } }), data), 'InvalidHeaderDeserialization', /shape/);
      expectCode(file(JSON.stringify({ a: { ...info('F32', [2], 0, 8), data_offsets: [0, 4, 8] } }), data), 'InvalidHeaderDeserialization');
      expectCode(file(JSON.stringify({ __metadata__: { n: 1 } })), 'InvalidHeaderDeserialization', /__metadata__/);
    });

    it('duplicate keys, which JSON.parse would silently drop', () => {
      expectCode(file(`{"a":${JSON.stringify(info('F32', [1], 0, 4))},"a":${JSON.stringify(info('F32', [1], 4, 8))}}`, data), 'DuplicateKey', /"a"/);
      expectCode(file('{"__metadata__":{"k":"1","k":"2"}}'), 'DuplicateKey', /"k"/);
      // The same key in different objects, and a key-like string value, are fine.
      const fine = file('{"__metadata__":{"a":"a"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":{"a":["a",{"a":"\\"a"}]}}}', data);
      expect(deserialize(fine).tensors.a.data).toEqual(new Float32Array([1, 2]));
    });

    it('JSON nested deeper than the reference parses, without a RangeError', () => {
      expectCode(file(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), 'InvalidHeaderDeserialization', /nests deeper than 128 levels/);
      const deepButAllowed = `{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":${'['.repeat(120)}${']'.repeat(120)}}}`;
      expect(deserialize(file(deepButAllowed)).tensors.a.shape).toEqual([0]);
    });

    it(`more tensors than a file may list (${gg.io.MAX_TENSORS})`, () => {
      const entries = Array.from({ length: gg.io.MAX_TENSORS + 1 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
      const started = performance.now();
      expectCode(file(`{${entries.join(',')}}`), 'InvalidHeader', /lists 100001 tensors, above the limit of 100000/);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(() => serializeArrays(Object.fromEntries(entries.map((_, i) => [`t${i}`, { dtype: 'F32' as const, shape: [0], data: new Float32Array(0) }])))).toThrow(/100001 tensors are more than a file may list \(100000\)/);
    });

    it('an unknown dtype', () => expectCode(file(JSON.stringify({ a: info('F33', [2], 0, 8) }), data), 'InvalidDtype', /"F33"/));

    it('overlapping, gapped and reversed offsets', () => {
      const two = (first: number[], second: number[]) => file(JSON.stringify({ x: info('U8', [2], first[0], first[1]), y: info('U8', [2], second[0], second[1]) }), [1, 2, 3, 4]);
      expectCode(two([0, 2], [1, 3]), 'InvalidOffset', /"y".*overlaps/);
      expectCode(two([0, 2], [3, 5]), 'InvalidOffset', /"y".*gap after byte 2/);
      expectCode(two([1, 3], [3, 5]), 'InvalidOffset', /"x".*gap after byte 0/); // nothing starts at 0
      expectCode(file(JSON.stringify({ x: info('U8', [0], 4, 0) }), [1, 2, 3, 4]), 'InvalidOffset', /ends before it begins/);
    });

    it('a size that does not match shape and dtype', () => {
      expectCode(file(JSON.stringify({ a: info('F32', [3], 0, 8) }), data), 'TensorInvalidInfo', /holds 8 bytes.*needs 12/);
    });

    it('a shape too large to count, and a sub-byte tensor that ends mid-byte', () => {
      expectCode(file(JSON.stringify({ a: info('F32', [2 ** 30, 2 ** 30, 2 ** 30], 0, 8) }), data), 'ValidationOverflow');
      expectCode(file(JSON.stringify({ a: info('F4', [3], 0, 2) }), [0, 0]), 'MisalignedSlice');
    });

    it('trailing garbage and truncated data', () => {
      expectCode(file(good, [...data, 0]), 'MetadataIncompleteBuffer', /1 bytes trail/);
      expectCode(file(good, data.slice(0, 7)), 'MetadataIncompleteBuffer', /truncated/);
      const valid = file(good, data);
      expect(deserialize(valid).tensors.a.data).toEqual(new Float32Array([1, 2]));
      for (let cut = 0; cut < valid.length; cut++) expect(() => deserialize(valid.subarray(0, cut))).toThrow(SafetensorsError);
    });
  });

  it('refuses bad input to the writer, naming the tensor', () => {
    const f32 = (n: number) => ({ dtype: 'F32' as const, shape: [n], data: new Float32Array(n) });
    expect(() => serializeArrays({ __metadata__: f32(1) })).toThrow(/serializeArrays: "__metadata__" is reserved/);
    expect(() => serializeArrays({ w: { ...f32(2), shape: [3] } })).toThrow(/serializeArrays: tensor "w" has 8 bytes of data, but shape \[3\] of F32 needs 12/);
    expect(() => serializeArrays({ w: { ...f32(1), shape: [1.5] } })).toThrow(/tensor "w" has invalid shape/);
    expect(() => serializeArrays({ w: { ...f32(1), dtype: 'F12' as gg.io.SafetensorsDtype } })).toThrow(/unknown dtype "F12"/);
    expect(() => serializeArrays({}, { n: 3 as unknown as string })).toThrow(/metadata "n" must be a string/);
  });
});
