// layerNorm (PyTorch's F.layer_norm) as one fused kernel each way. x is viewed as [rows, D], D being
// the size of normalizedShape (x's trailing dimensions). shaders/layernorm.wgsl normalises each row
// and keeps its (mean, 1/std); shaders/layernorm_grad.wgsl turns the output gradient into the input
// gradient and, when the weight needs one, the terms g * xhat whose row sums are the weight's
// gradient (the bias's is the row sum of g): one kernel forward, one kernel and two column sums
// backward, where the same function written with tensor ops takes about 10 and 25. As in
// src/ops/softmax.ts, the backward rule falls back to tensor ops when the backward pass is itself
// recorded (createGraph), so gradients of gradients work.

import { isGradEnabled, record } from '../autograd.js';
import { runtime } from '../context.js';
import { ParamWriter } from '../gpu/runtime.js';
import { Tensor, formatShape, shapeSize } from '../tensor.js';
import { reshape } from '../ops/movement.js';
import { mean, sum, sumTo } from '../ops/reduce.js';
import { grid1d, sameShape } from '../ops/shape.js';
import { checkFloat, checkNonNegative, checkShapeOf, opError, present } from './common.js';
import * as wgsl from '../gpu/shaders.generated.js';

const WORKGROUP_SIZE = 64;

/** Template values for rows of `width` f32 values: vec4 loads when the row length allows. */
function rowLayout(width: number): { template: { T: string; TOTAL: string }; lanes: number } {
  return width % 4 === 0
    ? { template: { T: 'vec4<f32>', TOTAL: 'dot(v, vec4<f32>(1.0))' }, lanes: 4 }
    : { template: { T: 'f32', TOTAL: 'v' }, lanes: 1 };
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
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const inputs = present([x, weight, bias]);
  checkFloat('layerNorm', inputs);
  const shape = resolveNormalizedShape(x, normalizedShape, inputs);
  checkShapeOf('layerNorm', 'weight', weight, shape, inputs);
  checkShapeOf('layerNorm', 'bias', bias, shape, inputs);
  checkNonNegative('layerNorm', 'eps', eps);
  const width = shapeSize(shape);
  const rows = x.size / width;
  const { template, lanes } = rowLayout(width);

  const out = Tensor.empty(x.shape, 'f32');
  const stats = Tensor.empty([rows, 2], 'f32');
  if (rows > 0) {
    runtime().dispatch({
      shader: wgsl.layernorm,
      template,
      constants: { WG: WORKGROUP_SIZE, HAS_WEIGHT: weight ? 1 : 0, HAS_BIAS: bias ? 1 : 0 },
      params: new ParamWriter().u32(rows).u32(width / lanes).f32(1 / width).f32(eps).finish(),
      buffers: [x.buffer, (weight ?? x).buffer, (bias ?? x).buffer, out.buffer, stats.buffer],
      workgroups: grid1d(rows, WORKGROUP_SIZE),
    });
  }
  const result = record('layerNorm', inputs, out, (g) => {
    const grads = isGradEnabled() ? recordedBackward(x, shape, weight, bias, eps, g) : fusedBackward(x, shape, weight, bias, stats, g);
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

/** The backward pass with shaders/layernorm_grad.wgsl (nothing recorded). */
function fusedBackward(x: Tensor, shape: number[], weight: Tensor | null, bias: Tensor | null, stats: Tensor, g: Tensor): LayerNormGrads {
  const width = shapeSize(shape);
  const rows = x.size / width;
  const { template, lanes } = rowLayout(width);
  const dx = Tensor.empty(x.shape, 'f32');
  const gXhat = weight?.requiresGrad ? Tensor.empty([rows, width], 'f32') : null;
  if (rows > 0) {
    runtime().dispatch({
      shader: wgsl.layernorm_grad,
      entryPoint: gXhat ? 'input_and_weight_grad' : 'input_grad',
      template,
      constants: { WG: WORKGROUP_SIZE, HAS_WEIGHT: weight ? 1 : 0 },
      params: new ParamWriter().u32(rows).u32(width / lanes).f32(1 / width).finish(),
      buffers: [x.buffer, (weight ?? x).buffer, stats.buffer, g.buffer, dx.buffer, ...(gXhat ? [gXhat.buffer] : [])],
      workgroups: grid1d(rows, WORKGROUP_SIZE),
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
