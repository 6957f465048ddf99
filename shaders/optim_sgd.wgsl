// SGD update, PyTorch's rule, fused: one invocation reads the gradient, updates the momentum buffer
// and writes the parameter, in place, for four elements (one vec4).
//   d = sign * g + weight_decay * w                     (sign = -1 when maximizing)
//   momentum:  b = d on the first step, else momentum * b + (1 - dampening) * d
//              d = d + momentum * b (Nesterov), else d = b
//   w = w - lr * d
// Entry points: `sgd` (no momentum: @1 param, @2 grad, @3 check_flag) and `sgd_momentum` (also @4
// momentum_buffer). Every hyperparameter is a uniform, so changing the learning rate never compiles a pipeline.
// Bindings: @0 uniform Params, @1 param (read-write), @2 grad (read), @3 check_flag, @4 momentum_buffer
// (read-write).
// All of them are viewed as vec4s, one invocation per vec4; lanes past the tensor's end keep their
// old values, so no byte outside the tensor changes.
// Includes: check_flag and optim_common (the decayed gradient, the NaN/Inf watch on the gradient
// and the new parameter that reports to the runtime's check flag, and the parameter's write-back),
// grid (the folded 1-D launch), vec4_view (the vec4 count and the lanes past the tensor's end).

#include "grid"
#include "vec4_view"

struct Params {
  n: u32,
  lr: f32,
  weight_decay: f32,
  momentum: f32,
  one_minus_dampening: f32,
  grad_sign: f32,
  first_step: u32,
  nesterov: u32,
  grad_site: u32,
  param_site: u32,
  step: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> check_flag: array<atomic<u32>, 4>;
@group(0) @binding(4) var<storage, read_write> momentum_buffer: array<vec4<f32>>;

#include "check_flag"
#include "optim_common"

@compute @workgroup_size(WG)
fn sgd(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let w_new = w - p.lr * decayed_grad(i, w);
  store_param(i, w, w_new, past_end(i));
}

@compute @workgroup_size(WG)
fn sgd_momentum(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let d = decayed_grad(i, w);
  let old_b = momentum_buffer[i];
  let b = select(p.momentum * old_b + p.one_minus_dampening * d, d, p.first_step != 0u);
  let update = select(b, d + p.momentum * b, p.nesterov != 0u);
  let tail = past_end(i);
  store_param(i, w, w - p.lr * update, tail);
  momentum_buffer[i] = select(b, old_b, tail);
}
