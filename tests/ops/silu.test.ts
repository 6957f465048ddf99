// silu (x * sigmoid(x)) against float64: values and finite-difference gradients on both kernel layouts
// (vec4 and scalar lanes) with fusion on and off, PyTorch's NaN and infinity results, the same bits
// fused and unfused (forward and gradient), second derivatives through createGraph, the functional
// and module forms, and live buffers back to baseline.
import { afterEach, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { map } from '../helpers/reference.js';

const fusionAtStart = gg.isFusionEnabled();
afterEach(() => gg.setFusion(fusionAtStart));

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
/** PyTorch's x / (1 + exp(-x)) in float64: NaN at -inf (-inf / inf), inf at inf. */
const silu = (v: number) => v / (1 + Math.exp(-v));
const siluDerivative = (v: number) => sigmoid(v) * (1 + v * (1 - sigmoid(v)));
const f32 = Math.fround;

/** The bit patterns of a tensor's values (NaN, -0 and infinities compare exactly). */
async function bitsOf(t: gg.Tensor): Promise<Uint32Array> {
  return new Uint32Array((await t.data()).buffer.slice(0));
}

describe('silu', () => {
  for (const fusion of [true, false]) {
    it(`values and gradients against float64 (fusion ${fusion ? 'on' : 'off'})`, async () => {
      gg.setFusion(fusion);
      for (const shape of [[1], [7], [16], [3, 5], [2, 3, 4]]) {
        await checkOp({ inputs: [shape], range: [-6, 6], gpu: (x) => x.silu(), ref: (x) => map(x, silu), atol: 2e-6, rtol: 2e-6 });
      }
    });
  }

  it('NaN, infinities, signed zeros and the tails follow PyTorch, on both layouts, fused and not', async () => {
    const xs = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 20, -20, 88, -88, 100, -100, 1e-8, -1e-8, 3e38].map(f32);
    for (const fusion of [true, false]) {
      gg.setFusion(fusion);
      for (const length of [xs.length, xs.length + 1]) {
        const x = gg.tensor(Float32Array.from({ length }, (_, i) => xs[i] ?? 0), [length]);
        const y = gg.scope(() => x.silu());
        const values = (await y.data()).slice(0, xs.length);
        // atol: exp(-88) is subnormal, which GPUs may flush to 0 (then silu(-88) = 0 for -5e-37), as in sigmoid.
        expectClose(values, xs.map((v) => f32(silu(v))), 1e-30, 2e-6, `silu (fusion ${fusion}, ${length} values)`);
        expect(Object.is(values[4], -0), 'silu(-0) is -0').toBe(true);
        for (const t of [x, y]) t.dispose();
      }
    }
  });

  it('gradient at NaN and the infinities is NaN, as PyTorch (inf * 0), fused backward and recorded', async () => {
    const x = gg.tensor([NaN, Infinity, -Infinity, 2], { requiresGrad: true });
    gg.scope(() => x.silu().sum().backward());
    const recorded = gg.scope(() => gg.grad(x.silu().sum(), [x], undefined, { createGraph: true })[0].keep());
    for (const g of [await x.grad!.data(), await recorded.data()]) {
      expect([...g.slice(0, 3)].every(Number.isNaN)).toBe(true);
      expectClose(g.slice(3), [siluDerivative(2)], 1e-6, 1e-6, 'silu gradient at 2');
    }
    for (const t of [x, recorded]) t.dispose();
  });

  it('gives the same bits fused and unfused, forward and backward, in chains with other ops', async () => {
    const data = Float32Array.from({ length: 37 }, (_, i) => (i % 9 === 0 ? [NaN, Infinity, -Infinity, -0][i / 9] : Math.sin(i * 1.3) * 8));
    const run = async (fusion: boolean) => {
      gg.setFusion(fusion);
      const x = gg.tensor(data, [37], { requiresGrad: true });
      const y = gg.scope(() => {
        const out = x.silu().mul(1.5).add(x.sigmoid()).silu();
        out.mul(gg.tensor(Float32Array.from({ length: 37 }, (_, i) => Math.cos(i)), [37])).sum().backward();
        return out;
      });
      const bits = [await bitsOf(y), await bitsOf(x.grad!)];
      for (const t of [x, y]) t.dispose();
      return bits;
    };
    const fused = await run(true);
    const unfused = await run(false);
    expect(fused[0]).toEqual(unfused[0]);
    expect(fused[1]).toEqual(unfused[1]);
  });

  it('runs as part of one fused kernel', () => {
    gg.setFusion(true);
    const x = gg.tensor([1, 2, 3, 4]);
    // Read inside the scope: its end computes the pending result.
    const source = gg.scope(() => gg.fusedKernelSource(x.mul(2).silu().add(1)));
    expect(source).toMatch(/op_silu\(/);
    x.dispose();
  });

  it('second derivatives through createGraph', async () => {
    const xs = [-5, -1.5, -0.2, 0, 0.3, 1, 4.5];
    const x = gg.tensor(xs, { requiresGrad: true });
    const second = gg.scope(() => {
      const [dx] = gg.grad(x.silu().sum(), [x], undefined, { createGraph: true });
      return gg.grad(dx.sum(), [x])[0].keep();
    });
    const h = 1e-5;
    expectClose(await second.data(), xs.map((v) => (siluDerivative(v + h) - siluDerivative(v - h)) / (2 * h)), 1e-5, 1e-4, 'silu second derivative');
    for (const t of [x, second]) t.dispose();
  });

  it('as gg.silu, nn.functional.silu and nn.SiLU, with live buffers back to baseline', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = gg.tensor([-2, -0.5, 0, 0.5, 2]);
    const layer = new gg.nn.SiLU();
    const results = gg.scope(() => [gg.silu(x), gg.nn.functional.silu(x), layer.forward(x)]);
    for (const y of results) expectClose(await y.data(), [-2, -0.5, 0, 0.5, 2].map(silu), 1e-6, 1e-6, 'silu forms');
    const indices = gg.tensor([1], { dtype: 'i32' });
    expect(() => gg.silu(indices)).toThrow(/silu: expected dtype f32, got i32 \(inputs: \[1\] i32\)/);
    for (const t of [x, indices, ...results]) t.dispose();
    layer.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});
