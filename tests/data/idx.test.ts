// The IDX parser on hand-built files: every dtype (big-endian), the limit option, and the errors for
// bad magic numbers, gzip data, truncated headers and data, and trailing bytes.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { parseIdx, parseIdxHeader, idxByteLength } = gg.data;

const codes = { u8: 0x08, i8: 0x09, i16: 0x0b, i32: 0x0c, f32: 0x0d, f64: 0x0e } as const;
const itemBytes = { u8: 1, i8: 1, i16: 2, i32: 4, f32: 4, f64: 8 } as const;

/** An IDX file written the slow, obvious way with a DataView. */
function buildIdx(dtype: keyof typeof codes, shape: number[], values: number[]): Uint8Array {
  const header = 4 + 4 * shape.length;
  const view = new DataView(new ArrayBuffer(header + values.length * itemBytes[dtype]));
  view.setUint8(2, codes[dtype]);
  view.setUint8(3, shape.length);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const setters = {
    u8: (o: number, v: number) => view.setUint8(o, v),
    i8: (o: number, v: number) => view.setInt8(o, v),
    i16: (o: number, v: number) => view.setInt16(o, v),
    i32: (o: number, v: number) => view.setInt32(o, v),
    f32: (o: number, v: number) => view.setFloat32(o, v),
    f64: (o: number, v: number) => view.setFloat64(o, v),
  };
  values.forEach((v, i) => setters[dtype](header + i * itemBytes[dtype], v));
  return new Uint8Array(view.buffer);
}

describe('parseIdx', () => {
  const cases: [keyof typeof codes, number[]][] = [
    ['u8', [0, 1, 127, 200, 255, 3]],
    ['i8', [-128, -1, 0, 1, 100, 127]],
    ['i16', [-32768, -300, 0, 258, 1000, 32767]],
    ['i32', [-2147483648, -70000, 0, 1, 65536, 2147483647]],
    ['f32', [-1.5, 0.25, 0, 3.0e-5, 1e10, -7]],
    ['f64', [Math.PI, -Math.E, 0, 1e-300, 1e300, -0.1]],
  ];
  for (const [dtype, values] of cases) {
    it(`reads ${dtype} values big-endian with their shape`, () => {
      const parsed = parseIdx(buildIdx(dtype, [2, 3], values));
      expect(parsed.dtype).toBe(dtype);
      expect(parsed.shape).toEqual([2, 3]);
      expect(Array.from(parsed.data)).toEqual(dtype === 'f32' ? values.map(Math.fround) : values);
    });
  }

  it('reads rank 1 and rank 3 files, and keeps only the first entries with limit', () => {
    expect(parseIdx(buildIdx('u8', [4], [9, 8, 7, 6])).shape).toEqual([4]);
    const cube = buildIdx('i16', [3, 2, 2], [...Array(12).keys()].map((i) => i - 6));
    const firstTwo = parseIdx(cube, { limit: 2 });
    expect(firstTwo.shape).toEqual([2, 2, 2]);
    expect(Array.from(firstTwo.data)).toEqual([-6, -5, -4, -3, -2, -1, 0, 1]);
    expect(parseIdx(cube, { limit: 10 }).shape).toEqual([3, 2, 2]);
    // With a limit only the prefix is needed, as the MNIST loader reads it from disk.
    const header = parseIdxHeader(cube);
    expect(header).toEqual({ dtype: 'i16', shape: [3, 2, 2], dataOffset: 16, itemBytes: 2 });
    expect(idxByteLength(header, 1)).toBe(16 + 8);
    expect(parseIdx(cube.subarray(0, idxByteLength(header, 1)), { limit: 1 }).shape).toEqual([1, 2, 2]);
  });

  it('names the problem for bad input', () => {
    const good = buildIdx('u8', [2, 3], [1, 2, 3, 4, 5, 6]);
    const withByte = (index: number, value: number) => {
      const copy = good.slice();
      copy[index] = value;
      return copy;
    };
    expect(() => parseIdx(withByte(0, 1))).toThrow(/parseIdx: bad magic 0x01000802.*two zero bytes/);
    expect(() => parseIdx(withByte(2, 0x0a))).toThrow(/bad magic 0x00000a02/);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]))).toThrow(/gzip-compressed/);
    expect(() => parseIdx(good.subarray(0, 3))).toThrow(/truncated header: 3 bytes/);
    expect(() => parseIdx(good.subarray(0, 9))).toThrow(/truncated header: rank 2 needs 12 header bytes, got 9/);
    expect(() => parseIdx(good.subarray(0, 15))).toThrow(/truncated data: shape \[2, 3\] u8 needs 18 bytes, got 15/);
    expect(() => parseIdx(new Uint8Array([...good, 0]))).toThrow(/1 unexpected bytes after the data of shape \[2, 3\] u8/);
    expect(() => parseIdx(good, { limit: -1 })).toThrow(/limit must be an integer >= 0/);
  });
});
