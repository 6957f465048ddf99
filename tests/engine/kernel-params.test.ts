// The host <-> kernel contract generated from each shader's `struct Params` and bindings: a launch
// that names a field or buffer wrongly does not compile, and one that slips past the types (or a
// bad value) throws an error naming the shader and the field; the packer writes WGSL's uniform layout.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { packParams, paramWords, type KernelLaunch } from '../../src/gpu/runtime.js';
import * as wgsl from '../../src/gpu/shaders.generated.js';
import { parseBindings, parseParams } from '../../shaders/params.mjs';

/** The bytes packParams writes for `params`, as 4-byte words. */
function packed(shader: wgsl.Shader, params: object): { u32: Uint32Array; i32: Int32Array; f32: Float32Array } {
  const words = paramWords(new ArrayBuffer(shader.paramBytes));
  packParams(shader, params, words, 0);
  return words;
}

describe('a mismatched launch does not compile', () => {
  it('missing, misspelled and wrongly typed fields and unknown buffers are type errors', () => {
    // Never called: the @ts-expect-error lines are the test (an unneeded one fails the typecheck).
    const launches = (rt: gg.Runtime, b: GPUBuffer): void => {
      rt.dispatch({ shader: wgsl.softmax, params: { outer: 1, k: 2, inner: 3 }, buffers: { x: b, out: b }, workgroups: [1] });
      // @ts-expect-error: no `inner`
      rt.dispatch({ shader: wgsl.softmax, params: { outer: 1, k: 2 }, buffers: { x: b, out: b }, workgroups: [1] });
      // @ts-expect-error: `lanes` is not a field of softmax's Params
      rt.dispatch({ shader: wgsl.softmax, params: { outer: 1, k: 2, inner: 3, lanes: 3 }, buffers: { x: b, out: b }, workgroups: [1] });
      // @ts-expect-error: `k` is a number
      rt.dispatch({ shader: wgsl.softmax, params: { outer: 1, k: '2', inner: 3 }, buffers: { x: b, out: b }, workgroups: [1] });
      // @ts-expect-error: `shape` is an array<vec4<u32>, 2>
      rt.dispatch({ shader: wgsl.copy, params: { n: 1, rank: 1, offset: 0, shape: 1, strides: [1] }, buffers: { x: b, out: b }, workgroups: [1] });
      // @ts-expect-error: softmax has no buffer `output`
      rt.dispatch({ shader: wgsl.softmax, params: { outer: 1, k: 2, inner: 3 }, buffers: { x: b, output: b }, workgroups: [1] });
    };
    expect(launches).toBeTypeOf('function');
  });
});

describe('a mismatched launch throws at run time, naming the shader and the field', () => {
  const dispatchSoftmax = (params: object, buffers?: object) => {
    const x = gg.zeros([2, 3]);
    try {
      const launch = { shader: wgsl.softmax, template: { OP: 'softmax', T: 'f32' }, params, buffers: buffers ?? { x: x.buffer, out: x.buffer }, workgroups: [1] };
      gg.runtime().dispatch(launch as never);
    } finally {
      x.dispose();
    }
  };

  it('refuses a missing field, an unknown field and a value of the wrong type', () => {
    expect(() => dispatchSoftmax({ outer: 1, k: 3 })).toThrow("softmax: params field 'inner' (u32) is missing: it takes a u32");
    expect(() => dispatchSoftmax({ outer: 1, k: 3, inner: 1, lanes: 1 })).toThrow("softmax: params field 'lanes' not in its Params struct (outer, k, inner)");
    expect(() => dispatchSoftmax({ outer: 1, k: '3', inner: 1 })).toThrow(`softmax: params field 'k' (u32) cannot be "3": it takes a u32`);
  });

  it('refuses integers that are not whole, finite and in range, but passes any f32', () => {
    expect(() => dispatchSoftmax({ outer: 1, k: NaN, inner: 1 })).toThrow("softmax: params field 'k' (u32) cannot be NaN");
    expect(() => dispatchSoftmax({ outer: 1, k: Infinity, inner: 1 })).toThrow("softmax: params field 'k' (u32) cannot be Infinity");
    expect(() => dispatchSoftmax({ outer: -1, k: 3, inner: 1 })).toThrow("softmax: params field 'outer' (u32) cannot be -1");
    expect(() => dispatchSoftmax({ outer: 1, k: 1.5, inner: 1 })).toThrow("softmax: params field 'k' (u32) cannot be 1.5");
    expect(() => packed(wgsl.pad, { n: 1, rank: 1, fill: 0, shape: [1], x_shape: [1], lo: [2 ** 31], step: [1] })).toThrow(
      "pad: params field 'lo' (array<vec4<i32>, 2>) (element 0) cannot be [2147483648]: it takes up to 8 i32 values",
    );
    expect(() => packed(wgsl.copy, { n: 1, rank: 1, offset: 0, shape: [1, 2, 3, 4, 5, 6, 7, 8, 9], strides: [1] })).toThrow(
      "copy: params field 'shape' (array<vec4<u32>, 2>) cannot be [1, 2, 3, 4, 5, 6, 7, 8, 9]: it takes up to 8 u32 values",
    );
    const words = packed(wgsl.fill, { n: 1, value: -Infinity, start: NaN, step: 0 });
    expect([words.f32[1], words.f32[2]]).toEqual([-Infinity, NaN]);
  });

  it('refuses a missing buffer, an unknown one and one the entry point does not use', () => {
    const x = gg.zeros([4]);
    try {
      expect(() => dispatchSoftmax({ outer: 1, k: 3, inner: 1 }, { x: x.buffer })).toThrow("softmax(softmax): no buffer for 'out' (it binds 'x', 'out'; given 1 buffers)");
      expect(() => dispatchSoftmax({ outer: 1, k: 3, inner: 1 }, { x: x.buffer, out: x.buffer, y: x.buffer })).toThrow(
        "softmax(softmax): 'y' is not a storage variable of the shader (it binds 'x', 'out'; given 3 buffers)",
      );
      // bitonic_step binds only sort_keys; `out` belongs to another entry point of the file.
      const launch: KernelLaunch = {
        shader: wgsl.index_add,
        entryPoint: 'bitonic_step',
        params: { n: 1, count: 1, padded: 1, rows: 1, inner: 1, k: 2, j: 1, site: 0 },
        buffers: { sort_keys: x.buffer, out: x.buffer },
        workgroups: [1],
      };
      expect(() => gg.runtime().dispatch(launch)).toThrow("index_add.bitonic_step: 'out' is not used by this entry point (it binds 'sort_keys'; given 2 buffers)");
    } finally {
      x.dispose();
    }
  });
});

describe('the packer writes WGSL uniform layout', () => {
  it('pad: u32 scalars, then array<vec4<u32>, 2> and array<vec4<i32>, 2> fields at 16-byte offsets', () => {
    expect(wgsl.pad.paramBytes).toBe(144);
    const words = packed(wgsl.pad, { n: 7, rank: 2, fill: 0xffffffff, shape: [3, 4], x_shape: [1, 2], lo: [-1, 2], step: [1, 1] });
    const expected = new Uint32Array(36);
    expected.set([7, 2, 0xffffffff, 0], 0); // n, rank, fill, padding up to the first vec4
    expected.set([3, 4, 0, 0, 0, 0, 0, 0], 4); // shape at byte 16
    expected.set([1, 2], 12); // x_shape at byte 48
    expected.set([0xffffffff, 2], 20); // lo at byte 80: -1 as i32
    expected.set([1, 1], 28); // step at byte 112
    expect([...words.u32]).toEqual([...expected]);
    expect(words.i32[20]).toBe(-1);
  });

  it('random: f32 fields and an i32 among u32s, 4 bytes apart, the block rounded up to 16 bytes', () => {
    const params = {
      n: 10, key_lo: 1, key_hi: 2, counter0: 3, counter1: 4, counter2: 5, counter3: 6,
      scale: 0.5, shift: -1.25, upper: 3, prob: 0.75, value: 8,
      low: -7, span: 9, categories: 10, samples: 11, from_logits: 1, site_invalid: 12, site_empty: 13,
    };
    expect(wgsl.random.paramBytes).toBe(80); // 19 fields: 76 bytes, rounded up
    const words = packed(wgsl.random, params);
    const bytes = new DataView(words.u32.buffer);
    expect([0, 4, 8, 12, 16, 20, 24].map((at) => bytes.getUint32(at, true))).toEqual([10, 1, 2, 3, 4, 5, 6]);
    expect([28, 32, 36, 40, 44].map((at) => bytes.getFloat32(at, true))).toEqual([0.5, -1.25, 3, 0.75, 8]);
    expect(bytes.getInt32(48, true)).toBe(-7);
    expect([52, 56, 60, 64, 68, 72].map((at) => bytes.getUint32(at, true))).toEqual([9, 10, 11, 1, 12, 13]);
  });

  it('attention: an f32 among u32s, then vec4<u32> fields each 16-byte aligned', () => {
    const vec = (k: number) => [k, k + 1, k + 2, k + 3];
    const params = {
      batch: 1, heads: 2, tq: 3, tk: 4, k_rows: 5, offset: 6, causal: 1, scale: 0.125, blocks: 9,
      q_at: vec(10), k_at: vec(20), v_at: vec(30), o_at: vec(40), dq_at: vec(50), dk_at: vec(60), dv_at: vec(70),
    };
    expect(wgsl.attention.paramBytes).toBe(48 + 7 * 16);
    const words = packed(wgsl.attention, params);
    expect([...words.u32.subarray(0, 7)]).toEqual([1, 2, 3, 4, 5, 6, 1]);
    expect(words.f32[7]).toBe(0.125);
    expect(words.u32[8]).toBe(9);
    expect([...words.u32.subarray(9, 12)]).toEqual([0, 0, 0]); // padding before q_at at byte 48
    for (let i = 0; i < 7; i++) expect([...words.u32.subarray(12 + 4 * i, 16 + 4 * i)]).toEqual(vec(10 * (i + 1)));
  });

  it('a real launch packs the same way: a pad through the op gives the expected values', async () => {
    const x = gg.tensor([[1, 2], [3, 4]]);
    const padded = gg.pad(x, [0, 1, 1, 0], 9); // one column after, one row before
    expect(await padded.data()).toEqual(new Float32Array([9, 9, 9, 1, 2, 9, 3, 4, 9]));
    x.dispose();
    padded.dispose();
  });
});

describe('the bundle reads Params and bindings from WGSL', () => {
  const source = `
struct Params {
  n: u32,          // count
  scale: f32,
  lo: array<vec4<i32>, 2>,
  offset: i32,
  at: vec4<u32>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> other_out: array<f32>;
`;

  it('lays the fields out with uniform rules and rounds the struct up to 16 bytes', () => {
    expect(parseParams(source, 'test')).toEqual({
      fields: [
        { name: 'n', type: 'u32', offset: 0, element: 'u32', count: 1, vector: false },
        { name: 'scale', type: 'f32', offset: 4, element: 'f32', count: 1, vector: false },
        { name: 'lo', type: 'array<vec4<i32>, 2>', offset: 16, element: 'i32', count: 8, vector: true },
        { name: 'offset', type: 'i32', offset: 48, element: 'i32', count: 1, vector: false },
        { name: 'at', type: 'vec4<u32>', offset: 64, element: 'u32', count: 4, vector: true },
      ],
      bytes: 80,
    });
    expect(parseParams('fn main() {}', 'test')).toBeNull();
  });

  it('fails loudly on a field type it cannot pack', () => {
    expect(() => parseParams('struct Params {\n  m: mat4x4<f32>,\n}', 'shaders/x.wgsl')).toThrow("shaders/x.wgsl, Params.m: Params field type 'mat4x4<f32>' is not one the runtime packs");
    expect(() => parseParams('struct Params {\n  v: vec3<f32>,\n}', 'shaders/x.wgsl')).toThrow(/Params field type 'vec3<f32>'/);
  });

  it('lists the bindings by number, names unique, numbers shared between entry points', () => {
    expect(parseBindings(source, 'test')).toEqual([
      { binding: 0, name: 'p', access: 'uniform' },
      { binding: 1, name: 'x', access: 'read' },
      { binding: 2, name: 'other_out', access: 'read_write' },
      { binding: 2, name: 'out', access: 'read_write' },
    ]);
  });
});
