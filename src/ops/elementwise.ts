// Elementwise ops: unary math (shaders/unary.wgsl), binary ops with NumPy broadcasting
// (shaders/binary.wgsl), where (shaders/where.wgsl) and dtype casts (shaders/cast.wgsl).
// Each op's backward rule sits beside it and is written with tensor ops, so it is differentiable too.
// With fusion on (src/ops/fusion.ts), each kernel launch here becomes a node of a fused expression.

import { fusedOrComposed, record } from '../autograd.js';
import { runtime } from '../context.js';
import { Tensor, type DType } from '../tensor.js';
import { defineMethods } from './methods.js';
import {
  MAX_RANK, assertDtype, assertRank, assertSameDtype, broadcastShapes, broadcastStrides, checkDtype, collapseDims, grid1d, opError, sameShape,
} from './shape.js';
import { full } from './creation.js';
import { fuseBinary, fuseCast, fuseUnary, fuseWhere } from './fusion.js';
import * as wgsl from '../gpu/shaders.generated.js';

// ---- unary ---------------------------------------------------------------------------------------

/**
 * Runs one op_* function of unary.wgsl over every element of an f32 tensor. `alpha` is the op's scalar
 * argument, `threshold` softplus's second one; `name` is the op its errors name (default: the kernel's).
 */
function unaryKernel(op: string, x: Tensor, alpha = 0, threshold = 0, name = op): Tensor {
  x.assertAlive(name);
  assertDtype(name, x, ['f32']);
  // softplus reads a second argument that the generated kernels do not pass.
  const fused = op === 'softplus' ? null : fuseUnary(op, x, alpha, name);
  if (fused) return fused;
  const out = Tensor.empty(x.shape, 'f32');
  if (out.size > 0) {
    const lanes = x.size % 4 === 0 ? 4 : 1;
    runtime().dispatch({
      shader: wgsl.unary,
      template: { OP: `op_${op}`, ...laneTypes(lanes) },
      params: { n: x.size / lanes, alpha, threshold },
      buffers: { x: x.buffer, out: out.buffer },
      workgroups: grid1d(x.size / lanes),
    });
  }
  return out;
}

/** The float, u32, i32 and bool types with `lanes` lanes (include/ieee.wgsl's bit tests need all four). */
function laneTypes(lanes: number): { V: string; U: string; I: string; B: string } {
  const wide = (t: string) => (lanes === 4 ? `vec4<${t}>` : t);
  return { V: wide('f32'), U: wide('u32'), I: wide('i32'), B: wide('bool') };
}

// NaN, infinities and signed zeros follow PyTorch in every op here (shaders/include/ieee.wgsl says
// how): NaN propagates (relu, clamp, maximum / minimum included), comparisons with NaN are false
// except ne, and log, exp, pow, rsqrt, tanh, ... give C's special values.

/** -x, elementwise (f32). */
export function neg(x: Tensor): Tensor {
  return record('neg', [x], unaryKernel('neg', x), (g) => [neg(g)]);
}
/** e^x, elementwise (f32; ~1 ULP; 0 at -inf, inf above ~88.72). */
export function exp(x: Tensor): Tensor {
  const out = unaryKernel('exp', x);
  return record('exp', [x], out, (g) => [mul(g, out)]);
}
/** Natural logarithm, elementwise (f32; ~1 ULP, subnormals included; -inf at +-0, NaN below 0). */
export function log(x: Tensor): Tensor {
  return record('log', [x], unaryKernel('log', x), (g) => [div(g, x)]);
}
/** Square root, elementwise (f32; NaN below 0). */
export function sqrt(x: Tensor): Tensor {
  const out = unaryKernel('sqrt', x);
  return record('sqrt', [x], out, (g) => [div(mulScalar(g, 0.5), out)]);
}
/** 1 / sqrt(x), elementwise (f32). */
export function rsqrt(x: Tensor): Tensor {
  const out = unaryKernel('rsqrt', x);
  // d/dx x^(-1/2) = -1/2 x^(-3/2) = -1/2 out^3
  return record('rsqrt', [x], out, (g) => [mul(g, mulScalar(powScalar(out, 3), -0.5))]);
}
/** |x|, elementwise (f32); the gradient is sign(x), 0 at 0. */
export function abs(x: Tensor): Tensor {
  return record('abs', [x], unaryKernel('abs', x), (g) => [mul(g, sign(x))]);
}
/** -1, 0 or 1, NaN for NaN as NumPy (PyTorch's CPU kernel gives 0 there, its issue #41245); no gradient. */
export function sign(x: Tensor): Tensor {
  return unaryKernel('sign', x);
}
/** Sine (radians), elementwise (f32). */
export function sin(x: Tensor): Tensor {
  return record('sin', [x], unaryKernel('sin', x), (g) => [mul(g, cos(x))]);
}
/** Cosine (radians), elementwise (f32). */
export function cos(x: Tensor): Tensor {
  return record('cos', [x], unaryKernel('cos', x), (g) => [neg(mul(g, sin(x)))]);
}
/** x², elementwise (f32). */
export function square(x: Tensor): Tensor {
  return record('square', [x], unaryKernel('square', x), (g) => [mul(g, mulScalar(x, 2))]);
}
/** 1 / x, elementwise (f32). */
export function reciprocal(x: Tensor): Tensor {
  const out = unaryKernel('reciprocal', x);
  return record('reciprocal', [x], out, (g) => [neg(mul(g, square(out)))]);
}
/** Hyperbolic tangent, elementwise (f32; ~1 ULP, tiny arguments included). */
export function tanh(x: Tensor): Tensor {
  const out = unaryKernel('tanh', x);
  return record('tanh', [x], out, (g) => [mul(g, rsubScalar(square(out), 1))]);
}
/** The logistic function 1 / (1 + e^-x), elementwise (f32). */
export function sigmoid(x: Tensor): Tensor {
  const out = unaryKernel('sigmoid', x);
  return record('sigmoid', [x], out, (g) => [mul(g, mul(out, rsubScalar(out, 1)))]);
}
/**
 * SiLU (swish), x * sigmoid(x), elementwise (f32), as torch.nn.functional.silu: inf at inf, NaN at -inf
 * (PyTorch's -inf / inf). Its gradient is s (1 + x (1 - s)) with s = sigmoid(x), one kernel in a plain
 * backward pass.
 */
export function silu(x: Tensor): Tensor {
  return record('silu', [x], unaryKernel('silu', x), fusedOrComposed(
    (g) => [mul(g, unaryKernel('silu_grad', x, 0, 0, 'silu'))],
    (g) => {
      const s = sigmoid(x);
      return [mul(g, mul(s, addScalar(mul(x, rsubScalar(s, 1)), 1)))];
    },
  ));
}
/** max(x, 0), elementwise (f32; NaN stays NaN); the gradient at 0 is 0. */
export function relu(x: Tensor): Tensor {
  return record('relu', [x], unaryKernel('relu', x), (g) => [mul(g, gtScalar(x, 0))]);
}
/** x where x > 0, else negativeSlope * x (default slope 0.01; f32). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const out = unaryKernel('leaky_relu', x, negativeSlope, 0, 'leakyRelu');
  // slope where x <= 0, 1 where x > 0
  return record('leakyRelu', [x], out, (g) => [mul(g, addScalar(mulScalar(gtScalar(x, 0), 1 - negativeSlope), negativeSlope))]);
}
/** Options of `softplus`, as torch.nn.functional.softplus's. */
export interface SoftplusOptions {
  /** softplus(x) = log(1 + e^(beta x)) / beta (default 1). */
  beta?: number;
  /** Where beta x > threshold the result is x itself (default 20). */
  threshold?: number;
}

/**
 * log(1 + e^(beta x)) / beta, a smooth ReLU, elementwise (f32), and x itself where beta x > threshold
 * (PyTorch's defaults: beta 1, threshold 20). Relative accuracy ~1e-7 in the negative tail too
 * (softplus(-30) = 9.4e-14). Its gradient is sigmoid(beta x), and 1 where beta x > threshold.
 */
export function softplus(x: Tensor, options: SoftplusOptions = {}): Tensor {
  const { beta = 1, threshold = 20 } = options;
  for (const [name, value] of [['beta', beta], ['threshold', threshold]] as const) {
    if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`softplus: ${name} must be a number, got ${String(value)}`);
  }
  if (beta === 0) throw new Error('softplus: beta must be non-zero (it divides the result)');
  const out = unaryKernel('softplus', x, beta, threshold);
  return record('softplus', [x], out, (g) => {
    const z = mulScalar(x, beta);
    return [mul(g, where(gtScalar(z, threshold), 1, sigmoid(z)))];
  });
}
/** The error function erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt (absolute error ~1e-7 in f32; +-1 at +-inf). */
export function erf(x: Tensor): Tensor {
  // d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
  return record('erf', [x], unaryKernel('erf', x), (g) => [mul(g, mulScalar(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)))]);
}

/** GELU's two forms, as PyTorch names them: 'none' is exact, x * Phi(x); 'tanh' is GPT-2's approximation. */
export type GeluApproximation = 'none' | 'tanh';

/**
 * GELU(x) = x * Phi(x), Phi the standard normal CDF (PyTorch's default, approximate = 'none'), or
 * with approximate = 'tanh' GPT-2's 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 */
export function gelu(x: Tensor, approximate: GeluApproximation = 'none'): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`gelu: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  const kernel = approximate === 'none' ? 'gelu' : 'gelu_tanh';
  return record('gelu', [x], unaryKernel(kernel, x, 0, 0, 'gelu'), fusedOrComposed(
    (g) => [mul(g, unaryKernel(approximate === 'none' ? 'gelu_grad' : 'gelu_tanh_grad', x))],
    (g) => [mul(g, geluDerivative(x, approximate))],
  ));
}

/** GELU's derivative written with tensor ops (differentiable again). */
function geluDerivative(x: Tensor, approximate: GeluApproximation): Tensor {
  if (approximate === 'none') {
    // Phi(x) + x phi(x), with Phi(x) = (1 + erf(x / sqrt 2)) / 2 and phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
    const cdf = mulScalar(addScalar(erf(mulScalar(x, Math.SQRT1_2)), 1), 0.5);
    const density = mulScalar(exp(mulScalar(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return add(cdf, mul(x, density));
  }
  const c = Math.sqrt(2 / Math.PI);
  const x2 = square(x);
  const t = tanh(mulScalar(mul(x, addScalar(mulScalar(x2, 0.044715), 1)), c));
  const dInner = addScalar(mulScalar(x2, 3 * 0.044715 * c), c);
  // 0.5 (1 + t) + 0.5 x (1 - t^2) dInner
  return add(mulScalar(addScalar(t, 1), 0.5), mul(mulScalar(x, 0.5), mul(rsubScalar(square(t), 1), dInner)));
}

// ---- ops with a scalar operand -------------------------------------------------------------------

/** x + c for an f32 tensor (what `add` uses for a number operand). */
export function addScalar(x: Tensor, c: number): Tensor {
  return record('addScalar', [x], unaryKernel('add_scalar', x, c), (g) => [g]);
}
/** x * c for an f32 tensor (what `mul` uses for a number operand). */
export function mulScalar(x: Tensor, c: number): Tensor {
  return record('mulScalar', [x], unaryKernel('mul_scalar', x, c), (g) => [mulScalar(g, c)]);
}
/** c - x */
export function rsubScalar(x: Tensor, c: number): Tensor {
  return record('rsubScalar', [x], unaryKernel('rsub_scalar', x, c), (g) => [neg(g)]);
}
/** c / x */
export function rdivScalar(x: Tensor, c: number): Tensor {
  const out = unaryKernel('rdiv_scalar', x, c);
  return record('rdivScalar', [x], out, (g) => [neg(mul(g, div(out, x)))]);
}
/**
 * x ^ c, as PyTorch's pow with a number exponent: c in {1, 2, 3, -1, -2, 0.5, -0.5} computed exactly
 * (x * x, 1 / sqrt(x), ...), other c with C's pow rules (pow(0, -1) = inf, pow(x < 0, 0.5) = NaN, ...).
 */
export function powScalar(x: Tensor, c: number): Tensor {
  const out = unaryKernel('pow_scalar', x, c, 0, 'pow');
  return record('powScalar', [x], out, (g) => [c === 0 ? mulScalar(g, 0) : mul(g, mulScalar(powScalar(x, c - 1), c))]);
}
/** max(x, c), elementwise (NaN if either is NaN); gradient flows unless x < c (half of it at a tie). */
export function maxScalar(x: Tensor, c: number): Tensor {
  const out = unaryKernel('max_scalar', x, c);
  return record('maxScalar', [x], out, (g) => [mul(g, shareMask(ltScalar(x, c), eqScalar(x, c)))]);
}
/** min(x, c), elementwise (NaN if either is NaN); gradient flows unless x > c (half of it at a tie). */
export function minScalar(x: Tensor, c: number): Tensor {
  const out = unaryKernel('min_scalar', x, c);
  return record('minScalar', [x], out, (g) => [mul(g, shareMask(gtScalar(x, c), eqScalar(x, c)))]);
}
/**
 * Clamps into [low, high] (either bound may be omitted), as torch.clamp: NaN stays NaN, high wins when
 * low > high, and the gradient flows where low <= x <= high (the bounds included, unlike maximum's half).
 */
export function clamp(x: Tensor, low?: number, high?: number): Tensor {
  x.assertAlive('clamp');
  let out: Tensor;
  if (low === undefined && high === undefined) out = unaryKernel('mul_scalar', x, 1, 0, 'clamp');
  else if (high === undefined) out = unaryKernel('max_scalar', x, low, 0, 'clamp');
  else if (low === undefined) out = unaryKernel('min_scalar', x, high, 0, 'clamp');
  else {
    const lowered = unaryKernel('max_scalar', x, low, 0, 'clamp');
    out = unaryKernel('min_scalar', lowered, high, 0, 'clamp');
    lowered.dispose();
  }
  return record('clamp', [x], out, (g) => {
    let inside: Tensor | null = null;
    if (low !== undefined) inside = geScalar(x, low);
    if (high !== undefined) inside = inside ? mul(inside, leScalar(x, high)) : leScalar(x, high);
    return [inside ? mul(g, inside) : g];
  });
}
/** f32 mask of x > c (1 or 0); no gradient. */
export const gtScalar = (x: Tensor, c: number) => unaryKernel('gt_scalar', x, c);
/** f32 mask of x < c (1 or 0); no gradient. */
export const ltScalar = (x: Tensor, c: number) => unaryKernel('lt_scalar', x, c);
/** f32 mask of x >= c (1 or 0); no gradient. */
export const geScalar = (x: Tensor, c: number) => unaryKernel('ge_scalar', x, c);
/** f32 mask of x <= c (1 or 0); no gradient. */
export const leScalar = (x: Tensor, c: number) => unaryKernel('le_scalar', x, c);
/** f32 mask of x == c (1 or 0); no gradient. */
export const eqScalar = (x: Tensor, c: number) => unaryKernel('eq_scalar', x, c);
/** f32 mask of x != c (1 or 0); no gradient. */
export const neScalar = (x: Tensor, c: number) => unaryKernel('ne_scalar', x, c);

/**
 * 0 where `loses`, 0.5 where `ties`, else 1: how maximum / minimum split their gradient (PyTorch's
 * rule, which gives both sides all of it where either is NaN, since NaN neither loses nor ties).
 */
function shareMask(loses: Tensor, ties: Tensor): Tensor {
  return rsubScalar(add(loses, mulScalar(ties, 0.5)), 1);
}

// ---- binary with broadcasting --------------------------------------------------------------------

type Operand = Tensor | number;

function broadcastLaunch(op: string, kernelOp: string, a: Tensor, b: Tensor, outDtype: DType): Tensor {
  a.assertAlive(op);
  b.assertAlive(op);
  assertSameDtype(op, [a, b]);
  assertRank(op, a);
  assertRank(op, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  if (shape.length > MAX_RANK) throw opError(op, `broadcast rank ${shape.length} exceeds ${MAX_RANK}`, [a, b]);
  const fused = fuseBinary(op, kernelOp === 'div' && a.dtype !== 'f32' ? 'div_int' : kernelOp, a, b, shape, outDtype);
  if (fused) return fused;
  const out = Tensor.empty(shape, outDtype, op);
  if (out.size === 0) return out;
  const broadcast = !(sameShape(a.shape, shape) && sameShape(b.shape, shape));
  // Same shapes: vec4 loads when the size allows. Broadcasting: 4 outputs per invocation along the
  // last (collapsed) dimension when its extent allows.
  const collapsed = collapseDims(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
  const lastExtent = collapsed.shape[collapsed.shape.length - 1];
  const lanes = (broadcast ? lastExtent : out.size) % 4 === 0 ? 4 : 1;
  const wide = (t: string) => (lanes === 4 && !broadcast ? `vec4<${t}>` : t);
  const float = a.dtype === 'f32';
  runtime().dispatch({
    shader: wgsl.binary,
    template: {
      OP: `op_${kernelOp === 'div' && !float ? 'div_int' : kernelOp}`,
      T: wide(a.dtype),
      OUT: wide(outDtype),
      F: wide('f32'),
      U: wide('u32'),
      I: wide('i32'),
      B: wide('bool'),
      FLOAT: float ? 'true' : 'false',
    },
    constants: broadcast ? { BROADCAST: 1, ROW_LANES: lanes, RANK: collapsed.shape.length } : {},
    params: {
      n: out.size / lanes,
      shape: collapsed.shape,
      a_strides: collapsed.strides[0],
      b_strides: collapsed.strides[1],
    },
    buffers: { a: a.buffer, b: b.buffer, out: out.buffer },
    workgroups: grid1d(out.size / lanes),
  });
  return out;
}

/**
 * Calls `fn` with each operand as a tensor: a number becomes a 0-d tensor of `dtype` (f32 tensors with a
 * number operand use the unary kernels instead), disposed afterwards, also when `fn` throws, unless the
 * result's graph keeps it.
 */
function withTensors(operands: readonly Operand[], dtype: DType, fn: (...tensors: Tensor[]) => Tensor): Tensor {
  const made: Tensor[] = [];
  const tensors = operands.map((v) => {
    if (v instanceof Tensor) return v;
    const t = full([], v, { dtype });
    made.push(t);
    return t;
  });
  let out: Tensor | null = null;
  try {
    out = fn(...tensors);
    return out;
  } finally {
    for (const t of made) if (!out?.node?.inputs.includes(t)) t.dispose();
  }
}

/** `x`, after checking that it was not disposed: for the ops that hand an f32 tensor and a number to a unary kernel. */
function alive(x: Tensor, op: string): Tensor {
  x.assertAlive(op);
  return x;
}

/** a + b with NumPy broadcasting; `b` may be a number. Both tensors must share a dtype; the result has it. */
export function add(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number' && a.dtype === 'f32') return addScalar(alive(a, 'add'), b);
  return withTensors([b], a.dtype, (bt) => {
    const out = broadcastLaunch('add', 'add', a, bt, a.dtype);
    return record('add', [a, bt], out, (g) => [g, g]);
  });
}
/** a - b with NumPy broadcasting; `b` may be a number. Both tensors must share a dtype. */
export function sub(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number' && a.dtype === 'f32') return addScalar(alive(a, 'sub'), -b);
  return withTensors([b], a.dtype, (bt) => {
    const out = broadcastLaunch('sub', 'sub', a, bt, a.dtype);
    return record('sub', [a, bt], out, (g) => [g, neg(g)]);
  });
}
/** a * b with NumPy broadcasting; `b` may be a number. Both tensors must share a dtype. */
export function mul(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number' && a.dtype === 'f32') return mulScalar(alive(a, 'mul'), b);
  return withTensors([b], a.dtype, (bt) => {
    const out = broadcastLaunch('mul', 'mul', a, bt, a.dtype);
    return record('mul', [a, bt], out, (g) => [mul(g, bt), mul(g, a)]);
  });
}
/**
 * a / b with NumPy broadcasting; `b` may be a number. Both tensors must share a dtype. For i32/u32 it
 * is integer division rounding toward zero (torch.div's rounding_mode 'trunc'). Integer division by
 * zero: a number divisor of 0 throws (as PyTorch's ZeroDivisionError); a tensor divisor cannot be
 * checked without reading it back, so its zeros give all bits set, -1 for i32 and 4294967295 for
 * u32 (what CUDA's hardware gives). -2147483648 / -1 overflows and gives -2147483648 (WGSL's rule).
 */
export function div(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number' && a.dtype === 'f32') return mulScalar(alive(a, 'div'), 1 / b);
  if (typeof b === 'number' && b === 0) {
    throw opError('div', `integer division by zero (${a.dtype} tensor divided by the number 0)`, [a]);
  }
  return withTensors([b], a.dtype, (bt) => {
    const out = broadcastLaunch('div', 'div', a, bt, a.dtype);
    // d(a/b)/db = -a/b^2 = -out/b
    return record('div', [a, bt], out, (g) => [div(g, bt), neg(mul(g, div(out, bt)))]);
  });
}
/**
 * a ^ b with broadcasting (f32), with C's pow special values (pow(0, -1) = inf, pow(x, 0) = 1 even for
 * NaN, pow(x < 0, non-integer) = NaN). Gradients as PyTorch's pow_backward: the base's is
 * b a^(b - 1), 0 where b = 0; the exponent's is a^b log(a), 0 where a = 0 and b >= 0, NaN where a < 0.
 */
export function pow(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return powScalar(alive(a, 'pow'), b);
  assertDtype('pow', a, ['f32']);
  const out = broadcastLaunch('pow', 'pow', a, b, 'f32');
  return record('pow', [a, b], out, (g) => [
    where(eqScalar(b, 0), 0, mul(g, mul(b, pow(a, addScalar(b, -1))))),
    where(mul(eqScalar(a, 0), geScalar(b, 0)), 0, mul(g, mul(out, log(a)))),
  ]);
}
/**
 * Elementwise max of a and b with broadcasting, NaN where either is NaN. Gradients as PyTorch's: each
 * side gets it unless it is the smaller one, half of it at a tie (so both get it where one is NaN).
 */
export function maximum(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number' && a.dtype === 'f32') return maxScalar(alive(a, 'maximum'), b);
  return withTensors([b], a.dtype, (bt) => {
    const out = broadcastLaunch('maximum', 'maximum', a, bt, a.dtype);
    return record('maximum', [a, bt], out, (g) => {
      const ties = eq(a, bt);
      return [mul(g, shareMask(lt(a, bt), ties)), mul(g, shareMask(gt(a, bt), ties))];
    });
  });
}
/**
 * Elementwise min of a and b with broadcasting, NaN where either is NaN. Gradients as PyTorch's: each
 * side gets it unless it is the larger one, half of it at a tie (so both get it where one is NaN).
 */
export function minimum(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number' && a.dtype === 'f32') return minScalar(alive(a, 'minimum'), b);
  return withTensors([b], a.dtype, (bt) => {
    const out = broadcastLaunch('minimum', 'minimum', a, bt, a.dtype);
    return record('minimum', [a, bt], out, (g) => {
      const ties = eq(a, bt);
      return [mul(g, shareMask(gt(a, bt), ties)), mul(g, shareMask(lt(a, bt), ties))];
    });
  });
}

/** Comparisons give f32 masks (1 where true, 0 where false), ready to multiply into a loss; no gradient. */
function compare(op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number' && a.dtype === 'f32') return unaryKernel(`${op}_scalar`, a, b, 0, op);
  return withTensors([b], a.dtype, (bt) => broadcastLaunch(op, op, a, bt, 'f32'));
}
/** f32 mask (1 or 0) of a == b, with broadcasting; no gradient. */
export const eq = (a: Tensor, b: Operand) => compare('eq', a, b);
/** f32 mask (1 or 0) of a != b, with broadcasting; no gradient. */
export const ne = (a: Tensor, b: Operand) => compare('ne', a, b);
/** f32 mask (1 or 0) of a < b, with broadcasting; no gradient. */
export const lt = (a: Tensor, b: Operand) => compare('lt', a, b);
/** f32 mask (1 or 0) of a <= b, with broadcasting; no gradient. */
export const le = (a: Tensor, b: Operand) => compare('le', a, b);
/** f32 mask (1 or 0) of a > b, with broadcasting; no gradient. */
export const gt = (a: Tensor, b: Operand) => compare('gt', a, b);
/** f32 mask (1 or 0) of a >= b, with broadcasting; no gradient. */
export const ge = (a: Tensor, b: Operand) => compare('ge', a, b);

/**
 * Elementwise choice: `a` where `condition` is non-zero, else `b` (all three broadcast together). Either
 * branch may be a number (a 0-d tensor of the other branch's dtype, f32 when both are numbers); the
 * gradient flows to each tensor branch where it was chosen.
 */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'f32';
  return withTensors([a, b], dtype, (at, bt) => whereTensors(condition, at, bt));
}

/** The method form, as PyTorch's `x.where(condition, other)`: this where `condition` is non-zero, else `other`. */
function whereSelf(self: Tensor, condition: Tensor, other: Operand): Tensor {
  return where(condition, self, other);
}

function whereTensors(condition: Tensor, at: Tensor, bt: Tensor): Tensor {
  for (const t of [condition, at, bt]) t.assertAlive('where');
  assertDtype('where', condition, ['f32']);
  assertSameDtype('where', [at, bt]);
  const shape = broadcastShapes('where', condition.shape, at.shape, bt.shape);
  if (shape.length > MAX_RANK) throw opError('where', `broadcast rank ${shape.length} exceeds ${MAX_RANK}`, [condition, at, bt]);
  const out = fuseWhere(condition, at, bt, shape) ?? Tensor.empty(shape, at.dtype, 'where');
  if (out.size > 0 && !out.isPending) {
    // Dimensions every operand walks contiguously merge (a scalar against a matrix is then rank 1).
    const collapsed = collapseDims(shape, [condition, at, bt].map((t) => broadcastStrides(t.shape, shape)));
    runtime().dispatch({
      shader: wgsl.where,
      template: { T: at.dtype },
      constants: { RANK: collapsed.shape.length },
      params: {
        n: out.size,
        shape: collapsed.shape,
        c_strides: collapsed.strides[0],
        a_strides: collapsed.strides[1],
        b_strides: collapsed.strides[2],
      },
      buffers: { cond: condition.buffer, a: at.buffer, b: bt.buffer, out: out.buffer },
      workgroups: grid1d(out.size),
    });
  }
  return record('where', [condition, at, bt], out, (g) => {
    const zero = full([], 0);
    return [null, where(condition, g, zero), where(condition, zero, g)];
  });
}

/** Converts to another dtype (f32 -> integer truncates toward zero). Returns a copy even if unchanged. */
export function cast(x: Tensor, dtype: DType): Tensor {
  x.assertAlive('cast');
  checkDtype('cast', dtype); // before a kernel is built for it
  const out = fuseCast(x, dtype) ?? Tensor.empty(x.shape, dtype);
  if (out.size > 0 && !out.isPending) {
    runtime().dispatch({
      shader: wgsl.cast,
      template: { IN: x.dtype, OUT: dtype },
      params: { n: x.size },
      buffers: { x: x.buffer, out: out.buffer },
      workgroups: grid1d(x.size),
    });
  }
  // Gradients pass through casts between float types only; f32 is the one float type.
  return dtype === 'f32' && x.dtype === 'f32' ? record('cast', [x], out, (g) => [g]) : out;
}

// ---- Tensor methods ------------------------------------------------------------------------------

declare module '../tensor.js' {
  interface Tensor {
    /** -x. See {@link neg}. */
    neg(): Tensor;
    /** e^x. See {@link exp}. */
    exp(): Tensor;
    /** Natural logarithm. See {@link log}. */
    log(): Tensor;
    /** Square root. See {@link sqrt}. */
    sqrt(): Tensor;
    /** 1 / sqrt(x). See {@link rsqrt}. */
    rsqrt(): Tensor;
    /** |x|. See {@link abs}. */
    abs(): Tensor;
    /** -1, 0 or 1 (no gradient). See {@link sign}. */
    sign(): Tensor;
    /** Sine. See {@link sin}. */
    sin(): Tensor;
    /** Cosine. See {@link cos}. */
    cos(): Tensor;
    /** x². See {@link square}. */
    square(): Tensor;
    /** 1 / x. See {@link reciprocal}. */
    reciprocal(): Tensor;
    /** Hyperbolic tangent. See {@link tanh}. */
    tanh(): Tensor;
    /** 1 / (1 + e^-x). See {@link sigmoid}. */
    sigmoid(): Tensor;
    /** x * sigmoid(x). See {@link silu}. */
    silu(): Tensor;
    /** max(x, 0). See {@link relu}. */
    relu(): Tensor;
    /** Leaky ReLU (default slope 0.01). See {@link leakyRelu}. */
    leakyRelu(negativeSlope?: number): Tensor;
    /** log(1 + e^(beta x)) / beta (beta 1, threshold 20 by default). See {@link softplus}. */
    softplus(options?: SoftplusOptions): Tensor;
    /** The error function. See {@link erf}. */
    erf(): Tensor;
    /** GELU, exact or tanh-approximated. See {@link gelu}. */
    gelu(approximate?: GeluApproximation): Tensor;
    /** Clamps into [low, high]. See {@link clamp}. */
    clamp(low?: number, high?: number): Tensor;
    /** this + other, broadcasting. See {@link add}. */
    add(other: Tensor | number): Tensor;
    /** this - other, broadcasting. See {@link sub}. */
    sub(other: Tensor | number): Tensor;
    /** this * other, broadcasting. See {@link mul}. */
    mul(other: Tensor | number): Tensor;
    /** this / other, broadcasting. See {@link div}. */
    div(other: Tensor | number): Tensor;
    /** this ^ other, broadcasting. See {@link pow}. */
    pow(other: Tensor | number): Tensor;
    /** Elementwise max, broadcasting. See {@link maximum}. */
    maximum(other: Tensor | number): Tensor;
    /** Elementwise min, broadcasting. See {@link minimum}. */
    minimum(other: Tensor | number): Tensor;
    /** f32 mask of this == other. See {@link eq}. */
    eq(other: Tensor | number): Tensor;
    /** f32 mask of this != other. See {@link ne}. */
    ne(other: Tensor | number): Tensor;
    /** f32 mask of this < other. See {@link lt}. */
    lt(other: Tensor | number): Tensor;
    /** f32 mask of this <= other. See {@link le}. */
    le(other: Tensor | number): Tensor;
    /** f32 mask of this > other. See {@link gt}. */
    gt(other: Tensor | number): Tensor;
    /** f32 mask of this >= other. See {@link ge}. */
    ge(other: Tensor | number): Tensor;
    /** A copy converted to `dtype`. */
    to(dtype: DType): Tensor;
    /** This where `condition` is non-zero, else `other` (PyTorch's `x.where(condition, other)`). See {@link where}. */
    where(condition: Tensor, other: Tensor | number): Tensor;
  }
}

defineMethods({
  neg, exp, log, sqrt, rsqrt, abs, sign, sin, cos, square, reciprocal, tanh, sigmoid, silu, relu, leakyRelu, softplus, erf, gelu, clamp,
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, to: cast, where: whereSelf,
});
