// One helper that checks an op the way every op is checked: run it on the GPU and in the float64
// reference (tests/helpers/reference.ts), compare values; then compare the GPU backward pass with a
// central finite-difference gradient of the reference, twice: as backward() runs it (fused backward
// rules take their one-kernel path) and recorded with createGraph (they take their composed path, see
// fusedOrComposed); and assert that no GPU buffer leaked.

import { expect } from 'vitest';
import { Tensor, grad, runtime, scope, tensor } from '../../src/index.js';
import { random, ref, rng, type Ref } from './reference.js';

export interface OpCheck {
  /** The op on the GPU, given one tensor per input. */
  gpu: (...inputs: Tensor[]) => Tensor;
  /** The same op in float64. */
  ref: (...inputs: Ref[]) => Ref;
  /** Inputs: shapes (random values in [-1, 1)) or explicit reference arrays. */
  inputs: (readonly number[] | Ref)[];
  /** Which inputs get a gradient check (default: all when grad is on). */
  gradInputs?: number[];
  grad?: boolean;
  seed?: number;
  /** Forward tolerance: |gpu - ref| <= atol + rtol * |ref|. */
  atol?: number;
  rtol?: number;
  gradAtol?: number;
  gradRtol?: number;
  /** Finite-difference step on the float64 reference. */
  eps?: number;
  /** Input value range for shapes given as inputs. */
  range?: [number, number];
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    const bothNaN = Number.isNaN(e) && Number.isNaN(a);
    const sameInf = !Number.isFinite(e) && !Number.isNaN(e) && a === e;
    if (bothNaN || sameInf) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Central differences of L(x) = sum(ref(x) * weights) with respect to input k. */
function numericGradient(f: OpCheck['ref'], inputs: Ref[], k: number, weights: Float64Array, eps: number): Float64Array {
  const g = new Float64Array(inputs[k].data.length);
  const loss = () => {
    const out = f(...inputs);
    let s = 0;
    for (let i = 0; i < out.data.length; i++) s += out.data[i] * weights[i];
    return s;
  };
  const x = inputs[k].data;
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + eps;
    const up = loss();
    x[i] = saved - eps;
    const down = loss();
    x[i] = saved;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

export async function checkOp(spec: OpCheck): Promise<void> {
  const next = rng(spec.seed ?? 1234);
  const [lo, hi] = spec.range ?? [-1, 1];
  const refs = spec.inputs.map((s) => ('data' in s ? s : random(s as number[], next, lo, hi)));
  const expected = spec.ref(...refs);
  const doGrad = spec.grad ?? true;
  const gradInputs = spec.gradInputs ?? (doGrad ? refs.map((_, i) => i) : []);
  const weights = new Float64Array(expected.data.length).map(() => Math.fround(next() * 2 - 1));

  const before = runtime().memory().liveBuffers;
  const { out, grads, recordedGrads } = await (async () => {
    const inputs = refs.map((r, i) => tensor(Float32Array.from(r.data), r.shape, { requiresGrad: gradInputs.includes(i) }));
    const weighted = (y: Tensor) => y.mul(tensor(Float32Array.from(weights), y.shape)).sum();
    const result = scope(() => {
      const y = spec.gpu(...inputs);
      if (gradInputs.length) weighted(y).backward();
      return y;
    });
    const recorded = gradInputs.length ? scope(() => grad(weighted(spec.gpu(...inputs)), gradInputs.map((i) => inputs[i]), undefined, { createGraph: true }).map((g) => g.keep())) : [];
    const values = {
      out: await result.data(),
      outShape: result.shape,
      grads: await Promise.all(gradInputs.map((i) => inputs[i].grad?.data())),
      recordedGrads: await Promise.all(recorded.map((g) => g.data())),
    };
    result.dispose();
    for (const g of recorded) g.dispose();
    for (const t of inputs) t.dispose();
    expect([...values.outShape], 'output shape').toEqual(expected.shape);
    return values;
  })();
  expectClose(out, expected.data, spec.atol ?? 1e-5, spec.rtol ?? 1e-4, 'forward');
  gradInputs.forEach((k, j) => {
    const g = grads[j];
    if (!g) expect.fail(`input ${k} received no gradient`);
    const numeric = numericGradient(spec.ref, refs.map((r) => ({ shape: r.shape, data: Float64Array.from(r.data) })), k, weights, spec.eps ?? 1e-6);
    expectClose(g!, numeric, spec.gradAtol ?? 1e-4, spec.gradRtol ?? 1e-3, `gradient of input ${k}`);
    expectClose(recordedGrads[j], numeric, spec.gradAtol ?? 1e-4, spec.gradRtol ?? 1e-3, `gradient of input ${k} with createGraph`);
  });
  expect(runtime().memory().liveBuffers, 'live GPU buffers after the check').toBe(before);
}

export { ref, random, rng };

/**
 * A normalisation's backward three ways, for `op(x, w, b)` against `composite(x)` (the same function written with tensor
 * ops): the fused kernels' gradients of x, w and b and the recorded rule's (createGraph) both equal the composite's, and
 * the second derivatives through x and w of sum(dL/dx * probe) (every second-order path of the rule) equal the
 * composite's. Disposes everything but its inputs.
 */
export async function expectNormalizationBackward(
  op: (x: Tensor, w: Tensor, b: Tensor) => Tensor, composite: (x: Tensor) => Tensor, [x, w, b]: [Tensor, Tensor, Tensor], g: Tensor,
): Promise<void> {
  const results = scope(() => {
    const fused = grad(op(x, w, b), [x, w, b], g);
    const recorded = grad(op(x, w, b), [x, w, b], g, { createGraph: true });
    const reference = grad(composite(x), [x, w, b], g, { createGraph: true });
    const probe = tensor(Float32Array.from({ length: x.size }, (_, i) => Math.sin(i)), x.shape);
    const second = grad(recorded[0].mul(probe).sum(), [x, w]);
    const secondReference = grad(reference[0].mul(probe).sum(), [x, w]);
    return [...fused, ...recorded, ...reference, ...second, ...secondReference];
  });
  const values = await Promise.all(results.map((t) => t.data()));
  for (let i = 0; i < 3; i++) {
    expectClose(values[i], values[6 + i], 1e-5, 1e-4, `fused gradient ${i}`);
    expectClose(values[3 + i], values[6 + i], 1e-5, 1e-4, `recorded gradient ${i}`);
  }
  for (let i = 0; i < 2; i++) expectClose(values[9 + i], values[11 + i], 1e-4, 1e-3, `second derivative ${i}`);
  for (const t of results) t.dispose();
}
