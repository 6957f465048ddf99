// Adagrad update, PyTorch's rule, fused: one invocation reads the gradient, adds its square to the
// running sum and writes the parameter, in place, for four elements (one vec4).
//   g = sign * g + weight_decay * w                        (sign = -1 when maximizing)
//   sum = sum + g^2
//   w = w - clr * g / (sqrt(sum) + eps)
// The host computes the decayed learning rate clr = lr / (1 + (t - 1) lr_decay) in float64 for each
// parameter's step count t. Every hyperparameter is a uniform, so neither the decay nor a changed
// learning rate compiles a pipeline.
// Entry point `adagrad`. Bindings: @0 uniform Params, @1 param (read-write), @2 grad (read),
// @3 check_flag, @4 sum (read-write).
// All buffers are viewed as vec4s, one invocation per vec4; lanes past the tensor's end keep their
// old values, so no byte outside the tensor changes.
// Includes: check_flag and optim_common (the decayed gradient, the NaN/Inf watch on the gradient
// and the new parameter that reports to the runtime's check flag, and the parameter's write-back),
// grid (the folded 1-D launch), vec4_view (the vec4 count and the lanes past the tensor's end).

#include "grid"
#include "vec4_view"

struct Params {
  n: u32,
  clr: f32,
  eps: f32,
  weight_decay: f32,
  grad_sign: f32,
  grad_site: u32,
  param_site: u32,
  step: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> check_flag: array<atomic<u32>, 4>;
@group(0) @binding(4) var<storage, read_write> sum: array<vec4<f32>>;

#include "check_flag"
#include "optim_common"

@compute @workgroup_size(WG)
fn adagrad(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let g = decayed_grad(i, w);
  let tail = past_end(i);
  let s = sum[i];
  let s_new = s + g * g;
  sum[i] = select(s_new, s, tail);
  store_param(i, w, w - p.clr * (g / (sqrt(s_new) + p.eps)), tail);
}
