// Hidden Markov model sampling from uniform draws made by the Philox generator (src/ops/random.ts),
// so a seed gives the same samples on every adapter. Gaussian emissions are drawn by
// gaussian_sample.wgsl, shared with the mixture.
//
// states: one invocation per chain walks the Markov chain: z_0 from the start distribution, then
//   z_t from row z_t-1 of the transition matrix, each by inverse CDF: the first state whose
//   cumulative probability exceeds the step's uniform u (the host sets the cumulative value of the
//   last state with positive probability to exactly 1, so u < 1 always finds one, never a
//   zero-probability state). Serial in time by nature; chains run in parallel.
//   Bindings: @1 uniforms [chains, steps] (read), @2 cum_start [K], @3 cum_trans [K, K],
//   @4 states [chains, steps] i32 (write). Grid: 1-D over chains.
// categorical: x_t by inverse CDF of row z_t of the emission matrix, one invocation per frame.
//   Bindings: @1 uniforms [N] (read), @2 states [N] i32 (read), @3 cum_emission [K, V],
//   @4 symbols [N] i32 (write). Grid: 1-D over N.
// Grids fold into 2-D past 65535 workgroups.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  count: u32,     // chains (states) or N (categorical)
  steps: u32,     // states: steps per chain
  k: u32,         // states of the model
  width: u32,     // categorical: V
}

@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> random_values: array<f32>;

// ---- states: @2 cum_start, @3 cum_trans, @4 chain_states ----
@group(0) @binding(2) var<storage, read> cum_start: array<f32>;
@group(0) @binding(3) var<storage, read> cum_trans: array<f32>;
@group(0) @binding(4) var<storage, read_write> chain_states: array<i32>;

fn inverse_cdf_start(u: f32) -> u32 {
  for (var k = 0u; k + 1u < p.k; k++) {
    if (u < cum_start[k]) { return k; }
  }
  return p.k - 1u;
}

fn inverse_cdf_trans(row: u32, u: f32) -> u32 {
  for (var k = 0u; k + 1u < p.k; k++) {
    if (u < cum_trans[row * p.k + k]) { return k; }
  }
  return p.k - 1u;
}

@compute @workgroup_size(WG)
fn states(grid: Grid) {
  let chain = flat_index(grid);
  if (chain >= p.count) { return; }
  let base = chain * p.steps;
  var state = inverse_cdf_start(random_values[base]);
  chain_states[base] = i32(state);
  for (var t = 1u; t < p.steps; t++) {
    state = inverse_cdf_trans(state, random_values[base + t]);
    chain_states[base + t] = i32(state);
  }
}

// ---- categorical: @2 frame_states, @3 cum_emission, @4 symbols ----
@group(0) @binding(2) var<storage, read> frame_states: array<i32>;
@group(0) @binding(3) var<storage, read> cum_emission: array<f32>;
@group(0) @binding(4) var<storage, read_write> symbols: array<i32>;

@compute @workgroup_size(WG)
fn categorical(grid: Grid) {
  let frame = flat_index(grid);
  if (frame >= p.count) { return; }
  let row = u32(frame_states[frame]) * p.width;
  let u = random_values[frame];
  var symbol = p.width - 1u;
  for (var v = 0u; v + 1u < p.width; v++) {
    if (u < cum_emission[row + v]) {
      symbol = v;
      break;
    }
  }
  symbols[frame] = i32(symbol);
}
