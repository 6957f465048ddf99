// The step-for-step comparison of an optimizer against a float64 reference of its PyTorch rule
// (tests/optim/reference.ts), shared by the optimizers' tests: random gradients set on .grad of
// parameters of sizes 1, 3, 17, 64 and 65 (partial and whole vec4s), every parameter compared after
// every step, the state dict's keys and values at the end, and live buffers back to baseline.
import { expect } from 'vitest';
import * as gg from '../../src/index.js';
import { expectClose } from '../helpers/check.js';
import { rng } from '../helpers/reference.js';
import type { RefState } from './reference.js';

/** Any optimizer, as the comparison drives it. */
export type Optimizer = gg.optim.Optimizer<gg.optim.GroupOptions>;

const SIZES = [1, 3, 17, 64, 65];
const ATOL = 1e-6;
const RTOL = 1e-5;

/** One comparison: the optimizer, its reference, and what changes during the run. */
export interface StepComparison {
  optimizer: (params: gg.Tensor[]) => Optimizer;
  /** The reference update of parameter k (reading the case's current settings). */
  reference: (w: Float64Array, grad: Float32Array, state: RefState, k: number) => void;
  /** Runs before step `step` (0-based): changes settings in the optimizer and the reference alike. */
  beforeStep?: (step: number, optimizer: Optimizer) => void;
  /** Whether parameter k gets a gradient at `step` (default: always). */
  hasGrad?: (step: number, k: number) => boolean;
  /** Parameter k's index in state dict keys, when groups list the parameters in another order. */
  stateIndex?: (k: number) => number;
  /** Absolute tolerance of the state buffers (default 1e-6, as the parameters'), for state that sums terms much larger than itself. */
  stateAtol?: number;
  /** Steps to compare (default 10). */
  steps?: number;
  /** Seed of the initial values and gradients (default 7). */
  seed?: number;
}

function randomF32(n: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => 2 * next() - 1);
}

/** Runs the comparison: throws at the first parameter, step or state buffer that differs. */
export async function compareSteps(spec: StepComparison): Promise<void> {
  const rt = gg.runtime();
  const baseline = rt.memory().liveBuffers;
  const next = rng(spec.seed ?? 7);
  const initial = SIZES.map((n) => randomF32(n, next));
  const params = initial.map((values) => gg.tensor(values).requiresGrad_());
  const expected = initial.map((values) => Float64Array.from(values));
  const states: RefState[] = SIZES.map(() => ({ step: 0 }));
  const optimizer = spec.optimizer(params);
  for (let step = 0; step < (spec.steps ?? 10); step++) {
    spec.beforeStep?.(step, optimizer);
    params.forEach((param, k) => {
      param.grad?.dispose();
      param.grad = null;
      if (!(spec.hasGrad?.(step, k) ?? true)) return;
      const grad = randomF32(SIZES[k], next);
      param.grad = gg.tensor(grad);
      spec.reference(expected[k], grad, states[k], k);
    });
    const readbacks = rt.counters.readbacks;
    optimizer.step();
    expect(rt.counters.readbacks, 'step() reads nothing back').toBe(readbacks);
    const values = await Promise.all(params.map((p) => p.data()));
    values.forEach((v, k) => expectClose(v, expected[k], ATOL, RTOL, `step ${step}, parameter ${k} (size ${SIZES[k]})`));
  }

  const saved = optimizer.stateDict();
  const expectedKeys: string[] = [];
  for (const [k, state] of states.entries()) {
    if (state.step === 0) continue;
    for (const [name, value] of Object.entries(state)) {
      const key = `state.${spec.stateIndex?.(k) ?? k}.${name}`;
      expectedKeys.push(key);
      const tensor = saved[key];
      expect(tensor, key).toBeDefined();
      if (name === 'step') expect(await tensor.item(), key).toBe(value);
      else expectClose(await tensor.data(), value as Float64Array, spec.stateAtol ?? ATOL, RTOL, key);
    }
  }
  expect(Object.keys(saved).sort()).toEqual(expectedKeys.sort());
  for (const t of Object.values(saved)) t.dispose();
  optimizer.dispose();
  for (const p of params) p.dispose();
  expect(rt.memory().liveBuffers).toBe(baseline);
}
