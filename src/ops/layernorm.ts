// layerNorm (PyTorch's F.layer_norm) as one fused kernel each way. x is viewed as [rows, D], D being
// the size of normalizedShape (x's trailing dimensions). shaders/layernorm.wgsl normalises each row
// and keeps its (mean, 1/std); shaders/layernorm_grad.wgsl turns the output gradient into the input
// gradient and, when the weight needs one, the terms g * xhat whose row sums are the weight's
// gradient (the bias's is the row sum of g): one kernel forward, one kernel and two column sums
// backward, where the same function written with tensor ops takes about 10 and 25. As in
// src/ops/softmax.ts, the backward rule falls back to tensor ops when the backward pass is itself
// recorded (createGraph), so gradients of gradients work. The LayerNorm module (src/nn/layer-norm.ts)
// calls it. Both kernels have the two rungs of src/ops/row-variant.ts: one invocation per row, or one
// workgroup per row.

import { isGradEnabled, record, sumTo } from '../autograd.js';
import { runtime } from '../context.js';
import { Tensor, formatShape, shapeSize } from '../tensor.js';
import { reshape } from './movement.js';
import { mean, sum } from './reduce.js';
import { assertDtype, grid1d, opError, sameShape } from './shape.js';
import { resolveRowVariant, workgroupPerRow, type RowVariant, type RowVariantOptions } from './row-variant.js';
import * as wgsl from '../gpu/shaders.generated.js';

const WORKGROUP_SIZE = 64;

/** Template values for rows of `width` f32 values: vec4 loads when the row length allows. */
function rowLayout(width: number): { template: { T: string; TOTAL: string }; lanes: number } {
  return width % 4 === 0
    ? { template: { T: 'vec4<f32>', TOTAL: 'dot(v, vec4<f32>(1.0))' }, lanes: 4 }
    : { template: { T: 'f32', TOTAL: 'v' }, lanes: 1 };
}

/** The workgroups and WG of a launch over `rows` rows of `steps` loads each, on `variant`'s rung. */
function rowGrid(variant: RowVariant, rows: number, steps: number): { workgroups: [number, number]; size: number } {
  return variant === 'workgroup' ? workgroupPerRow(rows, steps) : { workgroups: grid1d(rows, WORKGROUP_SIZE), size: WORKGROUP_SIZE };
}

/** normalizedShape as a list of positive integers, matching x's trailing dimensions. */
function resolveNormalizedShape(x: Tensor, normalizedShape: number | readonly number[], inputs: Tensor[]): number[] {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw opError('layerNorm', `normalizedShape must be a non-empty list of positive integers, got ${formatShape(shape)}`, inputs);
  }
  if (x.rank < shape.length || !sameShape(x.shape.slice(x.rank - shape.length), shape)) {
    throw opError('layerNorm', `the input's trailing dimensions must equal normalizedShape ${formatShape(shape)}`, inputs);
  }
  return shape;
}

/**
 * Normalises over the trailing dimensions given by `normalizedShape`: (x - mean) / sqrt(var + eps)
 * with the biased variance, then times `weight` and plus `bias` (each of normalizedShape, optional).
 * `options.variant` picks the kernels' rung (src/ops/row-variant.ts; default: the automatic choice).
 */
export function layerNorm(
  x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5, options: RowVariantOptions = {},
): Tensor {
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  for (const t of inputs) {
    t.assertAlive('layerNorm');
    assertDtype('layerNorm', t, ['f32']);
  }
  const shape = resolveNormalizedShape(x, normalizedShape, inputs);
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && !sameShape(t.shape, shape)) throw opError('layerNorm', `${name} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`, inputs);
  }
  if (!(eps >= 0 && Number.isFinite(eps))) throw new Error(`layerNorm: eps must be a finite number >= 0, got ${eps}`);
  const width = shapeSize(shape);
  const rows = x.size / width;
  const { template, lanes } = rowLayout(width);
  const variant = resolveRowVariant('layerNorm', options.variant, width, inputs);

  const out = Tensor.empty(x.shape, 'f32');
  const stats = Tensor.empty([rows, 2], 'f32');
  if (rows > 0) {
    const { workgroups, size } = rowGrid(variant, rows, width / lanes);
    runtime().dispatch({
      shader: wgsl.layernorm,
      entryPoint: variant === 'workgroup' ? 'rows' : 'main',
      template,
      constants: { WG: size, HAS_WEIGHT: weight ? 1 : 0, HAS_BIAS: bias ? 1 : 0 },
      params: { rows, width: width / lanes, inv_count: 1 / width, eps },
      // Without a weight or a bias the kernel skips it (HAS_WEIGHT, HAS_BIAS); x stands in.
      buffers: { x: x.buffer, weight: (weight ?? x).buffer, bias: (bias ?? x).buffer, y: out.buffer, stats: stats.buffer },
      workgroups,
    });
  }
  const result = record('layerNorm', inputs, out, (g) => {
    const grads = isGradEnabled() ? recordedBackward(x, shape, weight, bias, eps, g) : fusedBackward(x, shape, weight, bias, stats, g, variant);
    return [grads.dx, ...(weight ? [grads.dWeight] : []), ...(bias ? [grads.dBias] : [])];
  });
  if (!result.requiresGrad) stats.dispose();
  return result;
}

interface LayerNormGrads {
  dx: Tensor | null;
  dWeight: Tensor | null;
  dBias: Tensor | null;
}

/** The backward pass with shaders/layernorm_grad.wgsl (nothing recorded), on the forward's rung. */
function fusedBackward(x: Tensor, shape: number[], weight: Tensor | null, bias: Tensor | null, stats: Tensor, g: Tensor, variant: RowVariant): LayerNormGrads {
  const width = shapeSize(shape);
  const rows = x.size / width;
  const { template, lanes } = rowLayout(width);
  const dx = Tensor.empty(x.shape, 'f32');
  const gXhat = weight?.requiresGrad ? Tensor.empty([rows, width], 'f32') : null;
  if (rows > 0) {
    const { workgroups, size } = rowGrid(variant, rows, width / lanes);
    runtime().dispatch({
      shader: wgsl.layernorm_grad,
      entryPoint: `${variant === 'workgroup' ? 'rows_' : ''}${gXhat ? 'input_and_weight_grad' : 'input_grad'}`,
      template,
      constants: { WG: size, HAS_WEIGHT: weight ? 1 : 0 },
      params: { rows, width: width / lanes, inv_count: 1 / width },
      buffers: { x: x.buffer, weight: (weight ?? x).buffer, stats: stats.buffer, g: g.buffer, dx: dx.buffer, g_xhat: gXhat?.buffer },
      workgroups,
    });
  }
  const rowSums = (t: Tensor) => reshape(sum(reshape(t, [rows, width]), 0), shape);
  const dWeight = gXhat ? rowSums(gXhat) : null;
  gXhat?.dispose();
  return { dx, dWeight, dBias: bias?.requiresGrad ? rowSums(g) : null };
}

/** The same rules with tensor ops, so that the backward pass can itself be differentiated. */
function recordedBackward(x: Tensor, shape: number[], weight: Tensor | null, bias: Tensor | null, eps: number, g: Tensor): LayerNormGrads {
  const axes = shape.map((_, i) => x.rank - shape.length + i);
  const centered = x.sub(mean(x, axes, true));
  const rstd = mean(centered.square(), axes, true).add(eps).rsqrt();
  const xhat = centered.mul(rstd);
  const gw = weight ? g.mul(weight) : g;
  // dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))
  const dx = rstd.mul(gw.sub(mean(gw, axes, true)).sub(xhat.mul(mean(gw.mul(xhat), axes, true))));
  return {
    dx,
    dWeight: weight ? sumTo(g.mul(xhat), shape) : null,
    dBias: bias ? sumTo(g, shape) : null,
  };
}
