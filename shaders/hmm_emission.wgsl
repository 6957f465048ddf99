// Hidden Markov model emission log-probabilities for every frame and state:
//   log_b[n, k] = log p(x_n | state k),
// the data-parallel part of every HMM pass (fit, score, decode, posteriors). Gaussian: one invocation
// per frame, which loads its D features once and loops over the K states (on SwiftShader a little
// faster than an invocation per (frame, state), and N invocations are plenty for a GPU); categorical:
// one invocation per (frame, state), a single gather each.
// Grid: 1-D over N (Gaussian) or N * K (categorical), folded into 2-D past 65535 workgroups
// (flat = gid.x + gid.y * nwg.x * WG).
//
// diag (Gaussian, diagonal covariance): log_b = log_norm[k] - 1/2 sum_i (x_ni - mu_ki)^2 prec_ki,
//   with prec = 1 / var and log_norm[k] = -1/2 (D log 2 pi + sum_i log var_ki), both from the host.
//   Bindings: @1 x [N, D] f32, @2 means [K, D], @3 factors = prec [K, D], @4 log_norm [K], @5 log_b.
// full (Gaussian, full covariance Sigma_k = L_k L_kᵀ): y = L_k⁻¹ (x_n - mu_k), log_b = log_norm[k] -
//   1/2 |y|², where the host uploads the lower-triangular inverse factor L_k⁻¹ and log_norm[k] =
//   -1/2 D log 2 pi - sum_i log L_k,ii. Row i of y is a dot product over columns j <= i: no serial
//   triangular solve inside the kernel.
//   Bindings: @1 x [N, D] f32, @2 means [K, D], @3 factors = L⁻¹ [K, D, D], @4 log_norm [K], @5 log_b.
// categorical: log_b = log_emission[k, x_n] for the symbol x_n (i32 in [0, V)). A symbol outside that
//   range is clamped here so nothing is read out of bounds; the methods that read results back
//   check the symbols first (see src/models/hmm.ts).
//   Bindings: @1 symbols [N] i32, @2 log_emission [K, V], @3 log_b.
// {{D}} is the feature count (private arrays hold one frame's features; categorical: 1).

struct Params {
  n: u32,         // frames
  k: u32,         // states
  symbols: u32,   // categorical: the alphabet size V
}

@group(0) @binding(0) var<uniform> p: Params;

override WG: u32 = 64;
const D: u32 = {{D}}u;

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// ---- Gaussian emissions: @1 x, @2 means, @3 factors, @4 log_norm, @5 log_b ----
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> means: array<f32>;
@group(0) @binding(3) var<storage, read> factors: array<f32>;
@group(0) @binding(4) var<storage, read> log_norm: array<f32>;
@group(0) @binding(5) var<storage, read_write> gaussian_log_b: array<f32>;

@compute @workgroup_size(WG)
fn diag(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let frame = flat_index(gid, nwg);
  if (frame >= p.n) { return; }
  var xs: array<f32, D>;
  for (var i = 0u; i < D; i++) { xs[i] = x[frame * D + i]; }
  for (var state = 0u; state < p.k; state++) {
    var maha = 0.0;
    for (var i = 0u; i < D; i++) {
      let diff = xs[i] - means[state * D + i];
      maha = fma(diff * diff, factors[state * D + i], maha);
    }
    gaussian_log_b[frame * p.k + state] = log_norm[state] - 0.5 * maha;
  }
}

@compute @workgroup_size(WG)
fn full(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let frame = flat_index(gid, nwg);
  if (frame >= p.n) { return; }
  var xs: array<f32, D>;
  for (var i = 0u; i < D; i++) { xs[i] = x[frame * D + i]; }
  for (var state = 0u; state < p.k; state++) {
    var diff: array<f32, D>;
    for (var i = 0u; i < D; i++) { diff[i] = xs[i] - means[state * D + i]; }
    let factor = state * D * D;
    var maha = 0.0;
    for (var i = 0u; i < D; i++) {
      var y = 0.0;
      for (var j = 0u; j <= i; j++) { y = fma(factors[factor + i * D + j], diff[j], y); }
      maha = fma(y, y, maha);
    }
    gaussian_log_b[frame * p.k + state] = log_norm[state] - 0.5 * maha;
  }
}

// ---- categorical emissions: @1 symbols, @2 log_emission, @3 log_b ----
@group(0) @binding(1) var<storage, read> symbols: array<i32>;
@group(0) @binding(2) var<storage, read> log_emission: array<f32>;
@group(0) @binding(3) var<storage, read_write> categorical_log_b: array<f32>;

@compute @workgroup_size(WG)
fn categorical(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = flat_index(gid, nwg);
  if (index >= p.n * p.k) { return; }
  let frame = index / p.k;
  let state = index % p.k;
  let symbol = u32(clamp(symbols[frame], 0, i32(p.symbols) - 1));
  categorical_log_b[index] = log_emission[state * p.symbols + symbol];
}
