// Elementwise unary ops on f32: out[i] = OP(x[i], alpha).
// Bindings: @0 uniform Params, @1 x (read), @2 out. One invocation per element of type {{V}}:
// vec4<f32> when the element count is a multiple of 4 (four lanes per load and store, which is what
// memory-bound kernels need on CPU adapters), else f32. The op bodies are written so they work for
// both: constants are splatted with V(...), and WGSL's built-ins act component-wise. {{U}}, {{I}} and
// {{B}} are the u32, i32 and bool types with as many lanes (for include/ieee.wgsl's bit tests).
// {{OP}} names one of the op_* functions (include/unary_ops, softplus below); `alpha` is the op's scalar argument (leakyRelu's
// slope, the constant of x + c, the exponent of x ^ c, softplus's beta), ignored by the rest;
// `threshold` is softplus's second one. The grid may be 2-D when more than 65535 workgroups are
// needed (include/grid).
// NaN, infinities and signed zeros follow PyTorch (see include/ieee.wgsl for why each is explicit):
// NaN propagates through every op, comparisons with NaN are false (ne true), and the special
// values of log, exp, pow, rsqrt, tanh, ... are those of C's libm, which PyTorch uses.
// Includes: grid (the folded 1-D launch), ieee (NaN tests and the accurate elementary
// functions with PyTorch's special values) and unary_ops (the op functions, shared with the fused
// kernels of src/ops/fusion.ts).

#include "grid"

alias V = {{V}};
alias F = V;
alias FU = {{U}};
alias FI = {{I}};
alias FB = {{B}};

struct Params {
  n: u32,
  alpha: f32,
  threshold: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> out: array<V>;

#include "ieee"

#include "unary_ops"

// softplus(v) = log(1 + exp(beta v)) / beta, PyTorch's, with beta = alpha: linear (v itself) where
// beta v > threshold, else max(z, 0) + log1p(exp(-|z|)) over beta, z = beta v, which never
// overflows, and whose log1p keeps the tail's relative accuracy (softplus(-30) = 9.4e-14, where
// log(1 + e) was 0 below -17).
fn op_softplus(v: V, a: f32) -> V {
  let z = v * a;
  let soft = (max(z, V(0.0)) + log1p_unit(exp_accurate(-abs(z)))) / a;
  return keep_nan(v, select(soft, v, z > V(p.threshold)));
}
@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  out[i] = {{OP}}(x[i], p.alpha);
}
