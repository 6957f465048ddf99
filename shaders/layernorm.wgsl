// LayerNorm forward, fused: x viewed as [rows, D] (contiguous), normalised over each row of D values,
// one invocation per row:
//   1. mean = sum(x) / D;
//   2. var = sum((x - mean)^2) / D (the biased variance, as PyTorch; a second pass over the row rather
//      than sum(x^2) - mean^2, so a large common offset cancels no digits); rstd = 1 / sqrt(var + eps);
//   3. y = (x - mean) * rstd * weight + bias, and stats[row] = (mean, rstd) for the backward pass.
// {{T}} is f32, or vec4<f32> when D is a multiple of 4 (then `width` = D / 4 and each step loads four
// values of the row; {{TOTAL}} sums an accumulator's lanes). weight and bias are [D]; when the layer
// has none, HAS_WEIGHT / HAS_BIAS are false and the host binds x in their place (never read).
// Entry point `rows` is the GPU-class rung (src/ops/row-variant.ts): one workgroup per row, invocation t
// taking steps t, t + WG, ... of the row and the workgroup adding the partial sums in workgroup memory;
// `main` is the same walk with one invocation taking every step.
// Bindings: @0 uniform Params, @1 x (read), @2 weight (read), @3 bias (read), @4 y, @5 stats.
// Includes: grid (the folded 1-D launch), workgroup_sum (the tree).

#include "grid"
#include "workgroup_sum"

alias T = {{T}};

struct Params {
  rows: u32,
  width: u32,
  inv_count: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read> weight: array<T>;
@group(0) @binding(3) var<storage, read> bias: array<T>;
@group(0) @binding(4) var<storage, read_write> y: array<T>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec2<f32>>;

override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;

fn total(v: T) -> f32 { return {{TOTAL}}; }

// The three passes over steps first, first + step, ... of the row starting at `start`.
fn row_sum(start: u32, first: u32, step: u32) -> f32 {
  var sum = T(0.0);
  for (var j = first; j < p.width; j += step) {
    sum += x[start + j];
  }
  return total(sum);
}

fn row_squares(start: u32, mean: f32, first: u32, step: u32) -> f32 {
  var squares = T(0.0);
  for (var j = first; j < p.width; j += step) {
    let d = x[start + j] - mean;
    squares += d * d;
  }
  return total(squares);
}

fn write_row(start: u32, mean: f32, rstd: f32, first: u32, step: u32) {
  for (var j = first; j < p.width; j += step) {
    var v = (x[start + j] - mean) * rstd;
    if (HAS_WEIGHT) { v *= weight[j]; }
    if (HAS_BIAS) { v += bias[j]; }
    y[start + j] = v;
  }
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let row = flat_index(grid);
  if (row >= p.rows) { return; }
  let start = row * p.width;
  let mean = row_sum(start, 0u, 1u) * p.inv_count;
  let rstd = inverseSqrt(row_squares(start, mean, 0u, 1u) * p.inv_count + p.eps);
  write_row(start, mean, rstd, 0u, 1u);
  stats[row] = vec2<f32>(mean, rstd);
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  // The row depends on workgroup builtins only, so this return is uniform and the barriers stay legal.
  let row = group.x + group.y * groups.x;
  if (row >= p.rows) { return; }
  let start = row * p.width;
  let mean = workgroup_sum(t, row_sum(start, t, WG)) * p.inv_count;
  let rstd = inverseSqrt(workgroup_sum(t, row_squares(start, mean, t, WG)) * p.inv_count + p.eps);
  write_row(start, mean, rstd, t, WG);
  if (t == 0u) { stats[row] = vec2<f32>(mean, rstd); }
}
