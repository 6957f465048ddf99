// The op_* functions of the f32 elementwise ops, op(v: V, a: f32) -> V with `a` the op's scalar
// argument: included by unary.wgsl and by the fused kernels that src/ops/fusion.ts generates, so that
// an op gives the same bits fused or not. V may be f32 or vec4<f32> (constants are splatted with
// V(...), built-ins act component-wise). Needs V and include/ieee.wgsl's aliases and helpers.
// softplus is not here: it reads a second argument from unary.wgsl's Params.

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

fn op_neg(v: V, a: f32) -> V { return -v; }
fn op_exp(v: V, a: f32) -> V { return exp_accurate(v); }
fn op_log(v: V, a: f32) -> V { return log_accurate(v); }
// sqrt and 1 / sqrt with C's special values (WGSL leaves sqrt(x < 0) and inverseSqrt(x <= 0) undefined):
// sqrt(x < 0) = NaN; rsqrt(+-0) = +-inf, rsqrt(inf) = 0, rsqrt(x < 0) = NaN.
fn op_sqrt(v: V, a: f32) -> V { return keep_nan(v, select(sqrt(v), nan_f(), v < V(0.0))); }
fn op_rsqrt(v: V, a: f32) -> V {
  var r = select(inverseSqrt(v), V(0.0), is_inf(v));
  r = select(r, select(inf_f(), -inf_f(), sign_bit(v)), is_zero(v));
  return keep_nan(v, select(r, nan_f(), v < V(0.0)));
}
fn op_abs(v: V, a: f32) -> V { return abs(v); }
// sign(NaN) = NaN, as NumPy (PyTorch's CPU kernel gives 0 there: its open issue #41245).
fn op_sign(v: V, a: f32) -> V { return keep_nan(v, sign(v)); }
// sin and cos computed here rather than by the built-ins, whose accuracy WGSL leaves open (SwiftShader's
// err by 2e-4 everywhere, enough to move a diffusion model's timestep embedding visibly): Cephes'
// single-precision sinf / cosf. The angle is reduced to r in [-pi/4, pi/4] around the nearest multiple
// j of pi/2, with pi/2 in three parts (Cody and Waite) so that the products are exact for |x| up to
// about 1e4; minimax polynomials give sin r and cos r to about 1 ulp, and j mod 4 picks which one and
// its sign. sin and cos of +-inf are NaN.
const PIO2_1: f32 = 1.5703125;
const PIO2_2: f32 = 4.837512969970703125e-4;
const PIO2_3: f32 = 7.54978995489188216e-8;
const TWO_OVER_PI: f32 = 0.6366197723675814;
struct Quadrant {
  sin_r: V,
  cos_r: V,
  q: V,
}
fn quadrant(v: V) -> Quadrant {
  let j = round(v * TWO_OVER_PI);
  let r = ((v - j * PIO2_1) - j * PIO2_2) - j * PIO2_3;
  let z = r * r;
  let sin_r = r + r * z * (V(-1.6666654611e-1) + z * (V(8.3321608736e-3) + z * V(-1.9515295891e-4)));
  let cos_r = V(1.0) - V(0.5) * z + z * z * (V(4.166664568298827e-2) + z * (V(-1.388731625493765e-3) + z * V(2.443315711809948e-5)));
  return Quadrant(sin_r, cos_r, j - V(4.0) * floor(j * V(0.25)));
}
fn op_sin(v: V, a: f32) -> V {
  let p = quadrant(v);
  let odd = (p.q == V(1.0)) | (p.q == V(3.0));
  let s = select(p.sin_r, p.cos_r, odd);
  return keep_nan(v, select(select(s, -s, p.q >= V(2.0)), nan_f(), is_inf(v)));
}
fn op_cos(v: V, a: f32) -> V {
  let p = quadrant(v);
  let odd = (p.q == V(1.0)) | (p.q == V(3.0));
  let c = select(p.cos_r, p.sin_r, odd);
  return keep_nan(v, select(select(c, -c, (p.q == V(1.0)) | (p.q == V(2.0))), nan_f(), is_inf(v)));
}
fn op_square(v: V, a: f32) -> V { return v * v; }
fn op_reciprocal(v: V, a: f32) -> V { return V(1.0) / v; }
// relu(NaN) = NaN: the built-in max would return 0.
fn op_relu(v: V, a: f32) -> V { return keep_nan(v, max(v, V(0.0))); }
fn op_leaky_relu(v: V, a: f32) -> V { return keep_nan(v, select(a * v, v, v > V(0.0))); }
// tanh to ~1 ULP. For |v| < 0.55 an odd polynomial, v + v^3 R(v^2) with R fitted in float64
// (relative error 4e-9), so tiny v keep their digits (1 - 2 / (e^2v + 1) gave tanh(1e-8) = 0);
// above, (1 - e) / (1 + e) with e = exp(-2|v|) <= 1/3, where nothing cancels. |v| is capped at 10,
// past which tanh rounds to +-1 in f32, so that e never underflows.
const TANH_SPLIT: f32 = 0.55;
fn op_tanh(v: V, a: f32) -> V {
  let s = v * v;
  var r = V(-6.634920049426446e-3);
  r = r * s + V(2.1325316233733335e-2);
  r = r * s + V(-5.391277448552742e-2);
  r = r * s + V(1.3333138646599685e-1);
  r = r * s + V(-3.3333332461284826e-1);
  let small = v + v * s * r;
  let e = exp_accurate(-2.0 * min(abs(v), V(10.0)));
  let large = (V(1.0) - e) / (V(1.0) + e);
  return keep_nan(v, select(select(large, -large, v < V(0.0)), small, abs(v) < V(TANH_SPLIT)));
}
// sigmoid(v) = 1 / (1 + exp(-v)), computed from exp(-|v|) so it never overflows.
fn op_sigmoid(v: V, a: f32) -> V {
  let e = exp_accurate(-abs(v));
  return keep_nan(v, select(e / (V(1.0) + e), V(1.0) / (V(1.0) + e), v >= V(0.0)));
}
// SiLU (swish), v sigmoid(v), with PyTorch's special values written out (WGSL promises no inf * 0):
// silu(inf) = inf, silu(-inf) = NaN (PyTorch's x / (1 + exp(-x)) is -inf / inf there), NaN stays NaN.
// Its derivative s (1 + v (1 - s)), s = sigmoid(v), is NaN at both infinities, as PyTorch's (inf * 0).
fn op_silu(v: V, a: f32) -> V {
  return keep_nan(v, select(v * op_sigmoid(v, 0.0), nan_f(), is_inf(v) & (v < V(0.0))));
}
fn op_silu_grad(v: V, a: f32) -> V {
  let s = op_sigmoid(v, 0.0);
  return keep_nan(v, select(s * (V(1.0) + v * (V(1.0) - s)), nan_f(), is_inf(v)));
}
// erf, from two polynomials fitted in float64 and checked in f32 against a float64 erf
// (tests/ops/elementwise.test.ts): erf(v) = v + v P(v^2) for |v| < 0.875 (P of degree 5), and
// erfc(a) = exp(-Q(a)) for 0.875 <= a <= 6 (Q of degree 9), since -log(erfc) is smooth and close to
// a polynomial (absolute error ~6e-8, relative ~1e-5 at worst). Past 6, where erfc < 2e-17, the
// asymptotic series erfc(a) ~ exp(-a^2) / (a sqrt(pi)) (1 - 1/(2a^2) + 3/(4a^4) - 15/(8a^6)).
const ERF_SPLIT: f32 = 0.875;
const INV_SQRT_PI: f32 = 0.5641895835477563;
const INV_SQRT_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
fn erf_near_zero(v: V) -> V {
  let s = v * v;
  var r = V(-6.2541244e-4);
  r = r * s + V(5.0423206e-3);
  r = r * s + V(-2.6798654e-2);
  r = r * s + V(1.1282670e-1);
  r = r * s + V(-3.7612575e-1);
  r = r * s + V(1.2837917e-1);
  return v + v * r;
}
// erfc(a) for a >= ERF_SPLIT (lanes below it get a value their callers do not select).
fn erfc_far(a: V) -> V {
  let t = min(a, V(6.0));
  var q = V(8.5585157e-8);
  q = q * t + V(-3.4107952e-6);
  q = q * t + V(6.1631879e-5);
  q = q * t + V(-6.7203940e-4);
  q = q * t + V(4.9764542e-3);
  q = q * t + V(-2.6797703e-2);
  q = q * t + V(1.1045298e-1);
  q = q * t + V(6.3165355e-1);
  q = q * t + V(1.1302369);
  q = q * t + V(-3.0301802e-4);
  // Past 10, erfc < 2e-45 is 0 in f32; capping there keeps inf out of exp(-a^2) and 1 / a.
  let capped = min(a, V(10.0));
  let inv2 = V(1.0) / (capped * capped);
  let asymptotic = exp(-capped * capped) * INV_SQRT_PI / capped * (V(1.0) + inv2 * (-0.5 + inv2 * (0.75 - 1.875 * inv2)));
  return select(select(exp(-q), asymptotic, a > V(6.0)), V(0.0), a >= V(10.0));
}
fn op_erf(v: V, a: f32) -> V {
  return keep_nan(v, select(sign(v) * (V(1.0) - erfc_far(abs(v))), erf_near_zero(v), abs(v) < V(ERF_SPLIT)));
}
// The standard normal CDF, Phi(v) = (1 + erf(v / sqrt 2)) / 2, taking the far tails from erfc so
// that Phi(-6) keeps its digits instead of cancelling 1 - 0.99999...
fn normal_cdf(v: V) -> V {
  let u = v * INV_SQRT_2;
  let tail = 0.5 * erfc_far(abs(u));
  let far = select(V(1.0) - tail, tail, u < V(0.0));
  return select(far, 0.5 * (V(1.0) + erf_near_zero(u)), abs(u) < V(ERF_SPLIT));
}
// GELU, exact (PyTorch's default): v Phi(v); its derivative Phi(v) + v phi(v).
fn op_gelu(v: V, a: f32) -> V { return keep_nan(v, v * normal_cdf(v)); }
fn op_gelu_grad(v: V, a: f32) -> V { return keep_nan(v, normal_cdf(v) + v * exp(-0.5 * v * v) * INV_SQRT_2PI); }
// GELU, tanh approximation (GPT-2's): 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3))).
fn op_gelu_tanh(v: V, a: f32) -> V {
  let inner = SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v);
  return keep_nan(v, 0.5 * v * (V(1.0) + op_tanh(inner, 0.0)));
}
fn op_gelu_tanh_grad(v: V, a: f32) -> V {
  let inner = SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v);
  let t = op_tanh(inner, 0.0);
  let dinner = SQRT_2_OVER_PI * (V(1.0) + 3.0 * GELU_CUBIC * v * v);
  return 0.5 * (V(1.0) + t) + 0.5 * v * (V(1.0) - t * t) * dinner;
}
// Ops with a scalar operand c = alpha.
fn op_add_scalar(v: V, a: f32) -> V { return v + a; }
fn op_mul_scalar(v: V, a: f32) -> V { return v * a; }
fn op_rsub_scalar(v: V, a: f32) -> V { return a - v; }
fn op_rdiv_scalar(v: V, a: f32) -> V { return a / v; }
// torch.maximum / torch.minimum / clamp with a number: NaN on either side gives NaN.
fn op_max_scalar(v: V, a: f32) -> V { return max_nan(v, V(a)); }
fn op_min_scalar(v: V, a: f32) -> V { return min_nan(v, V(a)); }
// v ^ c, PyTorch's: the exponents it special-cases are computed as it does (exactly, and with those
// formulas' special values: pow(-inf, 0.5) = sqrt(-inf) = NaN), the rest with C's pow rules.
fn op_pow_scalar(v: V, a: f32) -> V {
  if (a == 1.0) { return v; }
  if (a == 2.0) { return v * v; }
  if (a == 3.0) { return v * v * v; }
  if (a == -1.0) { return V(1.0) / v; }
  if (a == -2.0) { return V(1.0) / (v * v); }
  if (a == 0.5) { return op_sqrt(v, 0.0); }
  if (a == -0.5) { return op_rsqrt(v, 0.0); }
  return pow_c(v, V(a));
}
// Comparisons: IEEE's, explicitly (WGSL's `!=` is ordered, false with NaN): false when either side
// is NaN, except ne, true there.
fn op_gt_scalar(v: V, a: f32) -> V { return select(V(0.0), V(1.0), ordered(v, V(a)) & (v > V(a))); }
fn op_lt_scalar(v: V, a: f32) -> V { return select(V(0.0), V(1.0), ordered(v, V(a)) & (v < V(a))); }
fn op_ge_scalar(v: V, a: f32) -> V { return select(V(0.0), V(1.0), ordered(v, V(a)) & (v >= V(a))); }
fn op_le_scalar(v: V, a: f32) -> V { return select(V(0.0), V(1.0), ordered(v, V(a)) & (v <= V(a))); }
fn op_eq_scalar(v: V, a: f32) -> V { return select(V(0.0), V(1.0), ordered(v, V(a)) & (v == V(a))); }
fn op_ne_scalar(v: V, a: f32) -> V { return select(V(1.0), V(0.0), ordered(v, V(a)) & (v == V(a))); }
