// Categorical HMM emission log-probabilities for every frame and state:
//   log_b[n, k] = log_emission[k, x_n] for the symbol x_n (i32 in [0, V)),
// one invocation per (frame, state), a single gather each. A symbol outside [0, V) is clamped here so
// nothing is read out of bounds; the methods that read results back check the symbols first (see
// src/models/hmm/categorical.ts). Gaussian emissions come from gaussian_logpdf.wgsl.
// Bindings: @0 uniform Params, @1 symbols [N] i32, @2 log_emission [K, V], @3 log_b [N, K] (write).
// Grid: 1-D over N * K, folded into 2-D past 65535 workgroups.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  n: u32,         // frames
  k: u32,         // states
  symbols: u32,   // the alphabet size V
}

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> symbols: array<i32>;
@group(0) @binding(2) var<storage, read> log_emission: array<f32>;
@group(0) @binding(3) var<storage, read_write> log_b: array<f32>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let index = flat_index(grid);
  if (index >= p.n * p.k) { return; }
  let frame = index / p.k;
  let state = index % p.k;
  let symbol = u32(clamp(symbols[frame], 0, i32(p.symbols) - 1));
  log_b[index] = log_emission[state * p.symbols + symbol];
}
