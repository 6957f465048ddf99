// What the per-sequence hidden Markov model kernels (hmm_forward_backward, hmm_viterbi) share: one
// invocation per sequence of a batch of variable-length sequences, each running a recursion over its
// frames [offsets[s], offsets[s + 1]) through one Markov chain of K states (the K template value).
// Declares Params (the sequence count) and the model's inputs at @0-@4: @1 log_b [N, K] (each frame's
// emission log-probabilities, read), @2 log_start [K] (read), @3 log_trans [K, K] (row = from, read),
// @4 offsets [S + 1] u32 (read); the including kernel binds its outputs from @5. Both recursions
// start from the first frame's scores and shift each step by its largest value. The WGSL spec lets
// compilers assume no infinities, so the host writes log 0 as -1e30 (LOG_ZERO in
// src/models/hmm/params.ts), never -inf.
// The including kernel includes grid too (an invocation's sequence is its flat_index); the host picks
// WG per batch, small, as each invocation runs a long serial loop.

struct Params {
  sequences: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> log_b: array<f32>;
@group(0) @binding(2) var<storage, read> log_start: array<f32>;
@group(0) @binding(3) var<storage, read> log_trans: array<f32>;
@group(0) @binding(4) var<storage, read> offsets: array<u32>;

const K: u32 = {{K}}u;
const FLT_MAX: f32 = 0x1.fffffep+127f; // the largest finite f32

/**
 * log pi_j + log b_first(j) for each state j: the log joint of the state and the sequence's first
 * frame, where both recursions start.
 */
fn first_frame_scores(first: u32) -> array<f32, K> {
  var scores: array<f32, K>;
  for (var j = 0u; j < K; j++) { scores[j] = log_start[j] + log_b[first * K + j]; }
  return scores;
}

/** The largest of the K values (the starting point of a logsumexp or of a shift to 0). */
fn largest(v: ptr<function, array<f32, K>>) -> f32 {
  var m = -FLT_MAX;
  for (var j = 0u; j < K; j++) { m = max(m, (*v)[j]); }
  return m;
}
