// Categorical HMM emission statistics for the Baum-Welch M-step: the posterior mass of each state k
// on each symbol v, sum over frames with x_n = v of gamma_nk, computed in chunks of frames. Each task
// (chunk, k) sums its chunk serially and writes its own partial row; the host adds the chunks with
// sum(0), so no atomics are needed. gamma is the [N, K] posterior from hmm_forward_backward.wgsl;
// symbols are clamped into [0, V) as hmm_categorical_logprob.wgsl reads them. Gaussian statistics
// come from gaussian_moments.wgsl.
// Bindings: @0 uniform Params, @1 symbols [N] i32, @2 gamma [N, K], @3 partial [chunks, K, V] (write).
// Grid: 1-D over the tasks, folded into 2-D past 65535 workgroups.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  n: u32,          // frames
  k: u32,          // states
  chunks: u32,
  chunk_len: u32,
  symbols: u32,    // the alphabet size V
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> symbols: array<i32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.chunks * p.k) { return; }
  let k = task % p.k;
  let chunk = task / p.k;
  let out = (chunk * p.k + k) * p.symbols;
  for (var v = 0u; v < p.symbols; v++) { partial[out + v] = 0.0; }
  let end = min(p.n, (chunk + 1u) * p.chunk_len);
  for (var n = chunk * p.chunk_len; n < end; n++) {
    let symbol = u32(clamp(symbols[n], 0, i32(p.symbols) - 1));
    partial[out + symbol] += gamma[n * p.k + k];
  }
}
