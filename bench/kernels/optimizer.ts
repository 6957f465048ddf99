// The optimizer family: one Adam step over a model of about a million parameters held in 32 tensors
// (16 layers of 256 x 256 weights and 256 biases), with the parameters side by side (foreach, the
// default: one launch per run) and one launch per parameter ({ foreach: false }). Checked against
// Adam's first step in float64, p - lr * g / (|g| + eps); the throughput counts the bytes Adam moves
// (parameter, gradient and two moments read, three written). No peer: the others' optimizers run
// inside their training steps (the training-step rows).
// Alone, in Node: `npx tsx bench/kernels/optimizer.ts [--quick]`.

import * as gg from '../../src/index.js';
import { isEntryPoint, upload, type Case } from '../harness/cases.js';
import { HostRandom, type HostTensor, type Prepared } from '../harness/harness.js';
import { settledIteration } from '../harness/timing.js';

const LR = 1e-3;
const EPS = 1e-8;

/** The model's tensors: `layers` weights of [width, width] and biases of [width]. */
function modelShapes(layers: number, width: number): number[][] {
  return Array.from({ length: layers }, () => [[width, width], [width]]).flat();
}

/** Adam over parameters `values` with gradients `grads`, set up to step again and again. */
function adamSteps(values: HostTensor[], grads: HostTensor[], foreach: boolean): Prepared {
  const params = values.map((v) => upload(v).requiresGrad_());
  params.forEach((p, i) => (p.grad = upload(grads[i])));
  const optimizer = new gg.optim.Adam(params, { lr: LR, eps: EPS, foreach });
  // A view of a parameter stands for the step's result: waiting for it waits for the update.
  const last = params[params.length - 2];
  const step = () => {
    optimizer.step();
    return last.reshape([last.size]);
  };
  return {
    async check() {
      optimizer.step();
      const all = gg.scope(() => gg.cat(params.map((p) => p.reshape([p.size])), 0));
      const values = await all.data();
      all.dispose();
      return values;
    },
    iterate: settledIteration(step),
    dispose() {
      optimizer.dispose();
      for (const p of params) p.dispose();
    },
  };
}

/** One Adam step over a model of `layers` layers of `width`. */
function adamCase(layers: number, width: number, random: HostRandom): Case {
  const shapes = modelShapes(layers, width);
  const values = shapes.map((shape) => random.uniform(shape));
  const grads = shapes.map((shape) => random.uniform(shape));
  const n = values.reduce((sum, v) => sum + v.data.length, 0);
  return {
    suite: 'optimizer step',
    name: `Adam on ${(n / 1e6).toFixed(2)}M parameters in ${shapes.length} tensors`,
    unit: 'GB/s',
    work: 7 * 4 * n,
    reps: 1,
    reference: () => {
      const out = new Float64Array(n);
      let at = 0;
      values.forEach((v, k) => v.data.forEach((p, i) => {
        const g = grads[k].data[i];
        out[at++] = p - (LR * g) / (Math.abs(g) + EPS);
      }));
      return { values: out, tolerance: 1e-5 };
    },
    gengpu: [
      { library: 'gengpu', role: 'gengpu', prepare: () => adamSteps(values, grads, true) },
      { library: 'gengpu, one launch per parameter (foreach: false)', role: 'variant', prepare: () => adamSteps(values, grads, false) },
    ],
    peer: 'the peers step their optimizers inside their training steps (see the training-step rows)',
  };
}

export function optimizerCases(quick: boolean): Case[] {
  const random = new HostRandom(2041);
  return quick ? [adamCase(4, 64, random)] : [adamCase(16, 256, random)];
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(optimizerCases);
