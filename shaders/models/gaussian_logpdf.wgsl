// Gaussian log-densities of every sample under every component, for the Gaussian mixture (its
// E-step) and the Gaussian HMM (its emission log-probabilities), in one pass over the data.
// Bindings: @0 uniform Params, @1 x [N, Dp] (read), @2 means [K, Dp] (read), @3 precision factors
// (read, layout per entry point), @4 log_norm [K] (read), @5 out [N, K] (write),
// @6 log_likelihood [N] (write; only with normalize = 1).
// Features are padded to Dp, a multiple of 4, with zeros (in x, the means and the factors), so rows
// are read as vec4s: B = Dp / 4 blocks per row.
// Grid: 1-D, one invocation per 4 consecutive samples (folded into 2-D past 65535 workgroups). The
// last task's missing samples reread the last row and are not stored.
//
// log p(x, k) = log_norm_k - maha_k / 2, where the host folds -D/2 log 2π, the log determinant of the
// precision factor and, for a mixture, log weight_k into log_norm_k. The Mahalanobis term is computed
// from the difference x - μ_k, never as x U - μ U, which would lose digits when the data sit far from
// the origin.
//   full: U_k is upper triangular with U_k U_kᵀ = Σ_k⁻¹ (scikit-learn's precisions_cholesky_) and
//         maha = ||(x - μ_k)ᵀ U_k||². U_k is stored as B x B blocks, each a column-major 4 x 4 matrix
//         (4 vec4 columns), so that y[column block j] = Σ_{i <= j} (x - μ)[block i] * U_k[i, j] is a
//         vec4-by-mat4x4 product: 64 multiply-adds for the 4 samples per 9 wide loads. A shared
//         (tied) covariance passes one U with prec_stride 0.
//   diag: precisions [K, Dp] (1 / σ², 0 in the padding); maha = Σ (x - μ)² / σ². The host expands a
//         spherical variance to D equal values.
// No private arrays: on CPU adapters (SwiftShader) a dynamically indexed private array costs a
// gather per access; every value here lives in a named vec4.
//
// normalize = 0: out holds log p(x, k) (the HMM's emission log-probabilities).
// normalize = 1: out holds the responsibilities and log_likelihood the per-sample logsumexp (the
// mixture's E-step). lse = logsumexp_k log p(x, k) is folded online (one exp per component, as in
// reduce.wgsl), the log p values are parked in out and rewritten in place as exp(log p - lse), so the
// responsibilities sum to 1 and never overflow. A sample with density 0 under every component (every
// log p = -inf) gets lse = -inf and uniform responsibilities instead of 0 / 0.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  n: u32,            // samples
  k: u32,            // components
  blocks: u32,       // B = Dp / 4
  prec_stride: u32,  // full: vec4s between components' factors (B * B * 4, or 0 when tied)
  normalize: u32,    // 1: responsibilities and log-likelihoods; 0: log p(x, k) only
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> means: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> prec: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> log_norm: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> log_likelihood: array<f32>;

const FLT_MAX: f32 = 0x1.fffffep+127f;

// WGSL rejects infinities in constant expressions, so -inf is made at run time from its bits.
fn negative_infinity() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }

/** The running logsumexp of 4 samples: maximum m and weight = Σ exp(v - m). */
struct Lse {
  m: vec4<f32>,
  weight: vec4<f32>,
}

/** The logsumexp of no values: the running maximum starts at -FLT_MAX so that exp(v - m) never sees -inf + inf. */
fn no_values() -> Lse { return Lse(vec4<f32>(-FLT_MAX), vec4<f32>(0.0)); }

fn fold(a: Lse, v: vec4<f32>) -> Lse {
  let e = exp(-abs(v - a.m));
  return Lse(max(a.m, v), select(a.weight + e, a.weight * e + 1.0, v > a.m));
}

/** First row of the task's 4 samples, and their rows clamped into the data (for loads). */
struct Rows {
  first: u32,
  clamped: vec4<u32>,
}

fn task_rows(grid: Grid) -> Rows {
  let first = 4u * flat_index(grid);
  return Rows(first, min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.n - 1u)));
}

/**
 * log p(x, k) = log_norm_k - maha / 2 of the task's samples under component k, from their Mahalanobis
 * terms: stored in out (with normalize = 1, parked there until lse is known) and folded into acc.
 */
fn add_component(rows: Rows, k: u32, maha: vec4<f32>, acc: Lse) -> Lse {
  let log_p = log_norm[k] - 0.5 * maha;
  for (var s = 0u; s < 4u; s++) {
    if (rows.first + s < p.n) { out[(rows.first + s) * p.k + k] = log_p[s]; }
  }
  return fold(acc, log_p);
}

/** Rewrites the task's rows of out from log p(x, k) to responsibilities and stores the log-likelihoods (normalize = 1). */
fn finish(rows: Rows, acc: Lse) {
  if (p.normalize == 0u) { return; }
  for (var s = 0u; s < 4u; s++) {
    let sample = rows.first + s;
    if (sample >= p.n) { return; }
    let row = sample * p.k;
    if (acc.weight[s] == 0.0) {
      for (var k = 0u; k < p.k; k++) { out[row + k] = 1.0 / f32(p.k); }
      log_likelihood[sample] = negative_infinity();
      continue;
    }
    let lse = acc.m[s] + log(acc.weight[s]);
    for (var k = 0u; k < p.k; k++) { out[row + k] = exp(out[row + k] - lse); }
    log_likelihood[sample] = lse;
  }
}

@compute @workgroup_size(WG)
fn full(grid: Grid) {
  let rows = task_rows(grid);
  if (rows.first >= p.n) { return; }
  let base = rows.clamped * p.blocks;
  var acc = no_values();
  for (var k = 0u; k < p.k; k++) {
    let mean_row = k * p.blocks;
    let factor = k * p.prec_stride;
    var maha = vec4<f32>(0.0);
    for (var j = 0u; j < p.blocks; j++) {
      var y0 = vec4<f32>(0.0);
      var y1 = vec4<f32>(0.0);
      var y2 = vec4<f32>(0.0);
      var y3 = vec4<f32>(0.0);
      for (var i = 0u; i <= j; i++) {
        let at = factor + 4u * (i * p.blocks + j);
        let u = mat4x4<f32>(prec[at], prec[at + 1u], prec[at + 2u], prec[at + 3u]);
        let mu = means[mean_row + i];
        y0 += (x[base.x + i] - mu) * u;
        y1 += (x[base.y + i] - mu) * u;
        y2 += (x[base.z + i] - mu) * u;
        y3 += (x[base.w + i] - mu) * u;
      }
      maha += vec4<f32>(dot(y0, y0), dot(y1, y1), dot(y2, y2), dot(y3, y3));
    }
    acc = add_component(rows, k, maha, acc);
  }
  finish(rows, acc);
}

@compute @workgroup_size(WG)
fn diag(grid: Grid) {
  let rows = task_rows(grid);
  if (rows.first >= p.n) { return; }
  let base = rows.clamped * p.blocks;
  var acc = no_values();
  for (var k = 0u; k < p.k; k++) {
    let row = k * p.blocks;
    var maha = vec4<f32>(0.0);
    for (var i = 0u; i < p.blocks; i++) {
      let mu = means[row + i];
      let inverse_variance = prec[row + i];
      let d0 = x[base.x + i] - mu;
      let d1 = x[base.y + i] - mu;
      let d2 = x[base.z + i] - mu;
      let d3 = x[base.w + i] - mu;
      maha += vec4<f32>(dot(d0 * d0, inverse_variance), dot(d1 * d1, inverse_variance), dot(d2 * d2, inverse_variance), dot(d3 * d3, inverse_variance));
    }
    acc = add_component(rows, k, maha, acc);
  }
  finish(rows, acc);
}
