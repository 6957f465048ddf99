// LayerNorm backward, fused (used when the backward pass itself is not recorded; otherwise
// src/nn/layer-norm.ts writes the same rules with tensor ops). x, g and dx viewed as [rows, D], one
// invocation per row, with (mean, rstd) from the forward pass's stats, xhat = (x - mean) * rstd and
// gw = g * weight (g itself when the layer has no weight):
//   dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))     one pass for the two sums, one to write;
// entry point `input_and_weight_grad` also writes g * xhat, which the host sums over the rows into the
// weight's gradient (the bias's is the row sum of g). {{T}} is f32, or vec4<f32> when D is a multiple
// of 4 (`width` = D / 4; {{TOTAL}} sums an accumulator's lanes). Without a weight, HAS_WEIGHT is false
// and the host binds x in its place (never read).
// Entry points `rows_input_grad` and `rows_input_and_weight_grad` are the GPU-class rung (as
// layernorm.wgsl's `rows`): one workgroup per row, the two sums added across it in workgroup memory.
// Bindings: @0 uniform Params, @1 x (read), @2 weight (read), @3 stats (read), @4 g (read), @5 dx,
// @6 g_xhat (the *input_and_weight_grad entry points only).
// Includes: grid (the folded 1-D launch), workgroup_sum (the tree).

#include "grid"
#include "workgroup_sum"

alias T = {{T}};

struct Params {
  rows: u32,
  width: u32,
  inv_count: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> weight: array<T>;
@group(0) @binding(3) var<storage, read> stats: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read> g: array<T>;
@group(0) @binding(5) var<storage, read_write> dx: array<T>;
@group(0) @binding(6) var<storage, read_write> g_xhat: array<T>;

override HAS_WEIGHT: bool = true;

fn total(v: T) -> f32 { return {{TOTAL}}; }

fn scaled_grad(at: u32, j: u32) -> T {
  if (HAS_WEIGHT) { return g[at] * weight[j]; }
  return g[at];
}

// sum(gw) and sum(gw * xhat) over steps first, first + step, ... of the row starting at `start`.
fn grad_sums(start: u32, mean: f32, rstd: f32, first: u32, step: u32) -> vec2<f32> {
  var sum_gw = T(0.0);
  var sum_gw_xhat = T(0.0);
  for (var j = first; j < p.width; j += step) {
    let gw = scaled_grad(start + j, j);
    sum_gw += gw;
    sum_gw_xhat += gw * (x[start + j] - mean) * rstd;
  }
  return vec2<f32>(total(sum_gw), total(sum_gw_xhat));
}

// Writes dx over those steps, given the row's mean(gw) and mean(gw * xhat).
fn write_input_grad(start: u32, mean: f32, rstd: f32, means: vec2<f32>, first: u32, step: u32) {
  for (var j = first; j < p.width; j += step) {
    let xhat = (x[start + j] - mean) * rstd;
    dx[start + j] = rstd * (scaled_grad(start + j, j) - means.x - xhat * means.y);
  }
}

// Writes g * xhat over those steps (the terms of the weight's gradient).
fn write_g_xhat(start: u32, mean: f32, rstd: f32, first: u32, step: u32) {
  for (var j = first; j < p.width; j += step) {
    g_xhat[start + j] = g[start + j] * (x[start + j] - mean) * rstd;
  }
}

@compute @workgroup_size(WG)
fn input_grad(grid: Grid) {
  let row = flat_index(grid);
  if (row >= p.rows) { return; }
  let start = row * p.width;
  write_input_grad(start, stats[row].x, stats[row].y, grad_sums(start, stats[row].x, stats[row].y, 0u, 1u) * p.inv_count, 0u, 1u);
}

@compute @workgroup_size(WG)
fn input_and_weight_grad(grid: Grid) {
  let row = flat_index(grid);
  if (row >= p.rows) { return; }
  let start = row * p.width;
  write_input_grad(start, stats[row].x, stats[row].y, grad_sums(start, stats[row].x, stats[row].y, 0u, 1u) * p.inv_count, 0u, 1u);
  write_g_xhat(start, stats[row].x, stats[row].y, 0u, 1u);
}

// Writes dx for the workgroup's row, the row's means of gw and gw * xhat added across the workgroup
// (every invocation calls it: it holds barriers).
fn workgroup_input_grad(row: u32, t: u32) {
  let start = row * p.width;
  let own = grad_sums(start, stats[row].x, stats[row].y, t, WG);
  let means = vec2<f32>(workgroup_sum(t, own.x), workgroup_sum(t, own.y)) * p.inv_count;
  write_input_grad(start, stats[row].x, stats[row].y, means, t, WG);
}

@compute @workgroup_size(WG)
fn rows_input_grad(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = group.x + group.y * groups.x; // uniform: the barriers stay legal
  if (row >= p.rows) { return; }
  workgroup_input_grad(row, t);
}

@compute @workgroup_size(WG)
fn rows_input_and_weight_grad(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = group.x + group.y * groups.x; // uniform: the barriers stay legal
  if (row >= p.rows) { return; }
  workgroup_input_grad(row, t);
  write_g_xhat(row * p.width, stats[row].x, stats[row].y, t, WG);
}
