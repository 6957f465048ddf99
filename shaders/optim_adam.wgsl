// Adam and AdamW updates, PyTorch's rules, fused: one invocation reads the gradient, updates both
// moments (and the running maximum for AMSGrad) and writes the parameter, in place, for four
// elements (one vec4).
//   g = sign * g + weight_decay * w                      (Adam's coupled L2 term; 0 for AdamW)
//   w = w * param_scale                                  (AdamW's decoupled decay, 1 - lr * wd; 1 for Adam)
//   m = m + (1 - beta1) (g - m)                          (torch's lerp)
//   v = beta2 v + (1 - beta2) g^2;   AMSGrad: v_max = max(v_max, v), used in place of v below
//   w = w - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
// The host computes step_size = lr / (1 - beta1^t) and bias_correction2_sqrt = sqrt(1 - beta2^t) in
// float64 for each parameter's step count t. Every hyperparameter is a uniform, so changing the
// learning rate never compiles a pipeline.
// Entry points: `adam` (@1 param, @2 grad, @3 exp_avg, @4 exp_avg_sq, @5 check_flag) and
// `adam_amsgrad` (also @6 max_exp_avg_sq). Bindings: @0 uniform Params, @1 read-write, @2 read,
// @3..@6 read-write.
// All buffers are viewed as vec4s, one invocation per vec4; lanes past the tensor's end keep their
// old values, so no byte outside the tensor changes.
// Includes: check_flag and optim_common (the decayed gradient, the NaN/Inf watch on the gradient
// and the new parameter that reports to the runtime's check flag, and the parameter's write-back),
// grid (the folded 1-D launch), vec4_view (the vec4 count and the lanes past the tensor's end).

#include "grid"
#include "vec4_view"

struct Params {
  n: u32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
  weight_decay: f32,
  param_scale: f32,
  step_size: f32,
  bias_correction2_sqrt: f32,
  grad_sign: f32,
  grad_site: u32,
  param_site: u32,
  step: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> check_flag: array<atomic<u32>, 4>;
@group(0) @binding(6) var<storage, read_write> max_exp_avg_sq: array<vec4<f32>>;

#include "check_flag"
#include "optim_common"

// Both moments of vec4 i before and after a step along gradient g.
struct Moments {
  m: vec4<f32>,
  v: vec4<f32>,
  m_new: vec4<f32>,
  v_new: vec4<f32>,
}

fn moments(i: u32, g: vec4<f32>) -> Moments {
  let m = exp_avg[i];
  let v = exp_avg_sq[i];
  return Moments(m, v, m + p.one_minus_beta1 * (g - m), p.beta2 * v + p.one_minus_beta2 * g * g);
}

/** Writes the new moments of vec4 i back, except in the lanes past the tensor's end (`tail`). */
fn store_moments(i: u32, state: Moments, tail: vec4<bool>) {
  exp_avg[i] = select(state.m_new, state.m, tail);
  exp_avg_sq[i] = select(state.v_new, state.v, tail);
}

// The parameter after its step, given the second moment the denominator uses.
fn stepped(w: vec4<f32>, m: vec4<f32>, v: vec4<f32>) -> vec4<f32> {
  let denom = sqrt(v) / p.bias_correction2_sqrt + p.eps;
  return w * p.param_scale - p.step_size * m / denom;
}

@compute @workgroup_size(WG)
fn adam(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let state = moments(i, decayed_grad(i, w));
  let tail = past_end(i);
  store_param(i, w, stepped(w, state.m_new, state.v_new), tail);
  store_moments(i, state, tail);
}

@compute @workgroup_size(WG)
fn adam_amsgrad(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let state = moments(i, decayed_grad(i, w));
  let v_max = max_exp_avg_sq[i];
  let v_max_new = max(v_max, state.v_new);
  let tail = past_end(i);
  store_param(i, w, stepped(w, state.m_new, v_max_new), tail);
  store_moments(i, state, tail);
  max_exp_avg_sq[i] = select(v_max_new, v_max, tail);
}
