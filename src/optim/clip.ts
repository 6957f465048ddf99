// Global-norm gradient clipping (PyTorch's clip_grad_norm_) without reading the GPU back: per-tensor
// partial norms (shaders/optim_grad_norm.wgsl) land in one buffer, a reduction over it gives the
// total norm on the GPU, and a scaling kernel (shaders/optim_clip.wgsl) reads that norm to scale
// every gradient in place by min(1, maxNorm / (norm + 1e-6)). Value clipping (clip_grad_value_) clamps
// each gradient in place.

import { runtime } from '../context.js';
import { zeros } from '../ops/creation.js';
import { assign } from '../ops/assign.js';
import { noGrad } from '../autograd.js';
import { clamp, sqrt } from '../ops/elementwise.js';
import { reshape } from '../ops/movement.js';
import { reduceRows } from '../ops/reduce.js';
import { grid1d, opError } from '../ops/shape.js';
import { Tensor, scope } from '../tensor.js';
import { runsOf } from '../gpu/arena.js';
import type { BufferRef } from '../gpu/runtime.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** About how many vec4s of a gradient one invocation of the partial-norm kernel folds (1024 elements). */
const VEC4S_PER_PARTIAL = 256;
const NORM_WORKGROUP_SIZE = 64;

/** Options of `clipGradNorm`. */
export interface ClipGradNormOptions {
  /** 2 (the Euclidean norm of all gradients as one vector) or Infinity (the largest |g|). */
  normType?: number;
}

/** The f32 gradients of `parameters` (those without one, or empty, skipped), checked for `op`. */
function gradientsOf(op: string, parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const params = parameters instanceof Tensor ? [parameters] : [...parameters];
  const grads: Tensor[] = [];
  for (const param of params) {
    if (!(param instanceof Tensor)) throw new Error(`${op}: parameters must be tensors, got ${String(param)}`);
    const grad = param.grad;
    if (!grad || grad.size === 0) continue;
    grad.assertAlive(op);
    if (grad.dtype !== 'f32') throw opError(op, 'gradients must be f32', [grad]);
    grads.push(grad);
  }
  return grads;
}

/**
 * Clamps the gradients of `parameters` in place into [-clipValue, clipValue] (PyTorch's
 * clip_grad_value_); a NaN gradient stays NaN. Parameters without a gradient are skipped. Nothing waits
 * for the GPU.
 */
export function clipGradValue(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new Error(`clipGradValue: clipValue must be a number >= 0, got ${clipValue}`);
  const grads = gradientsOf('clipGradValue', parameters);
  noGrad(() =>
    scope(() => {
      // Gradients that share a buffer (reshape views of one another) are clamped once; those side by side in
      // an optimizer's arena, a run at a time (the zeros between them stay zeros).
      const clamped = new Set<BufferRef>();
      for (const run of runsOf(grads)) {
        if (clamped.has(run.buffer)) continue;
        clamped.add(run.buffer);
        // assign bumps its target's version; a run's range is a tensor of its own, so its gradients' go by hand.
        const target = run.arena ? Tensor.inArena([run.n], 'f32', run.arena, run.first, run.last) : run.tensors[0];
        if (run.arena) for (const grad of run.tensors) grad.bumpVersion();
        assign(target, clamp(target, -clipValue, clipValue));
      }
    }),
  );
}

/**
 * Scales the gradients of `parameters` in place so that their global norm is at most `maxNorm`, and
 * returns that norm (before clipping) as a 0-d tensor; `await norm.item()` reads it when needed.
 * Parameters without a gradient are skipped. Nothing waits for the GPU.
 */
export function clipGradNorm(parameters: Tensor | Iterable<Tensor>, maxNorm: number, options: ClipGradNormOptions = {}): Tensor {
  const normType = options.normType ?? 2;
  if (normType !== 2 && normType !== Infinity) {
    throw new Error(`clipGradNorm: normType ${normType} is not supported (2 or Infinity)`);
  }
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be a number >= 0, got ${maxNorm}`);
  const grads = gradientsOf('clipGradNorm', parameters);
  if (grads.length === 0) return zeros([]);

  return scope(() => {
    // Gradients side by side in an optimizer's arena (src/optim/optimizer.ts) go a run at a time: the zeros
    // between them add nothing to the norm and stay zeros when scaled.
    const runs = runsOf(grads);
    const partialCounts = runs.map((run) => Math.ceil(Math.ceil(run.n / 4) / VEC4S_PER_PARTIAL));
    const partials = Tensor.empty([partialCounts.reduce((a, b) => a + b, 0)]);
    let firstPartial = 0;
    runs.forEach((run, k) => {
      runtime().dispatch({
        shader: wgsl.optim_grad_norm,
        entryPoint: normType === 2 ? 'sum_squares' : 'max_abs',
        constants: { WG: NORM_WORKGROUP_SIZE },
        params: { n: run.n, partials: partialCounts[k], first_partial: firstPartial },
        buffers: { grad: run.buffer, out: partials.buffer },
        workgroups: grid1d(partialCounts[k], NORM_WORKGROUP_SIZE),
      });
      firstPartial += partialCounts[k];
    });
    const total = reduceRows(partials, 1, partials.size, normType === 2 ? 'sum' : 'max');
    const norm = reshape(normType === 2 ? sqrt(total) : total, []);
    // Gradients that share a buffer (reshape views of one another) are scaled once.
    const scaled = new Set<BufferRef>();
    for (const run of runs) {
      if (scaled.has(run.buffer)) continue;
      scaled.add(run.buffer);
      for (const grad of run.tensors) grad.bumpVersion(); // scaled in place
      runtime().dispatch({
        shader: wgsl.optim_clip,
        params: { n: run.n, max_norm: maxNorm },
        buffers: { grad: run.buffer, total_norm: norm.buffer },
        workgroups: grid1d(Math.ceil(run.n / 4), 256),
      });
    }
    return norm;
  });
}
