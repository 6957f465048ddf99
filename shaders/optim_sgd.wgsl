// SGD update, PyTorch's rule, fused: one invocation reads the gradient, updates the momentum buffer
// and writes the parameter, in place, for four elements (one vec4).
//   d = sign * g + weight_decay * w                     (sign = -1 when maximizing)
//   momentum:  b = d on the first step, else momentum * b + (1 - dampening) * d
//              d = d + momentum * b (Nesterov), else d = b
//   w = w - lr * d
// Entry points: `sgd` (no momentum: @1 param, @2 grad, @3 check_flag) and `sgd_momentum` (also @4
// momentum_buffer). The NaN/Inf watch (include/optim_watch) looks at the gradient and the new
// parameter here, where they are in registers anyway, so watching training costs no pass of its own.
// Every hyperparameter is a uniform, so changing the learning rate never compiles a pipeline.
// Bindings: @0 uniform Params, @1 param (read-write), @2 grad (read), @3 check_flag, @4 momentum_buffer
// (read-write).
// All of them are viewed as vec4s; the last vec4 may run past the tensor's n elements into the
// buffer's padding (pooled buffers are multiples of 16 bytes): those lanes are read but keep their
// old values, so no byte outside the tensor changes. One invocation per vec4, 2-D grid when large.

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
#include "optim_watch"

override WG: u32 = 256;

fn vec4_count() -> u32 {
  return (p.n + 3u) / 4u;
}

// True for the lanes of vec4 i that lie past the tensor's last element.
fn past_end(i: u32) -> vec4<bool> {
  return vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u) >= vec4<u32>(p.n);
}

fn decayed_grad(i: u32, w: vec4<f32>) -> vec4<f32> {
  return p.grad_sign * grad[i] + p.weight_decay * w;
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let w_new = w - p.lr * decayed_grad(i, w);
  let tail = past_end(i);
  watch(grad[i], w_new, tail);
  param[i] = select(w_new, w, tail);
}

@compute @workgroup_size(WG)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= vec4_count()) { return; }
  let w = param[i];
  let d = decayed_grad(i, w);
  let old_b = momentum_buffer[i];
  let b = select(p.momentum * old_b + p.one_minus_dampening * d, d, p.first_step != 0u);
  let update = select(b, d + p.momentum * b, p.nesterov != 0u);
  let tail = past_end(i);
  let w_new = w - p.lr * update;
  watch(grad[i], w_new, tail);
  param[i] = select(w_new, w, tail);
  momentum_buffer[i] = select(b, old_b, tail);
}
