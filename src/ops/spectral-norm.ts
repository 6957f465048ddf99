// Power iteration for spectral normalisation (Miyato et al., 2018): refines the left and right
// singular-vector estimates u, v of a weight matrix in place, in one dispatch of
// shaders/spectral_norm.wgsl, so that uᵀ W v estimates the largest singular value σ(W).

import { runtime } from '../context.js';
import { formatShape, type Tensor } from '../tensor.js';
import * as wgsl from '../gpu/shaders.generated.js';

const POWER_ITERATION_WORKGROUP = 256;

/**
 * Runs `iterations` steps of power iteration on w viewed as [rows, cols], updating u [rows] and
 * v [cols] in place on the GPU (one dispatch). Afterwards uᵀ w v estimates w's largest singular value.
 */
export function powerIteration(w: Tensor, u: Tensor, v: Tensor, iterations = 1, eps = 1e-12): void {
  const owner = 'powerIteration';
  for (const t of [w, u, v]) t.assertAlive(owner);
  const rows = w.shape[0];
  const cols = w.size / rows;
  if (w.dtype !== 'f32' || u.dtype !== 'f32' || v.dtype !== 'f32' || w.rank < 2 || u.size !== rows || v.size !== cols) {
    throw new Error(
      `${owner}: expected f32 w [rows, ...] with u [rows] and v [cols = size / rows], got w ${formatShape(w.shape)} ${w.dtype}, ` +
        `u ${formatShape(u.shape)} ${u.dtype}, v ${formatShape(v.shape)} ${v.dtype}`,
    );
  }
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`${owner}: iterations must be a positive integer, got ${iterations}`);
  runtime().dispatch({
    shader: wgsl.spectral_norm,
    constants: { WG: POWER_ITERATION_WORKGROUP },
    params: { rows, cols, iterations, eps },
    buffers: { w: w.buffer, u: u.buffer, v: v.buffer },
    workgroups: [1],
  });
}
