// LayerNorm forward, fused: x viewed as [rows, D] (contiguous), normalised over each row of D values,
// one invocation per row:
//   1. mean = sum(x) / D;
//   2. var = sum((x - mean)^2) / D (the biased variance, as PyTorch; a second pass over the row rather
//      than sum(x^2) - mean^2, so a large common offset cancels no digits); rstd = 1 / sqrt(var + eps);
//   3. y = (x - mean) * rstd * weight + bias, and stats[row] = (mean, rstd) for the backward pass.
// {{T}} is f32, or vec4<f32> when D is a multiple of 4 (then `width` = D / 4 and each step loads four
// values of the row; {{TOTAL}} sums an accumulator's lanes). weight and bias are [D]; when the layer
// has none, HAS_WEIGHT / HAS_BIAS are false and the host binds x in their place (never read).
// Bindings: @0 uniform Params, @1 x (read), @2 weight (read), @3 bias (read), @4 y, @5 stats.
// Includes: grid (the folded 1-D launch).

#include "grid"

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

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let row = flat_index(grid);
  if (row >= p.rows) { return; }
  let start = row * p.width;
  var sum = T(0.0);
  for (var j = 0u; j < p.width; j++) {
    sum += x[start + j];
  }
  let mean = total(sum) * p.inv_count;
  var squares = T(0.0);
  for (var j = 0u; j < p.width; j++) {
    let d = x[start + j] - mean;
    squares += d * d;
  }
  let rstd = inverseSqrt(total(squares) * p.inv_count + p.eps);
  for (var j = 0u; j < p.width; j++) {
    var v = (x[start + j] - mean) * rstd;
    if (HAS_WEIGHT) { v *= weight[j]; }
    if (HAS_BIAS) { v += bias[j]; }
    y[start + j] = v;
  }
  stats[row] = vec2<f32>(mean, rstd);
}
