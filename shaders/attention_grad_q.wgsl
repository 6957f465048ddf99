// Scaled dot-product attention, backward, part 1 of 2: the query gradient dq, and per query row
// delta = sum(dout * out), which part 2 (attention_grad_kv.wgsl) needs. The probabilities are
// recomputed from the forward pass's logsumexp, never stored:
//   p(i, j)  = exp(scale * q_i . k_j - lse_i)          (0 where the mask hides key j)
//   dp(i, j) = dout_i . v_j
//   ds(i, j) = p(i, j) * (dp(i, j) - delta_i)          the gradient of the score s(i, j)
//   dq_i     = scale * sum_j ds(i, j) k_j
// Each invocation owns 4 query rows and walks their visible keys 4 at a time, so every dq row is
// summed by one invocation in a fixed order: no atomics, the same bits on every run.
// Bindings: @0 uniform Params (as attention.wgsl), @1 q, @2 k, @3 v, @4 out, @5 dout, @6 lse,
// @7 dq, @8 delta [batch * heads, tq]. Layouts as in attention.wgsl: dout shares out's (o_at), dq
// has its own (dq_at). Masking and register blocking (4 x 4 blocks as mat4x4, column c of a score
// block = key c) as in attention.wgsl; DH4 = Dh / 4.
// Includes: attention_common (Params, blocks of rows, q, k and v loads, causal mask; as attention.wgsl)
// and grid (the folded 1-D launch).

#include "attention_common"
#include "grid"

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> out: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> dout: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> lse: array<f32>;
@group(0) @binding(7) var<storage, read_write> dq: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> delta: array<f32>;

fn load_out(rows: vec4<u32>, d: u32) -> mat4x4<f32> {
  return mat4x4<f32>(out[rows.x + d], out[rows.y + d], out[rows.z + d], out[rows.w + d]);
}
fn load_dout(rows: vec4<u32>, d: u32) -> mat4x4<f32> {
  return mat4x4<f32>(dout[rows.x + d], dout[rows.y + d], dout[rows.z + d], dout[rows.w + d]);
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.batch * p.heads * p.blocks) { return; }
  let block = block_of(task);
  let rows = min(vec4<u32>(block.first) + STEP, vec4<u32>(p.tq - 1u));
  let q_rows = rows_at(p.q_at, block, rows);
  let o_rows = rows_at(p.o_at, block, rows);
  let positions = vec4<u32>(block.first + p.offset) + STEP;

  var qt: array<mat4x4<f32>, DH4>;
  var gt: array<mat4x4<f32>, DH4>;
  var row_delta = vec4<f32>(0.0);
  for (var d = 0u; d < DH4; d++) {
    qt[d] = transpose(load_q(q_rows, d)) * p.scale;
    let g = load_dout(o_rows, d);
    let o = load_out(o_rows, d);
    gt[d] = transpose(g);
    row_delta += vec4<f32>(dot(g[0], o[0]), dot(g[1], o[1]), dot(g[2], o[2]), dot(g[3], o[3]));
  }
  let lse_base = block.pair * p.tq;
  let row_lse = vec4<f32>(lse[lse_base + rows.x], lse[lse_base + rows.y], lse[lse_base + rows.z], lse[lse_base + rows.w]);

  var acc: array<mat4x4<f32>, DH4>;
  let end = keys_end(block);
  for (var j0 = 0u; j0 < end; j0 += 4u) {
    let keys = vec4<u32>(j0) + STEP;
    let clamped = min(keys, vec4<u32>(p.tk - 1u));
    let k_rows = rows_at(p.k_at, block, clamped);
    let v_rows = rows_at(p.v_at, block, clamped);
    var s = mat4x4<f32>();
    var dp = mat4x4<f32>();
    for (var d = 0u; d < DH4; d++) {
      s += qt[d] * load_k(k_rows, d);
      dp += gt[d] * load_v(v_rows, d);
    }
    let zero = vec4<f32>(0.0);
    let ds = mat4x4<f32>(
      select(zero, exp(s[0] - row_lse) * (dp[0] - row_delta), visible(positions, keys.x)),
      select(zero, exp(s[1] - row_lse) * (dp[1] - row_delta), visible(positions, keys.y)),
      select(zero, exp(s[2] - row_lse) * (dp[2] - row_delta), visible(positions, keys.z)),
      select(zero, exp(s[3] - row_lse) * (dp[3] - row_delta), visible(positions, keys.w)),
    );
    // K * dsᵀ: column r is sum over the 4 keys of ds(r, key) * k[key].
    let ds_t = transpose(ds);
    for (var d = 0u; d < DH4; d++) {
      acc[d] += load_k(k_rows, d) * ds_t;
    }
  }

  let dq_rows = rows_at(p.dq_at, block, vec4<u32>(block.first) + STEP);
  for (var r = 0u; r < 4u; r++) {
    let row = block.first + r;
    if (row >= p.tq) { break; }
    for (var d = 0u; d < DH4; d++) {
      dq[dq_rows[r] + d] = acc[d][r] * p.scale;
    }
    delta[lse_base + row] = row_delta[r];
  }
}
