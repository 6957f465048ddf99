// Elementwise unary ops on f32: out[i] = OP(x[i], alpha).
// Bindings: @0 uniform Params, @1 x (read), @2 out. One invocation per element (2-D grid for large n).
// The template slot {{OP}} names one of the op_* functions below; `alpha` is the op's scalar
// argument (leakyRelu's slope, the constant of x + c, the exponent of x ^ c), ignored by the rest.
// The same file holds the derivative helpers used by backward rules (op_*_grad take x and alpha).

struct Params {
  n: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 256;

// WGSL rejects NaN in constant expressions, so it is made at run time from its bit pattern.
fn quiet_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

fn op_neg(v: f32, a: f32) -> f32 { return -v; }
fn op_exp(v: f32, a: f32) -> f32 { return exp(v); }
fn op_log(v: f32, a: f32) -> f32 { return log(v); }
fn op_sqrt(v: f32, a: f32) -> f32 { return sqrt(v); }
fn op_rsqrt(v: f32, a: f32) -> f32 { return inverseSqrt(v); }
fn op_abs(v: f32, a: f32) -> f32 { return abs(v); }
fn op_sign(v: f32, a: f32) -> f32 { return sign(v); }
fn op_sin(v: f32, a: f32) -> f32 { return sin(v); }
fn op_cos(v: f32, a: f32) -> f32 { return cos(v); }
fn op_square(v: f32, a: f32) -> f32 { return v * v; }
fn op_reciprocal(v: f32, a: f32) -> f32 { return 1.0 / v; }
fn op_relu(v: f32, a: f32) -> f32 { return max(v, 0.0); }
fn op_leaky_relu(v: f32, a: f32) -> f32 { return select(a * v, v, v > 0.0); }
// tanh(v) = 1 - 2 / (exp(2v) + 1), written so large |v| saturates to +-1 instead of inf / inf.
fn op_tanh(v: f32, a: f32) -> f32 { return 1.0 - 2.0 / (exp(2.0 * v) + 1.0); }
// sigmoid(v) = 1 / (1 + exp(-v)), computed from exp(-|v|) so it never overflows.
fn op_sigmoid(v: f32, a: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}
// softplus(v) = log(1 + exp(v)) = max(v, 0) + log(1 + exp(-|v|)), stable for any v.
fn op_softplus(v: f32, a: f32) -> f32 { return max(v, 0.0) + log(1.0 + exp(-abs(v))); }
// GELU, tanh approximation (as in GPT-2): 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3))).
fn op_gelu(v: f32, a: f32) -> f32 {
  let inner = SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v);
  return 0.5 * v * (1.0 + op_tanh(inner, 0.0));
}
fn op_gelu_grad(v: f32, a: f32) -> f32 {
  let inner = SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v);
  let t = op_tanh(inner, 0.0);
  let dinner = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * v * v);
  return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * dinner;
}
// Ops with a scalar operand c = alpha.
fn op_add_scalar(v: f32, a: f32) -> f32 { return v + a; }
fn op_mul_scalar(v: f32, a: f32) -> f32 { return v * a; }
fn op_rsub_scalar(v: f32, a: f32) -> f32 { return a - v; }
fn op_rdiv_scalar(v: f32, a: f32) -> f32 { return a / v; }
fn op_max_scalar(v: f32, a: f32) -> f32 { return max(v, a); }
fn op_min_scalar(v: f32, a: f32) -> f32 { return min(v, a); }
// v ^ c with the sign rule of pow for negative bases and integer exponents (as NumPy).
fn op_pow_scalar(v: f32, a: f32) -> f32 {
  if (a == 0.0) { return 1.0; }
  let m = pow(abs(v), a);
  let odd = fract(a * 0.5) != 0.0 && fract(a) == 0.0;
  if (v < 0.0) {
    if (fract(a) != 0.0) { return quiet_nan(); }
    return select(m, -m, odd);
  }
  return m;
}
fn op_gt_scalar(v: f32, a: f32) -> f32 { return select(0.0, 1.0, v > a); }
fn op_lt_scalar(v: f32, a: f32) -> f32 { return select(0.0, 1.0, v < a); }
fn op_ge_scalar(v: f32, a: f32) -> f32 { return select(0.0, 1.0, v >= a); }
fn op_le_scalar(v: f32, a: f32) -> f32 { return select(0.0, 1.0, v <= a); }
fn op_eq_scalar(v: f32, a: f32) -> f32 { return select(0.0, 1.0, v == a); }
fn op_ne_scalar(v: f32, a: f32) -> f32 { return select(0.0, 1.0, v != a); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  out[i] = {{OP}}(x[i], p.alpha);
}
