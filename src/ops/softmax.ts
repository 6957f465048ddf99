// softmax and logSoftmax along any axis, each one fused kernel (shaders/softmax.wgsl): per line, one
// pass for the running maximum and the sum of exp(x - max), one pass to write, so values of 1000 give
// no overflow. x is viewed as [outer, k, inner] with k the softmax axis, so the last axis (rows) and
// any other axis (columns, neighbouring invocations reading neighbouring addresses) both run without
// a transposing copy. The backward rules are fused kernels too (shaders/softmax_grad.wgsl), written
// again with tensor ops for when the backward pass is itself recorded (gradients of gradients).
// Two rungs for the last axis (src/ops/row-variant.ts): 'line', one invocation per line along any axis
// (four lines per invocation as a vec4 when they fit), and 'workgroup', one workgroup per row.

import { fusedOrComposed, record } from '../autograd.js';
import { runtime } from '../context.js';
import type { KernelBuffers } from '../gpu/runtime.js';
import { Tensor, shapeSize } from '../tensor.js';
import { defineMethods } from './methods.js';
import { assertDtype, grid1d, normalizeAxis, opError } from './shape.js';
import { resolveRowVariant, workgroupPerRow, type RowVariant, type RowVariantOptions } from './row-variant.js';
import { exp, mul, sub } from './elementwise.js';
import { sum } from './reduce.js';
import * as wgsl from '../gpu/shaders.generated.js';

const WORKGROUP_SIZE = 64;

/** x viewed as [outer, k, inner] around `axis`. */
function linesAround(x: Tensor, axis: number): { outer: number; k: number; inner: number } {
  return { outer: shapeSize(x.shape.slice(0, axis)), k: x.shape[axis] ?? 1, inner: shapeSize(x.shape.slice(axis + 1)) };
}

type Op = 'softmax' | 'log_softmax';

/** Launches a softmax shader's `variant` over the lines of `like` along `axis`, with the shared Params of both softmax shaders. */
function lineLaunch<B extends string>(shader: wgsl.Shader<wgsl.SoftmaxParams, B>, op: Op, like: Tensor, axis: number, variant: RowVariant, buffers: KernelBuffers<B>): void {
  const { outer, k, inner } = linesAround(like, axis);
  if (variant === 'workgroup') {
    const { workgroups, size } = workgroupPerRow(outer, k);
    runtime().dispatch({
      shader,
      entryPoint: 'rows',
      template: { OP: op, T: 'f32' },
      constants: { WG: size },
      params: { outer, k, inner },
      buffers,
      workgroups,
    });
    return;
  }
  // Four neighbouring lines per invocation when they fit a vec4.
  const wide = inner % 4 === 0;
  const lanes = wide ? inner / 4 : inner;
  runtime().dispatch({
    shader,
    template: { OP: op, T: wide ? 'vec4<f32>' : 'f32' },
    constants: { WG: WORKGROUP_SIZE },
    params: { outer, k, inner: lanes },
    buffers,
    workgroups: grid1d(outer * lanes, WORKGROUP_SIZE),
  });
}

function forwardKernel(name: 'softmax' | 'logSoftmax', op: Op, x: Tensor, axis: number, options: RowVariantOptions): { out: Tensor; axis: number; variant: RowVariant } {
  x.assertAlive(name);
  assertDtype(name, x, ['f32']);
  const a = normalizeAxis(name, axis, x.rank, x.shape);
  const { k, inner } = linesAround(x, a);
  // Only rows (the last axis) have the 'workgroup' rung, so other axes take 'line' unless told otherwise.
  const variant = resolveRowVariant(name, options.variant ?? (inner === 1 ? undefined : 'line'), k, [x]);
  if (variant === 'workgroup' && inner !== 1) throw opError(name, `variant 'workgroup' runs along the last axis only, got axis ${axis}`, [x]);
  const out = Tensor.empty(x.shape, 'f32');
  if (out.size > 0) lineLaunch(wgsl.softmax, op, x, a, variant, { x: x.buffer, out: out.buffer });
  return { out, axis: a, variant };
}

/** The fused backward kernel: dx from the forward output y and the output gradient g, on the forward's rung. */
function backwardKernel(op: Op, y: Tensor, g: Tensor, axis: number, variant: RowVariant): Tensor {
  const dx = Tensor.empty(y.shape, 'f32');
  if (dx.size > 0) lineLaunch(wgsl.softmax_grad, op, y, axis, variant, { y: y.buffer, g: g.buffer, dx: dx.buffer });
  return dx;
}

/** exp(x) / sum(exp(x)) along `axis` (default: the last). */
export function softmax(x: Tensor, axis = -1, options: RowVariantOptions = {}): Tensor {
  const { out, axis: a, variant } = forwardKernel('softmax', 'softmax', x, axis, options);
  // dx = y * (g - sum(g * y))
  return record('softmax', [x], out, fusedOrComposed(
    (g) => [backwardKernel('softmax', out, g, a, variant)],
    (g) => [mul(out, sub(g, sum(mul(g, out), a, true)))],
  ));
}

/** x - logsumexp(x) along `axis` (default: the last), without forming exp(x). */
export function logSoftmax(x: Tensor, axis = -1, options: RowVariantOptions = {}): Tensor {
  const { out, axis: a, variant } = forwardKernel('logSoftmax', 'log_softmax', x, axis, options);
  // dx = g - softmax(x) * sum(g), with softmax(x) = exp(y)
  return record('logSoftmax', [x], out, fusedOrComposed(
    (g) => [backwardKernel('log_softmax', out, g, a, variant)],
    (g) => [sub(g, mul(exp(out), sum(g, a, true)))],
  ));
}

declare module '../tensor.js' {
  interface Tensor {
    /** exp(x) / sum(exp(x)) along `axis` (default: the last), numerically stable. */
    softmax(axis?: number, options?: RowVariantOptions): Tensor;
    /** log(softmax(x)) along `axis` (default: the last), computed as x - logsumexp(x). */
    logSoftmax(axis?: number, options?: RowVariantOptions): Tensor;
  }
}

defineMethods({ softmax, logSoftmax });
