// Backward of softmax and log-softmax along one axis, fused (used when the backward pass itself is
// not recorded; otherwise src/ops/softmax.ts writes the same rules with tensor ops):
//   {{OP}} = softmax:      dx = y * (g - sum(g * y))      where y = softmax(x)
//   {{OP}} = log_softmax:  dx = g - exp(y) * sum(g)       where y = log_softmax(x)
// y, g and dx viewed as [outer, k, inner], one invocation per line (o, i) as in shaders/softmax.wgsl:
// one pass for the sum (four interleaved accumulators), one to write. {{T}} is f32, or vec4<f32> when
// inner is a multiple of 4.
// Entry point `rows`: the last axis (inner = 1, T = f32) with one workgroup per row, as softmax.wgsl's
// `rows`: each invocation sums elements t, t + WG, ..., the workgroup adds the partial sums in a tree
// (T-typed, so the module compiles for either T; the host runs `rows` with T = f32 only).
// Bindings: @0 uniform Params, @1 y (read), @2 g (read), @3 dx.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  outer: u32,
  k: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<{{T}}>;
@group(0) @binding(2) var<storage, read> g: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> dx: array<{{T}}>;

alias T = {{T}};

// What each element adds to the line's sum, and its gradient given that sum.
fn term_softmax(at: u32) -> T { return g[at] * y[at]; }
fn grad_softmax(at: u32, total: T) -> T { return y[at] * (g[at] - total); }
fn term_log_softmax(at: u32) -> T { return g[at]; }
fn grad_log_softmax(at: u32, total: T) -> T { return g[at] - exp(y[at]) * total; }

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.outer * p.inner) { return; }
  let stride = p.inner;
  let start = (task / p.inner) * p.k * stride + task % p.inner;
  var sum0 = T(0.0);
  var sum1 = T(0.0);
  var sum2 = T(0.0);
  var sum3 = T(0.0);
  var at = start;
  var j = 0u;
  for (; j + 4u <= p.k; j += 4u) {
    sum0 += term_{{OP}}(at);
    sum1 += term_{{OP}}(at + stride);
    sum2 += term_{{OP}}(at + 2u * stride);
    sum3 += term_{{OP}}(at + 3u * stride);
    at += 4u * stride;
  }
  for (; j < p.k; j++) {
    sum0 += term_{{OP}}(at);
    at += stride;
  }
  let total = (sum0 + sum1) + (sum2 + sum3);
  at = start;
  for (j = 0u; j < p.k; j++) {
    dx[at] = grad_{{OP}}(at, total);
    at += stride;
  }
}

var<workgroup> row_partial: array<T, WG>;

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  // Uniform return (workgroup builtins only): the barriers of workgroup_sum stay legal.
  let row = group.x + group.y * groups.x;
  if (row >= p.outer) { return; }
  let start = row * p.k;
  var own = T(0.0);
  for (var j = t; j < p.k; j += WG) {
    own += term_{{OP}}(start + j);
  }
  row_partial[t] = own;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (t < half) { row_partial[t] += row_partial[t + half]; }
    workgroupBarrier();
  }
  let total = row_partial[0];
  for (var j = t; j < p.k; j += WG) {
    dx[start + j] = grad_{{OP}}(start + j, total);
  }
}
