// Tensors to safetensors bytes and back through the GPU: bit-exact values (NaN payloads, -0,
// denormals), identical bytes on a second save, one GPU read per save, the dtype conversions on load
// against known values, and no buffer left behind, errors included.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { chunksOfAtMost } from '../../src/io/tensors.js';

const { serialize, deserialize, loadTensors, serializeArrays } = gg.io;
const live = () => gg.runtime().memory().liveBuffers;

/** f32 values given by their bit patterns, so NaN payloads survive the test itself. */
const f32Bits = (...bits: number[]) => new Float32Array(new Uint32Array(bits).buffer);
const bitsOf = (a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; length: number }) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

async function loadOne(host: gg.io.HostTensor): Promise<{ dtype: gg.DType; shape: readonly number[]; values: number[] }> {
  const { t } = loadTensors(serializeArrays({ t: host }));
  const values = [...(await t.data())];
  const result = { dtype: t.dtype, shape: t.shape, values };
  t.dispose();
  return result;
}

describe('serialize and loadTensors', () => {
  let baseline = 0;
  beforeEach(() => {
    baseline = live();
  });
  afterEach(() => {
    expect(live(), 'no GPU buffer leaked').toBe(baseline);
  });

  it('round-trips f32, i32 and u32 bit for bit, and a second save gives identical bytes', async () => {
    const specials = f32Bits(
      0x7fc00000, // the canonical quiet NaN
      0x7fc12345, // a quiet NaN with a payload
      0xffa00001, // a negative signalling NaN with a payload
      0x80000000, // -0
      0x00000001, // the smallest denormal
      0x807fffff, // the largest negative denormal
      0x7f800000, // +Infinity
      0xff7fffff, // -max
      0x3eaaaaab, // 1/3
    );
    const made = {
      specials: gg.tensor(specials, [3, 3]),
      ints: gg.tensor(new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1]), [2, 2]),
      words: gg.tensor(new Uint32Array([0, 1, 0xdeadbeef, 0xffffffff])),
      scalar: gg.tensor(new Float32Array([2.5]), []),
      empty: gg.zeros([0, 3]),
    };
    const bytes = await serialize(made, { step: '12' });
    const parsed = deserialize(bytes);
    expect(parsed.metadata).toEqual({ step: '12' });
    expect(parsed.header.tensors.specials).toEqual({ dtype: 'F32', shape: [3, 3], dataOffsets: expect.any(Array) });
    expect(bitsOf(parsed.tensors.specials.data as Float32Array)).toEqual(bitsOf(specials));
    expect(parsed.tensors.ints).toEqual({ dtype: 'I32', shape: [2, 2], data: new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1]) });
    expect(parsed.tensors.words).toEqual({ dtype: 'U32', shape: [4], data: new Uint32Array([0, 1, 0xdeadbeef, 0xffffffff]) });
    expect(parsed.tensors.scalar).toEqual({ dtype: 'F32', shape: [], data: new Float32Array([2.5]) });
    expect(parsed.tensors.empty).toEqual({ dtype: 'F32', shape: [0, 3], data: new Float32Array(0) });

    // Bytes -> GPU -> bytes, both ways: the same file, bit for bit.
    expect(serializeArrays(parsed.tensors, parsed.metadata)).toEqual(bytes);
    const loaded = loadTensors(bytes);
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(made).sort());
    for (const [name, t] of Object.entries(loaded)) {
      expect(t.dtype).toBe(made[name as keyof typeof made].dtype);
      expect(t.shape).toEqual(made[name as keyof typeof made].shape);
    }
    expect(await serialize(loaded, { step: '12' })).toEqual(bytes);
    for (const t of [...Object.values(made), ...Object.values(loaded)]) t.dispose();
  });

  it('reads the GPU once per save, however many tensors', async () => {
    const tensors = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`layer${i}.weight`, gg.full([i + 1, 3], i)]));
    const before = gg.runtime().counters.readbacks;
    const parsed = deserialize(await serialize(tensors));
    expect(gg.runtime().counters.readbacks - before).toBe(1);
    expect([...parsed.tensors['layer7.weight'].data]).toEqual(new Array(24).fill(7));
    for (const t of Object.values(tensors)) t.dispose();
  });

  it('records its GPU work before returning, so the tensors may be freed at once', async () => {
    const pending = gg.scope(() => ({ bytes: serialize({ a: gg.tensor([0, 1, 2, 3, 4]).mul(2), b: gg.ones([2], { dtype: 'i32' }) }) }));
    expect(live()).toBe(baseline); // the scope has already freed both tensors
    const parsed = deserialize(await pending.bytes);
    expect(parsed.tensors.a.data).toEqual(new Float32Array([0, 2, 4, 6, 8]));
    expect(parsed.tensors.b.data).toEqual(new Int32Array([1, 1]));
  });

  it('splits the data section into reads that each fit one GPU buffer', () => {
    const planned = (sizes: number[]) => {
      let offset = 0;
      return sizes.map((bytes, i) => ({ name: `t${i}`, dtype: 'F32' as const, shape: [bytes / 4], begin: offset, end: (offset += bytes) }));
    };
    const names = (chunks: { name: string }[][]) => chunks.map((c) => c.map((t) => t.name));
    expect(names(chunksOfAtMost(planned([8, 8, 0, 8, 16, 4]), 16))).toEqual([['t0', 't1'], ['t3'], ['t4'], ['t5']]);
    expect(names(chunksOfAtMost(planned([4, 4, 4]), 1 << 20))).toEqual([['t0', 't1', 't2']]);
    expect(chunksOfAtMost(planned([0, 0]), 16)).toEqual([]);
  });

  it('refuses what it cannot write, naming the tensor', async () => {
    const disposed = gg.ones([2]);
    disposed.dispose();
    expect(() => serialize({ w: disposed })).toThrow(/serialize \(tensor "w"\): tensor #\d+ \[2\] f32 was used after dispose\(\)/);
    expect(() => serialize({ w: new Float32Array(2) as unknown as gg.Tensor })).toThrow(/serialize: "w" is not a Tensor/);
    const t = gg.ones([1]);
    expect(() => serialize({ __metadata__: t })).toThrow(/"__metadata__" is reserved/);
    t.dispose();
  });

  it('decodes F16 to f32 exactly: normals, subnormals, zeros, infinities, NaN payloads', async () => {
    const halves = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x8001, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7d01];
    const { dtype, shape, values } = await loadOne({ dtype: 'F16', shape: [13], data: new Uint16Array(halves) });
    expect(dtype).toBe('f32');
    expect(shape).toEqual([13]);
    expect(values.slice(0, 10)).toEqual([1, -2, 0.333251953125, 65504, 2 ** -14, 2 ** -24, 1023 * 2 ** -24, -(2 ** -24), -0, Infinity]);
    expect(Object.is(values[8], -0)).toBe(true);
    expect(values[10]).toBe(-Infinity);
    const { t } = loadTensors(serializeArrays({ t: { dtype: 'F16', shape: [2], data: new Uint16Array([0x7e00, 0x7d01]) } }));
    expect(bitsOf((await t.data()) as Float32Array)).toEqual([0x7fc00000, 0x7fa02000]); // payload shifted into place
    t.dispose();
  });

  it('decodes BF16 and F64 to f32', async () => {
    const bf16 = await loadOne({ dtype: 'BF16', shape: [2, 3], data: new Uint16Array([0x3f80, 0xc000, 0x4049, 0x0001, 0x7f80, 0x8000]) });
    expect(bf16.dtype).toBe('f32');
    expect(bf16.shape).toEqual([2, 3]);
    expect(bf16.values).toEqual([1, -2, 3.140625, 2 ** -133, Infinity, -0]);
    const f64 = await loadOne({ dtype: 'F64', shape: [5], data: new Float64Array([0.1, -1e-50, 1e40, 2 ** -140, NaN]) });
    expect(f64.values.slice(0, 4)).toEqual([Math.fround(0.1), -0, Infinity, 2 ** -140]);
    expect(f64.values[4]).toBeNaN();
  });

  it('narrows I64 and U64 with a range check, and widens small integers and BOOL to i32', async () => {
    const i64 = await loadOne({ dtype: 'I64', shape: [4], data: new BigInt64Array([-(2n ** 31n), -1n, 0n, 2n ** 31n - 1n]) });
    expect(i64).toEqual({ dtype: 'i32', shape: [4], values: [-(2 ** 31), -1, 0, 2 ** 31 - 1] });
    const u64 = await loadOne({ dtype: 'U64', shape: [2], data: new BigUint64Array([0n, 2n ** 32n - 1n]) });
    expect(u64).toEqual({ dtype: 'u32', shape: [2], values: [0, 2 ** 32 - 1] });
    expect((await loadOne({ dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) })).values).toEqual([-128, 127]);
    expect((await loadOne({ dtype: 'U16', shape: [1], data: new Uint16Array([65535]) })).values).toEqual([65535]);
    expect(await loadOne({ dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) })).toEqual({ dtype: 'i32', shape: [2], values: [1, 0] });

    const file = serializeArrays({
      fine: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
      tokens: { dtype: 'I64', shape: [3], data: new BigInt64Array([5n, 2n ** 31n, -3n]) },
    });
    expect(() => loadTensors(file)).toThrow(/loadTensors: tensor "tokens" \[3\] I64 holds 2147483648 at flat index 1, outside i32/);
    await expect(loadOne({ dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 32n]) })).rejects.toThrow(/outside u32/);
    await expect(loadOne({ dtype: 'I64', shape: [1], data: new BigInt64Array([-(2n ** 31n) - 1n]) })).rejects.toThrow(/outside i32/);
  });

  it('refuses dtypes it cannot hold, uploading nothing', () => {
    const file = serializeArrays({
      a: { dtype: 'F32', shape: [2], data: new Float32Array(2) },
      q: { dtype: 'F8_E4M3', shape: [2, 2], data: new Uint8Array(4) },
    });
    expect(() => loadTensors(file)).toThrow(/loadTensors: tensor "q" \[2, 2\] has dtype F8_E4M3, which gengpu cannot load \(supported: F32, F16, BF16, F64/);
  });
});
