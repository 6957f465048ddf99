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
// The NaN/Inf watch (include/optim_watch) looks at the gradient and the new parameter here, where
// they are in registers anyway, so watching training costs no pass of its own.
// All buffers are viewed as vec4s; the last vec4 may run past the tensor's n elements into the
// buffer's padding (pooled buffers are multiples of 16 bytes): those lanes are read but keep their
// old values, so no byte outside the tensor changes. One invocation per vec4, 2-D grid when large.

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
#include "optim_watch"

override WG: u32 = 256;

fn vec4_count() -> u32 {
  return (p.n + 3u) / 4u;
}

// True for the lanes of vec4 i that lie past the tensor's last element.
fn past_end(i: u32) -> vec4<bool> {
  return vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u) >= vec4<u32>(p.n);
}

// The gradient the moments see: sign-flipped when maximizing, plus Adam's coupled L2 term.
fn effective_grad(i: u32, w: vec4<f32>) -> vec4<f32> {
  return p.grad_sign * grad[i] + p.weight_decay * w;
}

fn new_exp_avg(m: vec4<f32>, g: vec4<f32>) -> vec4<f32> {
  return m + p.one_minus_beta1 * (g - m);
}

fn new_exp_avg_sq(v: vec4<f32>, g: vec4<f32>) -> vec4<f32> {
  return p.beta2 * v + p.one_minus_beta2 * g * g;
}

// The parameter after its step, given the second moment the denominator uses.
fn stepped(w: vec4<f32>, m: vec4<f32>, v: vec4<f32>) -> vec4<f32> {
  let denom = sqrt(v) / p.bias_correction2_sqrt + p.eps;
  return w * p.param_scale - p.step_size * m / denom;
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let g = effective_grad(i, w);
  let m = exp_avg[i];
  let v = exp_avg_sq[i];
  let m_new = new_exp_avg(m, g);
  let v_new = new_exp_avg_sq(v, g);
  let tail = past_end(i);
  let w_new = stepped(w, m_new, v_new);
  watch(grad[i], w_new, tail);
  param[i] = select(w_new, w, tail);
  exp_avg[i] = select(m_new, m, tail);
  exp_avg_sq[i] = select(v_new, v, tail);
}

@compute @workgroup_size(WG)
fn adam_amsgrad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let g = effective_grad(i, w);
  let m = exp_avg[i];
  let v = exp_avg_sq[i];
  let v_max = max_exp_avg_sq[i];
  let m_new = new_exp_avg(m, g);
  let v_new = new_exp_avg_sq(v, g);
  let v_max_new = max(v_max, v_new);
  let tail = past_end(i);
  let w_new = stepped(w, m_new, v_max_new);
  watch(grad[i], w_new, tail);
  param[i] = select(w_new, w, tail);
  exp_avg[i] = select(m_new, m, tail);
  exp_avg_sq[i] = select(v_new, v, tail);
  max_exp_avg_sq[i] = select(v_max_new, v_max, tail);
}
