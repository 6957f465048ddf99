// LayerNorm backward, fused (used when the backward pass itself is not recorded; otherwise
// src/nn/layer-norm.ts writes the same rules with tensor ops). x, g and dx viewed as [rows, D], one
// invocation per row, with (mean, rstd) from the forward pass's stats, xhat = (x - mean) * rstd and
// gw = g * weight (g itself when the layer has no weight):
//   dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))     one pass for the two sums, one to write;
// entry point `input_and_weight_grad` also writes g * xhat, which the host sums over the rows into the
// weight's gradient (the bias's is the row sum of g). {{T}} is f32, or vec4<f32> when D is a multiple
// of 4 (`width` = D / 4; {{TOTAL}} sums an accumulator's lanes). Without a weight, HAS_WEIGHT is false
// and the host binds x in its place (never read).
// Bindings: @0 uniform Params, @1 x (read), @2 weight (read), @3 stats (read), @4 g (read), @5 dx,
// @6 g_xhat (input_and_weight_grad only).
// Includes: grid (the folded 1-D launch).

#include "grid"

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

// Writes dx for one row.
fn input_grad_row(row: u32) {
  let start = row * p.width;
  let mean = stats[row].x;
  let rstd = stats[row].y;
  var sum_gw = T(0.0);
  var sum_gw_xhat = T(0.0);
  for (var j = 0u; j < p.width; j++) {
    let gw = scaled_grad(start + j, j);
    sum_gw += gw;
    sum_gw_xhat += gw * (x[start + j] - mean) * rstd;
  }
  let mean_gw = total(sum_gw) * p.inv_count;
  let mean_gw_xhat = total(sum_gw_xhat) * p.inv_count;
  for (var j = 0u; j < p.width; j++) {
    let xhat = (x[start + j] - mean) * rstd;
    dx[start + j] = rstd * (scaled_grad(start + j, j) - mean_gw - xhat * mean_gw_xhat);
  }
}

@compute @workgroup_size(WG)
fn input_grad(grid: Grid) {
  let row = flat_index(grid);
  if (row >= p.rows) { return; }
  input_grad_row(row);
}

@compute @workgroup_size(WG)
fn input_and_weight_grad(grid: Grid) {
  let row = flat_index(grid);
  if (row >= p.rows) { return; }
  input_grad_row(row);
  let start = row * p.width;
  let mean = stats[row].x;
  let rstd = stats[row].y;
  for (var j = 0u; j < p.width; j++) {
    g_xhat[start + j] = g[start + j] * (x[start + j] - mean) * rstd;
  }
}
