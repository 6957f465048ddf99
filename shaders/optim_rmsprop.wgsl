// RMSprop update, PyTorch's rule, fused: one invocation reads the gradient, updates the running
// averages (and the momentum buffer) and writes the parameter, in place, for four elements (one vec4).
//   g = sign * g + weight_decay * w                        (sign = -1 when maximizing)
//   s = alpha s + (1 - alpha) g^2                          (square_avg)
//   centered:  a = a + (1 - alpha) (g - a)                 (grad_avg, torch's lerp)
//              avg = sqrt(s - a^2) + eps;   else avg = sqrt(s) + eps
//   momentum:  b = momentum b + g / avg,  w = w - lr b;    else w = w - lr g / avg
// Every hyperparameter is a uniform, so changing the learning rate never compiles a pipeline.
// Entry points, one per combination, so that each binds only the state it keeps: `rmsprop` (@1 param,
// @2 grad, @3 check_flag, @4 square_avg), `rmsprop_centered` (also @5 grad_avg), `rmsprop_momentum`
// (also @6 momentum_buffer) and `rmsprop_centered_momentum` (all of them). Bindings: @0 uniform
// Params, @1 read-write, @2 read, @3..@6 read-write.
// All buffers are viewed as vec4s, one invocation per vec4; lanes past the tensor's end keep their
// old values, so no byte outside the tensor changes.
// Includes: check_flag and optim_common (the decayed gradient, the NaN/Inf watch on the gradient
// and the new parameter that reports to the runtime's check flag, and the parameter's write-back),
// grid (the folded 1-D launch), vec4_view (the vec4 count and the lanes past the tensor's end).

#include "grid"
#include "vec4_view"

struct Params {
  n: u32,
  lr: f32,
  alpha: f32,
  one_minus_alpha: f32,
  eps: f32,
  weight_decay: f32,
  momentum: f32,
  grad_sign: f32,
  grad_site: u32,
  param_site: u32,
  step: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> check_flag: array<atomic<u32>, 4>;
@group(0) @binding(4) var<storage, read_write> square_avg: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> grad_avg: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> momentum_buffer: array<vec4<f32>>;

#include "check_flag"
#include "optim_common"

/** Updates square_avg of vec4 i along g (but in the lanes past the end) and returns its new value. */
fn square_avg_step(i: u32, g: vec4<f32>, tail: vec4<bool>) -> vec4<f32> {
  let s = square_avg[i];
  let s_new = p.alpha * s + p.one_minus_alpha * g * g;
  square_avg[i] = select(s_new, s, tail);
  return s_new;
}

/** The centered variance estimate s_new - a^2, updating grad_avg a of vec4 i along g. */
fn centered_variance(i: u32, g: vec4<f32>, s_new: vec4<f32>, tail: vec4<bool>) -> vec4<f32> {
  let a = grad_avg[i];
  let a_new = a + p.one_minus_alpha * (g - a);
  grad_avg[i] = select(a_new, a, tail);
  return s_new - a_new * a_new;
}

/** The momentum buffer of vec4 i after adding the scaled gradient g / avg: the step to take, times lr. */
fn momentum_step(i: u32, g: vec4<f32>, avg: vec4<f32>, tail: vec4<bool>) -> vec4<f32> {
  let b = momentum_buffer[i];
  let b_new = p.momentum * b + g / avg;
  momentum_buffer[i] = select(b_new, b, tail);
  return b_new;
}

@compute @workgroup_size(WG)
fn rmsprop(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let g = decayed_grad(i, w);
  let tail = past_end(i);
  let avg = sqrt(square_avg_step(i, g, tail)) + p.eps;
  store_param(i, w, w - p.lr * (g / avg), tail);
}

@compute @workgroup_size(WG)
fn rmsprop_centered(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let g = decayed_grad(i, w);
  let tail = past_end(i);
  let avg = sqrt(centered_variance(i, g, square_avg_step(i, g, tail), tail)) + p.eps;
  store_param(i, w, w - p.lr * (g / avg), tail);
}

@compute @workgroup_size(WG)
fn rmsprop_momentum(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let g = decayed_grad(i, w);
  let tail = past_end(i);
  let avg = sqrt(square_avg_step(i, g, tail)) + p.eps;
  store_param(i, w, w - p.lr * momentum_step(i, g, avg, tail), tail);
}

@compute @workgroup_size(WG)
fn rmsprop_centered_momentum(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let g = decayed_grad(i, w);
  let tail = past_end(i);
  let avg = sqrt(centered_variance(i, g, square_avg_step(i, g, tail), tail)) + p.eps;
  store_param(i, w, w - p.lr * momentum_step(i, g, avg, tail), tail);
}
