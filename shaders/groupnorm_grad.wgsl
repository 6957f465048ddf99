// GroupNorm backward, fused (used when the backward pass itself is not recorded; otherwise
// src/ops/groupnorm.ts writes the same rules with tensor ops). x, g and dx are [N, C, ...spatial]
// (contiguous), S the spatial size, G groups of Cg = C / G channels, D = Cg * S values per (n, group)
// row, and (mean, rstd) per row from the forward pass's stats, xhat = (x - mean) * rstd. Two entry
// points, both one workgroup per item (of WG invocations, a power of two from 32 to 256 that the host
// picks from the item's length; folded into 2-D past 65535 workgroups):
//   channel_sums, per plane (n, c) of S values: sum_g = sum(g) and sum_g_xhat = sum(g * xhat). Summed
//     over n on the host they are the bias's and the weight's gradients; weighted by weight[c] and
//     summed over a group's channels they are the two sums the input gradient needs;
//   input_grad, per row (n, group): with gw = g * weight[c] (g itself without a weight),
//     dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)),
//     the two means taken from channel_sums (each invocation adds up the row's Cg pairs itself).
// Without a weight, HAS_WEIGHT is false and the host binds x in its place (never read).
// Bindings: @0 uniform Params, @1 x (read), @2 weight (read), @3 stats (read), @4 g (read),
// @5 sum_g and @6 sum_g_xhat (written by channel_sums, read by input_grad), @7 dx (input_grad).
// Includes: grid (for WG), workgroup_sum (the tree sum).

#include "grid"
#include "workgroup_sum"

struct Params {
  items: u32,
  channels: u32,
  group_channels: u32,
  spatial: u32,
  inv_count: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> sum_g: array<f32>;
@group(0) @binding(6) var<storage, read_write> sum_g_xhat: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;

override HAS_WEIGHT: bool = true;

// The weight of plane (n, c) = n * C + c.
fn plane_weight(plane: u32) -> f32 {
  if (HAS_WEIGHT) { return weight[plane % p.channels]; }
  return 1.0;
}

// items = N * C planes.
@compute @workgroup_size(WG)
fn channel_sums(
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(num_workgroups) workgroups: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let plane = workgroup.x + workgroup.y * workgroups.x;
  if (plane >= p.items) { return; }
  // plane = (n * G + group) * Cg + channel-in-group, so its row is plane / Cg.
  let row_stats = stats[plane / p.group_channels];
  let start = plane * p.spatial;
  var total_g = 0.0;
  var total_g_xhat = 0.0;
  for (var j = t; j < p.spatial; j += WG) {
    let gj = g[start + j];
    total_g += gj;
    total_g_xhat = fma(gj, (x[start + j] - row_stats.x) * row_stats.y, total_g_xhat);
  }
  let plane_g = workgroup_sum(t, total_g);
  let plane_g_xhat = workgroup_sum(t, total_g_xhat);
  if (t == 0u) {
    sum_g[plane] = plane_g;
    sum_g_xhat[plane] = plane_g_xhat;
  }
}

// items = N * G rows.
@compute @workgroup_size(WG)
fn input_grad(
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(num_workgroups) workgroups: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let row = workgroup.x + workgroup.y * workgroups.x;
  if (row >= p.items) { return; }
  let mean = stats[row].x;
  let rstd = stats[row].y;
  let first_plane = row * p.group_channels;
  var sum_gw = 0.0;
  var sum_gw_xhat = 0.0;
  for (var k = 0u; k < p.group_channels; k++) {
    let w = plane_weight(first_plane + k);
    sum_gw = fma(w, sum_g[first_plane + k], sum_gw);
    sum_gw_xhat = fma(w, sum_g_xhat[first_plane + k], sum_gw_xhat);
  }
  let mean_gw = sum_gw * p.inv_count;
  let mean_gw_xhat = sum_gw_xhat * p.inv_count;
  let width = p.group_channels * p.spatial;
  let start = row * width;
  for (var j = t; j < width; j += WG) {
    let w = plane_weight(first_plane + j / p.spatial);
    let xhat = (x[start + j] - mean) * rstd;
    dx[start + j] = rstd * (g[start + j] * w - mean_gw - xhat * mean_gw_xhat);
  }
}
