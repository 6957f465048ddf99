// Elementwise fusion (src/ops/fusion.ts): one generated kernel per fused group, the same bits as with
// fusion off (random chains with broadcasting, scalars, where, casts, NaN and infinities, odd sizes),
// tensor lifetimes and in-place writes around pending tensors, and autograd through fused ops.
import { afterEach, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { bitsOf, runWith } from '../helpers/fusion.js';
import { rng } from '../helpers/reference.js';

const fusionAtStart = gg.isFusionEnabled();
afterEach(() => gg.setFusion(fusionAtStart));

const live = () => gg.runtime().memory().liveBuffers;
const dispatches = () => gg.runtime().counters.dispatches;

const specials = [Number.NaN, Infinity, -Infinity, -0, 0, 1, -1, 1e-40, 3.4e38];

/** f32 values of `shape`: mostly spread over [-4, 4], some of them special. */
function values(next: () => number, shape: number[]): gg.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => (next() < 0.15 ? specials[Math.floor(next() * specials.length)] : (next() - 0.5) * 8));
  return gg.tensor(data, shape);
}

type Op = (x: gg.Tensor, other: () => gg.Tensor, next: () => number) => gg.Tensor;
const ops: Op[] = [
  (x) => x.exp(),
  (x) => x.log(),
  (x) => x.sqrt(),
  (x) => x.tanh(),
  (x) => x.sigmoid(),
  (x) => x.relu(),
  (x) => x.gelu(),
  (x) => x.gelu('tanh'),
  (x) => x.silu(),
  (x) => x.erf(),
  (x) => x.sin(),
  (x) => x.abs(),
  (x) => x.reciprocal(),
  (x) => x.softplus(),
  (x) => x.leakyRelu(0.1),
  (x) => x.clamp(-1, 2),
  (x, _, next) => x.add(next() * 4 - 2),
  (x, _, next) => x.mul(next() * 4 - 2),
  (x, _, next) => x.pow([2, 3, 0.5, -1, 1.7][Math.floor(next() * 5)]),
  (x, other) => x.add(other()),
  (x, other) => x.sub(other()),
  (x, other) => x.mul(other()),
  (x, other) => x.div(other()),
  (x, other) => x.pow(other()),
  (x, other) => x.maximum(other()),
  (x, other) => x.minimum(other()),
  (x, other) => x.gt(other()),
  (x, other) => x.ne(other()),
  (x, other) => gg.where(x.lt(other()), x, other()),
  (x, other) => gg.where(other().ge(0), other(), x),
  (x) => x.to('i32').add(gg.full([], 3, { dtype: 'i32' })).div(gg.full([], 2, { dtype: 'i32' })).to('f32'),
  (x) => x.to('u32').to('f32'),
];

/** A random chain of `length` ops over inputs whose shapes broadcast to `shape`. */
function chain(seed: number, shape: number[], inputShapes: number[][], length: number): () => gg.Tensor {
  return () => {
    const next = rng(seed);
    const inputs = inputShapes.map((s) => values(next, s));
    const other = () => inputs[Math.floor(next() * inputs.length)];
    let x = gg.add(values(next, shape), other());
    for (let k = 0; k < length; k++) x = ops[Math.floor(next() * ops.length)](x, other, next);
    return x;
  };
}

describe('elementwise fusion', () => {
  it('runs a chain of 16 (x + 1) as one dispatch, made when the result is read', async () => {
    gg.setFusion(true);
    const x = gg.tensor([1, 2, 3, 4, 5]);
    const before = dispatches();
    let y = x;
    const chainTensors: gg.Tensor[] = [];
    for (let k = 0; k < 16; k++) chainTensors.push((y = y.add(1)));
    expect(y.isPending).toBe(true);
    expect(dispatches()).toBe(before);
    const source = gg.fusedKernelSource(y)!;
    expect(source).toContain('op_add_scalar(v0, scalar(0u))');
    expect(source).toContain('out[i] = v16;');
    expect(Array.from(await y.data())).toEqual([17, 18, 19, 20, 21]);
    expect(dispatches()).toBe(before + 1);
    expect(gg.fusedKernelSource(y)).toBeNull();
    for (const t of [x, ...chainTensors]) t.dispose();
  });

  it('computes 4 outputs per invocation over broadcast inputs: rows read as vec4, columns splat', async () => {
    gg.setFusion(true);
    const [x, bias, column] = [gg.randn([6, 8]), gg.randn([8]), gg.randn([6, 1])];
    const sum = x.add(bias);
    const scaled = sum.mul(column);
    const y = scaled.relu();
    const source = gg.fusedKernelSource(y)!;
    expect(source).toContain('var<storage, read> in1: array<vec4<f32>>;');
    expect(source).toContain('var<storage, read> in2: array<f32>;');
    expect(source).toContain('let c = coords_of(i * 4u);');
    expect(source).toContain('vec4<f32>(in2[offset_of(c, p.strides[2], ZERO)])');
    const expected = gg.scope(() => { gg.setFusion(false); const e = x.add(bias).mul(column).relu(); gg.setFusion(true); return e; });
    expect(Array.from(await y.data())).toEqual(Array.from(await expected.data()));
    for (const t of [x, bias, column, sum, scaled, y, expected]) t.dispose();
  });

  it('reuses the generated kernel for the same structure at other sizes and scalars', async () => {
    gg.setFusion(true);
    const run = async (n: number, c: number) => {
      const x = gg.tensor(Float32Array.from({ length: n }, (_, i) => i));
      const y = gg.scope(() => x.mul(c).add(c).exp());
      await y.data();
      x.dispose();
      y.dispose();
    };
    await run(7, 0.5);
    const compiled = gg.runtime().counters.pipelinesCompiled;
    await run(13, -0.25);
    expect(gg.runtime().counters.pipelinesCompiled).toBe(compiled);
  });

  it('gives the same bits as unfused kernels on random chains (broadcasting, where, casts, NaN, odd sizes)', async () => {
    const layouts: [number[], number[][]][] = [
      [[3, 5, 7], [[3, 5, 7], [5, 1], [7], [], [3, 1, 7]]],
      [[2, 4, 8], [[2, 4, 8]]], // vec4 lanes
      [[3, 4, 8], [[3, 4, 8], [8], [4, 1], [3, 1, 8], []]], // vec4 lanes with broadcast inputs (vec4 loads and splats)
      [[13], [[13], [1]]],
      [[2, 3, 2, 3, 2, 3], [[2, 3, 2, 3, 2, 3], [3, 1, 3, 1, 3], [2, 1, 1, 1, 1, 3]]], // more dimensions than a fused kernel takes
    ];
    for (const [shape, inputShapes] of layouts) {
      for (let seed = 1; seed <= 12; seed++) {
        const build = chain(seed * 7919 + shape.length, shape, inputShapes, 3 + (seed % 4) * 6);
        const unfused = await runWith(false, build);
        const fused = await runWith(true, build);
        expect(fused.dispatches).toBeGreaterThan(0);
        expect({ shape, seed, bits: fused.bits }).toEqual({ shape, seed, bits: unfused.bits });
      }
    }
  });

  it('computes the inputs of a group past 256 ops or 16 distinct scalars first, and still gives the same bits', async () => {
    const long = () => {
      let y = gg.tensor([0.5, -2, 3, Number.NaN, 7, -0]);
      for (let k = 0; k < 600; k++) y = k % 2 ? y.mul(1.01) : y.tanh();
      return y;
    };
    const varied = () => {
      let y = gg.tensor([0.5, -2, 3, Number.NaN, 7, -0]);
      for (let k = 0; k < 40; k++) y = y.mul(1 + k / 100);
      return y;
    };
    for (const build of [long, varied]) {
      const unfused = await runWith(false, build);
      const fused = await runWith(true, build);
      expect(fused.dispatches).toBe(3);
      expect(fused.bits).toEqual(unfused.bits);
    }
  });

  it('keeps an input alive for a pending tensor when the input is disposed first', async () => {
    gg.setFusion(true);
    const baseline = live();
    const x = gg.tensor([1, 2, 3]);
    const doubled = x.mul(2);
    const y = doubled.add(1);
    x.dispose();
    doubled.dispose();
    expect(live()).toBe(baseline + 1); // x's buffer, held by y's expression
    expect(Array.from(await y.data())).toEqual([3, 5, 7]);
    y.dispose();
    expect(live()).toBe(baseline);
  });

  it('never computes a pending tensor disposed first, and frees only what it holds', () => {
    gg.setFusion(true);
    const x = gg.tensor([1, 2, 3]);
    const baseline = live();
    const before = dispatches();
    const y = x.exp().add(1);
    y.dispose();
    expect(dispatches()).toBe(before);
    expect(live()).toBe(baseline);
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });

  it('returns live buffers to their baseline after scopes of fused ops', async () => {
    gg.setFusion(true);
    const baseline = live();
    const x = gg.tensor([1, -2, 3, 4, 5, 6, 7]);
    const kept = gg.scope(() => {
      const inner = gg.tensor([2]);
      return x.mul(inner).relu().sub(gg.full([1], 3));
    });
    expect(kept.isPending).toBe(false); // computed at the end of its scope
    expect(live()).toBe(baseline + 2); // x and the result
    expect(Array.from(await kept.data())).toEqual([-1, -3, 3, 5, 7, 9, 11]);
    kept.dispose();
    x.dispose();
    expect(live()).toBe(baseline);
  });

  it('computes pending readers of a tensor before an in-place write to it', async () => {
    gg.setFusion(true);
    const x = gg.tensor([1, 2, 3]);
    const y = x.mul(10);
    const replacement = gg.tensor([7, 8, 9]);
    x.assign(replacement);
    expect(y.isPending).toBe(false);
    expect(Array.from(await y.data())).toEqual([10, 20, 30]);

    const p = gg.tensor([1, 1]).requiresGrad_();
    const z = gg.noGrad(() => p.mul(3));
    p.grad = gg.tensor([1, 1]);
    new gg.optim.SGD([p], { lr: 0.5 }).step();
    expect(Array.from(await z.data())).toEqual([3, 3]);
    expect(Array.from(await p.data())).toEqual([0.5, 0.5]);
    for (const t of [x, y, replacement, p, z]) t.dispose();
  });

  it('gives the same gradients fused and unfused, broadcasting included', async () => {
    const gradients = async (fusion: boolean) => {
      gg.setFusion(fusion);
      const a = gg.tensor([[0.5, -1, 2, Number.POSITIVE_INFINITY], [3, -0.25, 0, 1.5], [-2, 4, 0.1, -3]]).requiresGrad_();
      const b = gg.tensor([0.3, -0.7, 1.1, 2]).requiresGrad_();
      gg.scope(() => {
        const y = a.mul(b).tanh().add(a.sigmoid().mul(b.exp())).pow(2).div(b.abs().add(1));
        gg.where(y.gt(1), y.sqrt(), y.mul(-0.5)).gelu().sum().backward();
      });
      const result = [await bitsOf(a.grad!), await bitsOf(b.grad!)];
      a.dispose();
      b.dispose();
      return result;
    };
    expect(await gradients(true)).toEqual(await gradients(false));
  });

  it('still refuses a backward that would read a saved tensor changed in place', () => {
    gg.setFusion(true);
    const w = gg.tensor([1, 2, 3]).requiresGrad_();
    const x = gg.tensor([4, 5, 6]);
    gg.scope(() => {
      const loss = w.mul(x).exp().sum();
      gg.noGrad(() => x.assign(gg.tensor([0, 0, 0])));
      expect(() => loss.backward()).toThrow(/modified by an in-place operation: mul's saved tensor \[3\] f32 is at version 1; expected version 0/);
    });
    w.dispose();
    x.dispose();
  });
});
