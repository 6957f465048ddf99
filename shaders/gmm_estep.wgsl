// Gaussian mixture E-step: each sample's log-density under every component, its responsibilities
// (the posterior component probabilities) and its log-likelihood, in one pass over the data.
// Bindings: @0 uniform Params, @1 x [N, Dp] (read), @2 means [K, Dp] (read), @3 precision factors
// (read, layout per entry point), @4 log_norm [K] (read), @5 resp [N, K] (write),
// @6 log_likelihood [N] (write).
// Features are padded to Dp, a multiple of 4, with zeros (in x, the means and the factors), so rows
// are read as vec4s: B = Dp / 4 blocks per row.
// Grid: 1-D, one invocation per 4 consecutive samples (folded into 2-D past 65535 workgroups:
// task = gid.x + gid.y * nwg.x * WG). The last task's missing samples reread the last row and are
// not stored.
//
// log p(x, k) = log_norm_k - maha_k / 2, where the host folds log weight_k, -D/2 log 2π and the log
// determinant of the precision factor into log_norm_k. The Mahalanobis term is computed from the
// difference x - μ_k, never as x U - μ U, which would lose digits when the data sit far from the origin.
//   full: U_k is upper triangular with U_k U_kᵀ = Σ_k⁻¹ (scikit-learn's precisions_cholesky_) and
//         maha = ||(x - μ_k)ᵀ U_k||². U_k is stored as B x B blocks, each a column-major 4 x 4 matrix
//         (4 vec4 columns), so that y[column block j] = Σ_{i <= j} (x - μ)[block i] * U_k[i, j] is a
//         vec4-by-mat4x4 product: 64 multiply-adds for the 4 samples per 9 wide loads. A tied
//         covariance passes one U with prec_stride 0.
//   diag: precisions [K, Dp] (1 / σ², 0 in the padding); maha = Σ (x - μ)² / σ². The host expands a
//         spherical variance to D equal values.
// No private arrays: on CPU adapters (SwiftShader) a dynamically indexed private array costs a
// gather per access; every value here lives in a named vec4.
//
// Log space throughout: lse = logsumexp_k log p(x, k) is folded online (one exp per component, as in
// reduce.wgsl), the log p values are parked in resp and rewritten in place as exp(log p - lse), so the
// responsibilities sum to 1 and never overflow. A sample with density 0 under every component (every
// log p = -inf) gets lse = -inf and uniform responsibilities instead of 0 / 0.

struct Params {
  n: u32,            // samples
  k: u32,            // components
  blocks: u32,       // B = Dp / 4
  prec_stride: u32,  // full: vec4s between components' factors (B * B * 4, or 0 when tied)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> means: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> prec: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> log_norm: array<f32>;
@group(0) @binding(5) var<storage, read_write> resp: array<f32>;
@group(0) @binding(6) var<storage, read_write> log_likelihood: array<f32>;

override WG: u32 = 64;
const FLT_MAX: f32 = 0x1.fffffep+127f;

// WGSL rejects infinities in constant expressions, so -inf is made at run time from its bits.
fn negative_infinity() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }

/** The running logsumexp of 4 samples: maximum m and weight = Σ exp(v - m). */
struct Lse {
  m: vec4<f32>,
  weight: vec4<f32>,
}

fn fold(a: Lse, v: vec4<f32>) -> Lse {
  let e = exp(-abs(v - a.m));
  return Lse(max(a.m, v), select(a.weight + e, a.weight * e + 1.0, v > a.m));
}

/** First row of the task's 4 samples, and their rows clamped into the data (for loads). */
struct Rows {
  first: u32,
  clamped: vec4<u32>,
}

fn task_rows(gid: vec3<u32>, nwg: vec3<u32>) -> Rows {
  let first = 4u * (gid.x + gid.y * nwg.x * WG);
  return Rows(first, min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.n - 1u)));
}

/** Stores log p(x, k) of the task's samples in resp (parked until lse is known). */
fn park(rows: Rows, k: u32, log_p: vec4<f32>) {
  for (var s = 0u; s < 4u; s++) {
    if (rows.first + s < p.n) { resp[(rows.first + s) * p.k + k] = log_p[s]; }
  }
}

/** Rewrites the task's resp rows from log p(x, k) to responsibilities and stores the log-likelihoods. */
fn finish(rows: Rows, acc: Lse) {
  for (var s = 0u; s < 4u; s++) {
    let sample = rows.first + s;
    if (sample >= p.n) { return; }
    let row = sample * p.k;
    if (acc.weight[s] == 0.0) {
      for (var k = 0u; k < p.k; k++) { resp[row + k] = 1.0 / f32(p.k); }
      log_likelihood[sample] = negative_infinity();
      continue;
    }
    let lse = acc.m[s] + log(acc.weight[s]);
    for (var k = 0u; k < p.k; k++) { resp[row + k] = exp(resp[row + k] - lse); }
    log_likelihood[sample] = lse;
  }
}

@compute @workgroup_size(WG)
fn full(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let rows = task_rows(gid, nwg);
  if (rows.first >= p.n) { return; }
  let base = rows.clamped * p.blocks;
  // The running maximum starts at -FLT_MAX so that exp(v - m) never sees -inf + inf.
  var acc = Lse(vec4<f32>(-FLT_MAX), vec4<f32>(0.0));
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
    let log_p = log_norm[k] - 0.5 * maha;
    park(rows, k, log_p);
    acc = fold(acc, log_p);
  }
  finish(rows, acc);
}

@compute @workgroup_size(WG)
fn diag(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let rows = task_rows(gid, nwg);
  if (rows.first >= p.n) { return; }
  let base = rows.clamped * p.blocks;
  var acc = Lse(vec4<f32>(-FLT_MAX), vec4<f32>(0.0));
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
    let log_p = log_norm[k] - 0.5 * maha;
    park(rows, k, log_p);
    acc = fold(acc, log_p);
  }
  finish(rows, acc);
}
