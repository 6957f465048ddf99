// k-means++ seeding, the k-means start of the Gaussian mixture and the Gaussian HMM: the squared
// distance from every sample to each of a few candidate centres, capped by the sample's squared distance to its nearest centre so far:
//   out[t, n] = min(nearest[n], ||x_n - c_t||²).
// Summing a row gives the seeding potential if candidate t were added; the best row becomes the new
// `nearest`. Distances are taken from the differences, never as ||x||² - 2 x·c + ||c||².
// Bindings: @0 uniform Params, @1 x [N, Dp] (read, features zero-padded to a multiple of 4),
// @2 candidates [T, Dp] (read), @3 nearest [N] (read), @4 out [T, N] (write).
// Grid: 1-D over the T * N outputs (folded into 2-D past 65535 workgroups), one invocation per
// output; neighbouring invocations take neighbouring samples for the same candidate.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  n: u32,       // samples
  t: u32,       // candidates
  blocks: u32,  // Dp / 4
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> candidates: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> nearest: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let index = flat_index(grid);
  if (index >= p.n * p.t) { return; }
  let sample = index % p.n;
  let candidate = index / p.n;
  var distance = 0.0;
  for (var i = 0u; i < p.blocks; i++) {
    let diff = x[sample * p.blocks + i] - candidates[candidate * p.blocks + i];
    distance += dot(diff, diff);
  }
  out[index] = min(nearest[sample], distance);
}
