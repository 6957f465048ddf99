// Hidden Markov model forward-backward over a batch of variable-length sequences: posterior state
// probabilities, expected transition counts, posteriors at each sequence start, and log-likelihoods,
// everything the Baum-Welch E-step needs. One invocation per sequence runs both recursions over its
// frames [offsets[s], offsets[s + 1]); the sequences run in parallel.
//
// Numerics: log space with per-step normalisation. The forward pass keeps the normalised log alpha
//   la_t(j) = log alpha_t(j) - log P(x_0..t),   log c_t = log P(x_t | x_0..t-1)
// (Rabiner's scaled alpha, held as logarithms): each step takes a logsumexp over the K previous
// states for each state (K² exps), then subtracts the step's own logsumexp log c_t. Logarithms never
// underflow (a state whose emission density is e^-200 times its rivals' stays representable, where
// scaled probabilities would flush to 0 and divide by zero), and the normalisation keeps every stored
// value near 0, so f32 keeps its digits whatever the sequence length: unnormalised log alpha grows
// like the log-likelihood (thousands), and its rounding would swamp the posteriors. The backward pass
// uses Rabiner's scaled beta the same way, lb_t(i) = log beta_t(i) - log P(x_t+1..end | x_0..t):
//   lb_t(i) = logsumexp_j (log A_ij + log b_t+1(j) + lb_t+1(j)) - log c_t+1,
//   gamma_t(i) = exp(la_t(i) + lb_t(i))       (renormalised so each row sums to 1 in f32),
//   xi_t(i, j) = exp(la_t(i) + log A_ij + log b_t+1(j) + lb_t+1(j) - log c_t+1),
// one shared exp per (i, j) giving both the logsumexp and the transition count. log P = sum_t log c_t
// (a compensated sum).
// log 0 arrives as -1e30, never -inf (see hmm_chain); every logsumexp subtracts its own maximum, so
// exp sees arguments <= 0 and each sum is >= 1.
//
// Bindings: @0-@4 Params and the model's inputs, from hmm_chain; @5 posteriors [N, K] (la during the
// forward pass, then gamma), @6 log_scale [N] (log c_t, scratch), @7 sequence_stats
// [S, K * K + K + 1] (write): xi summed over the sequence's steps (K x K, row = from), gamma at its
// first frame (K), log P (1).
// Grid: 1-D over the S sequences, folded into 2-D past 65535 workgroups (the host picks WG).
// K, the state count, is a template value: la, lb, log A and the running xi sums live in private
// arrays (on SwiftShader that takes 30% less time than reading log A and accumulating xi in storage
// buffers at every step). On a GPU with many states, one workgroup per sequence with an invocation per state
// would spread each step's K² work; on SwiftShader barriers cost more than they save, and a batch
// has sequences to spare.
// Includes: grid (the folded 1-D launch), hmm_chain (Params, the model's inputs, K).

#include "grid"
#include "hmm_chain"

@group(0) @binding(5) var<storage, read_write> posteriors: array<f32>;
@group(0) @binding(6) var<storage, read_write> log_scale: array<f32>;
@group(0) @binding(7) var<storage, read_write> sequence_stats: array<f32>;

const STATS: u32 = K * K + K + 1u;

// Normalises the log values v in place by their logsumexp and returns it.
fn normalise(v: ptr<function, array<f32, K>>) -> f32 {
  let m = largest(v);
  var total = 0.0;
  for (var j = 0u; j < K; j++) { total += exp((*v)[j] - m); }
  let lse = m + log(total);
  for (var j = 0u; j < K; j++) { (*v)[j] -= lse; }
  return lse;
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let s = flat_index(grid);
  if (s >= p.sequences) { return; }
  let first = offsets[s];
  let end = offsets[s + 1u];
  let stats = s * STATS;
  var trans: array<f32, K * K>;
  for (var e = 0u; e < K * K; e++) { trans[e] = log_trans[e]; }

  // ---- forward ----
  var la = first_frame_scores(first);
  // log P = sum_t log c_t, summed with Kahan's compensation: over thousands of frames a plain f32 sum
  // would drift by more than fit()'s default tolerance.
  var log_p = normalise(&la);
  var log_p_error = 0.0;
  log_scale[first] = log_p;
  for (var j = 0u; j < K; j++) { posteriors[first * K + j] = la[j]; }
  for (var t = first + 1u; t < end; t++) {
    var next: array<f32, K>;
    for (var j = 0u; j < K; j++) {
      var m = -FLT_MAX;
      for (var i = 0u; i < K; i++) { m = max(m, la[i] + trans[i * K + j]); }
      var total = 0.0;
      for (var i = 0u; i < K; i++) { total += exp(la[i] + trans[i * K + j] - m); }
      next[j] = log_b[t * K + j] + m + log(total);
    }
    let c = normalise(&next);
    log_scale[t] = c;
    let term = c - log_p_error;
    let sum = log_p + term;
    log_p_error = (sum - log_p) - term;
    log_p = sum;
    la = next;
    for (var j = 0u; j < K; j++) { posteriors[t * K + j] = la[j]; }
  }

  // ---- backward ----
  var xi: array<f32, K * K>;
  var lb: array<f32, K>;   // lb of the later frame of each step; 0 at the last frame
  let last = end - 1u;
  var gamma_total = 0.0;
  for (var j = 0u; j < K; j++) { gamma_total += exp(la[j]); }
  for (var j = 0u; j < K; j++) { posteriors[last * K + j] = exp(la[j]) / gamma_total; }
  for (var t = last; t > first; t--) {
    // Step from frame t to frame t - 1: w(j) = log b_t(j) + lb_t(j), normalised by log c_t.
    let c = log_scale[t];
    var w: array<f32, K>;
    for (var j = 0u; j < K; j++) { w[j] = log_b[t * K + j] + lb[j]; }
    let prev = t - 1u;
    var g: array<f32, K>;
    for (var i = 0u; i < K; i++) {
      let la_i = posteriors[prev * K + i];
      var m = -FLT_MAX;
      for (var j = 0u; j < K; j++) { m = max(m, trans[i * K + j] + w[j]); }
      let weight = exp(la_i + m - c);
      var total = 0.0;
      for (var j = 0u; j < K; j++) {
        let term = exp(trans[i * K + j] + w[j] - m);
        total += term;
        xi[i * K + j] = fma(weight, term, xi[i * K + j]);
      }
      lb[i] = m + log(total) - c;
      g[i] = exp(la_i + lb[i]);
    }
    var g_total = 0.0;
    for (var i = 0u; i < K; i++) { g_total += g[i]; }
    for (var i = 0u; i < K; i++) { posteriors[prev * K + i] = g[i] / g_total; }
  }
  for (var e = 0u; e < K * K; e++) { sequence_stats[stats + e] = xi[e]; }
  for (var j = 0u; j < K; j++) { sequence_stats[stats + K * K + j] = posteriors[first * K + j]; }
  sequence_stats[stats + K * K + K] = log_p;
}
