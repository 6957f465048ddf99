// Gaussian sampling for the mixture and the HMM: x = μ_k + L_k z for each sample's component (or
// hidden state) k and standard normal noise z, where L_k is the lower Cholesky factor of Σ_k
// (L_k L_kᵀ = Σ_k).
// Bindings: @0 uniform Params, @1 z [N, D] (read), @2 labels [N] i32 (read), @3 means [K, D] (read),
// @4 factors [K, D, D] lower triangular (read; one matrix with factor_stride 0 when tied), @5 out [N, D].
// Grid: 1-D over the N * D outputs (folded into 2-D past 65535 workgroups), one invocation per
// output: out[n, j] = μ_kj + Σ_{i <= j} L_k[j, i] z_ni, reading row j of L_k contiguously.
// The host gives diagonal and spherical covariances as diagonal factors.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  total: u32,          // N * D
  d: u32,
  factor_stride: u32,  // elements between components' factors (D * D, or 0 when tied)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> means: array<f32>;
@group(0) @binding(4) var<storage, read> factors: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let index = flat_index(grid);
  if (index >= p.total) { return; }
  let sample = index / p.d;
  let j = index % p.d;
  let k = u32(labels[sample]);
  let row = k * p.factor_stride + j * p.d;
  var value = means[k * p.d + j];
  for (var i = 0u; i <= j; i++) { value = fma(factors[row + i], z[sample * p.d + i], value); }
  out[index] = value;
}
