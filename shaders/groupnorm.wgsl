// GroupNorm forward, fused: x [N, C, ...spatial] (contiguous) seen as N * G rows, one per (n, group),
// each the D = (C / G) * S contiguous values of its group's channels (S the spatial size). One
// workgroup per row (rows are few and long in a U-Net: a U-Net at 64x64 with 32 groups has rows of
// thousands of values), its invocations striding the row so that neighbours read neighbouring values:
//   1. mean = sum(x) / D, summed by each invocation then across the workgroup;
//   2. var = sum((x - mean)^2) / D (biased, as PyTorch; a second pass rather than sum(x^2) - mean^2,
//      so a large common offset cancels no digits); rstd = 1 / sqrt(var + eps);
//   3. y = (x - mean) * rstd * weight[c] + bias[c], c = the value's channel, and stats[row] =
//      (mean, rstd) for the backward pass (shaders/groupnorm_grad.wgsl).
// weight and bias are [C]; when the layer has none, HAS_WEIGHT / HAS_BIAS are false and the host binds
// x in their place (never read).
// Bindings: @0 uniform Params, @1 x (read), @2 weight (read), @3 bias (read), @4 y, @5 stats.
// Launch: one workgroup per row, of WG invocations (a power of two from 32 to 256 that the host picks
// from the row length), the workgroups folded into 2-D past 65535.
// Includes: grid (for WG), workgroup_sum (the tree sum).

#include "grid"
#include "workgroup_sum"

struct Params {
  rows: u32,
  groups: u32,
  group_channels: u32,
  spatial: u32,
  inv_count: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec2<f32>>;

override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(num_workgroups) workgroups: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let row = workgroup.x + workgroup.y * workgroups.x;
  if (row >= p.rows) { return; }
  let width = p.group_channels * p.spatial;
  let start = row * width;
  var sum = 0.0;
  for (var j = t; j < width; j += WG) {
    sum += x[start + j];
  }
  let mean = workgroup_sum(t, sum) * p.inv_count;
  var squares = 0.0;
  for (var j = t; j < width; j += WG) {
    let d = x[start + j] - mean;
    squares = fma(d, d, squares);
  }
  let rstd = inverseSqrt(workgroup_sum(t, squares) * p.inv_count + p.eps);
  let first_channel = (row % p.groups) * p.group_channels;
  for (var j = t; j < width; j += WG) {
    var v = (x[start + j] - mean) * rstd;
    let c = first_channel + j / p.spatial;
    if (HAS_WEIGHT) { v *= weight[c]; }
    if (HAS_BIAS) { v += bias[c]; }
    y[start + j] = v;
  }
  if (t == 0u) { stats[row] = vec2<f32>(mean, rstd); }
}
