// Hidden Markov model emission statistics for the Baum-Welch M-step: posterior-weighted sums over
// frames, per state k, computed in chunks of frames. Each task (chunk, k, ...) sums its chunk
// serially and writes its own partial result; the host adds the chunks with sum(0), so every output
// is a short serial sum plus a tree of partials and no atomics are needed. gamma is the [N, K]
// posterior from hmm_forward_backward.wgsl (or a one-hot assignment, for the k-means start).
// Grid: 1-D over the tasks, folded into 2-D past 65535 workgroups (task = gid.x + gid.y * nwg.x * WG);
// tasks that share a chunk are neighbours, so a workgroup walks the same frames in step.
//
// Gaussian sums are taken about a per-state shift c_k (the means the E-step used): d = x_n - c_k,
//   n_k = sum gamma_nk,   s_k = sum gamma_nk d,   S_k = sum gamma_nk d dᵀ,
// so f32 keeps its digits when the data sit far from the origin; the host forms mu_k = c_k + s_k / n_k
// and Sigma_k = S_k / n_k - (mu_k - c_k)(mu_k - c_k)ᵀ in float64.
// diag: task (chunk, k); partial [chunks, K, 1 + 2 D] = [n_k, s_k (D), diag S_k (D)].
//   Bindings: @1 x [N, D] f32, @2 gamma [N, K], @3 shift [K, D], @4 partial.
// full: task (chunk, k, row a) computes row a of the (D+1) x (D+1) matrix sum gamma d' d'ᵀ with the
//   augmented d' = [1, d]: [0, 0] = n_k, [0, 1 + i] = s_ki, [1 + i, 1 + j] = S_kij.
//   partial [chunks, K, D + 1, D + 1]. Bindings as diag.
// categorical: task (chunk, k); partial [chunks, K, V]: the posterior mass of state k on each symbol,
//   sum over frames with x_n = v of gamma_nk (symbols clamped into [0, V) as hmm_emission.wgsl reads
//   them). Bindings: @1 symbols [N] i32, @2 gamma [N, K], @3 partial.
// {{D}} is the feature count (1 for categorical), {{D1}} = D + 1.

struct Params {
  n: u32,          // frames
  k: u32,          // states
  chunks: u32,
  chunk_len: u32,
  symbols: u32,    // categorical: the alphabet size V
}

@group(0) @binding(0) var<uniform> p: Params;

override WG: u32 = 64;
const D: u32 = {{D}}u;
const D1: u32 = {{D1}}u;

fn task_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// ---- Gaussian: @1 x, @2 gamma, @3 shift, @4 partial ----
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<storage, read_write> gaussian_partial: array<f32>;

@compute @workgroup_size(WG)
fn diag(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let task = task_index(gid, nwg);
  if (task >= p.chunks * p.k) { return; }
  let k = task % p.k;
  let chunk = task / p.k;
  var c: array<f32, D>;
  for (var i = 0u; i < D; i++) { c[i] = shift[k * D + i]; }
  var total = 0.0;
  var first: array<f32, D>;
  var second: array<f32, D>;
  let end = min(p.n, (chunk + 1u) * p.chunk_len);
  for (var n = chunk * p.chunk_len; n < end; n++) {
    let g = gamma[n * p.k + k];
    if (g == 0.0) { continue; }
    total += g;
    for (var i = 0u; i < D; i++) {
      let diff = x[n * D + i] - c[i];
      let weighted = g * diff;
      first[i] += weighted;
      second[i] = fma(weighted, diff, second[i]);
    }
  }
  let out = (chunk * p.k + k) * (1u + 2u * D);
  gaussian_partial[out] = total;
  for (var i = 0u; i < D; i++) {
    gaussian_partial[out + 1u + i] = first[i];
    gaussian_partial[out + 1u + D + i] = second[i];
  }
}

@compute @workgroup_size(WG)
fn full(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let task = task_index(gid, nwg);
  if (task >= p.chunks * p.k * D1) { return; }
  let row = task % D1;
  let k = (task / D1) % p.k;
  let chunk = task / (D1 * p.k);
  var c: array<f32, D>;
  for (var i = 0u; i < D; i++) { c[i] = shift[k * D + i]; }
  let feature = max(row, 1u) - 1u;   // row a > 0 weights by d_(a-1); row 0 by 1
  var acc: array<f32, D1>;
  let end = min(p.n, (chunk + 1u) * p.chunk_len);
  for (var n = chunk * p.chunk_len; n < end; n++) {
    let g = gamma[n * p.k + k];
    if (g == 0.0) { continue; }
    // w = gamma d'_row, with d'_0 = 1.
    let w = select(g * (x[n * D + feature] - c[feature]), g, row == 0u);
    acc[0] += w;
    for (var j = 0u; j < D; j++) { acc[j + 1u] = fma(w, x[n * D + j] - c[j], acc[j + 1u]); }
  }
  let out = ((chunk * p.k + k) * D1 + row) * D1;
  for (var j = 0u; j < D1; j++) { gaussian_partial[out + j] = acc[j]; }
}

// ---- categorical: @1 symbols, @2 gamma (as above), @3 partial ----
@group(0) @binding(1) var<storage, read> symbols: array<i32>;
@group(0) @binding(3) var<storage, read_write> categorical_partial: array<f32>;

@compute @workgroup_size(WG)
fn categorical(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let task = task_index(gid, nwg);
  if (task >= p.chunks * p.k) { return; }
  let k = task % p.k;
  let chunk = task / p.k;
  let out = (chunk * p.k + k) * p.symbols;
  for (var v = 0u; v < p.symbols; v++) { categorical_partial[out + v] = 0.0; }
  let end = min(p.n, (chunk + 1u) * p.chunk_len);
  for (var n = chunk * p.chunk_len; n < end; n++) {
    let symbol = u32(clamp(symbols[n], 0, i32(p.symbols) - 1));
    categorical_partial[out + symbol] += gamma[n * p.k + k];
  }
}
