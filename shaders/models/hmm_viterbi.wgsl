// Hidden Markov model Viterbi decoding over a batch of variable-length sequences: the most probable
// state path of each sequence and its log-probability. One invocation per sequence runs the
// max-product recursion over its frames [offsets[s], offsets[s + 1]), storing a back-pointer per
// (frame, state), then backtracks from the best final state, all on the GPU.
//
//   delta_t(j) = log b_t(j) + max_i (delta_t-1(i) + log A_ij),   back[t, j] = the argmax i,
// with delta_first(j) = log pi_j + log b_first(j). Each step subtracts its maximum from delta (and adds
// it to a running total), so delta stays near 0 and f32 resolves close paths as well at frame 10 000
// as at frame 10: the path is unchanged by the shift, and its log-probability is the running total.
// Ties go to the lowest state index (as NumPy's argmax). log 0 arrives as -1e30, never -inf (see
// hmm_chain).
//
// Bindings: @0-@4 Params and the model's inputs, from hmm_chain; @5 back [N, K] u32 (scratch),
// @6 states [N] i32 (write), @7 log_prob [S] (write). Grid: 1-D over the S sequences, folded into 2-D
// past 65535 workgroups (the host picks WG). K, the state count, is a template value.
// Includes: grid (the folded 1-D launch), hmm_chain (Params, the model's inputs, K).

#include "grid"
#include "hmm_chain"

@group(0) @binding(5) var<storage, read_write> back: array<u32>;
@group(0) @binding(6) var<storage, read_write> states: array<i32>;
@group(0) @binding(7) var<storage, read_write> log_prob: array<f32>;

// Subtracts the maximum of v from every entry and returns it.
fn shift_to_max(v: ptr<function, array<f32, K>>) -> f32 {
  let m = largest(v);
  for (var j = 0u; j < K; j++) { (*v)[j] -= m; }
  return m;
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let s = flat_index(grid);
  if (s >= p.sequences) { return; }
  let first = offsets[s];
  let end = offsets[s + 1u];

  var delta = first_frame_scores(first);
  var total = shift_to_max(&delta);
  for (var t = first + 1u; t < end; t++) {
    var next: array<f32, K>;
    for (var j = 0u; j < K; j++) {
      var best = delta[0] + log_trans[j];
      var arg = 0u;
      for (var i = 1u; i < K; i++) {
        let candidate = delta[i] + log_trans[i * K + j];
        if (candidate > best) {
          best = candidate;
          arg = i;
        }
      }
      back[t * K + j] = arg;
      next[j] = best + log_b[t * K + j];
    }
    total += shift_to_max(&next);
    delta = next;
  }

  var state = 0u;
  for (var j = 1u; j < K; j++) {
    if (delta[j] > delta[state]) { state = j; }
  }
  log_prob[s] = total;
  states[end - 1u] = i32(state);
  for (var t = end - 1u; t > first; t--) {
    state = back[t * K + state];
    states[t - 1u] = i32(state);
  }
}
