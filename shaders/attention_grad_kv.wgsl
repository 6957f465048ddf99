// Scaled dot-product attention, backward, part 2 of 2: the key and value gradients, with the
// probabilities recomputed from the forward pass's logsumexp and delta from part 1
// (attention_grad_q.wgsl):
//   p(i, j)  = exp(scale * q_i . k_j - lse_i)          (0 where the mask hides key j from query i)
//   ds(i, j) = p(i, j) * (dout_i . v_j - delta_i)
//   dv_j     = sum_i p(i, j) dout_i
//   dk_j     = scale * sum_i ds(i, j) q_i
// Each invocation owns 4 key rows and walks the queries that see them 4 at a time (causal: from query
// j - offset on), so every dk and dv row is summed by one invocation in a fixed order: no atomics,
// the same bits on every run. Rows of k past tk (an unused KV-cache tail) get zero gradients.
// Bindings: @0 uniform Params (as attention.wgsl, with `blocks` = ceil(k_rows / 4)), @1 q, @2 k,
// @3 v, @4 dout, @5 lse, @6 delta, @7 dkv: dk and dv both, at their own layouts (dk_at, dv_at), so
// that they can land beside dq in the gradient of a packed qkv tensor (one writable binding per
// buffer). Layouts as in attention.wgsl (dout shares out's, o_at). Register blocking as in
// attention.wgsl, transposed: here column c of a score block is query c against the 4 keys.
// Includes: attention_common (Params, blocks of rows, q, k and v loads; as attention.wgsl) and grid
// (the folded 1-D launch).

#include "attention_common"
#include "grid"

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> dout: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> lse: array<f32>;
@group(0) @binding(6) var<storage, read> delta: array<f32>;
@group(0) @binding(7) var<storage, read_write> dkv: array<vec4<f32>>;

fn load_dout(rows: vec4<u32>, d: u32) -> mat4x4<f32> {
  return mat4x4<f32>(dout[rows.x + d], dout[rows.y + d], dout[rows.z + d], dout[rows.w + d]);
}

/** Which of this invocation's four keys query `query` sees. */
fn seen_by(keys: vec4<u32>, query: u32) -> vec4<bool> {
  let in_range = (keys < vec4<u32>(p.tk)) & vec4<bool>(query < p.tq);
  if (p.causal == 0u) { return in_range; }
  return in_range & (keys <= vec4<u32>(query + p.offset));
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.batch * p.heads * p.blocks) { return; }
  let block = block_of(task);
  let keys = vec4<u32>(block.first) + STEP;
  let clamped_keys = min(keys, vec4<u32>(p.k_rows - 1u));
  let k_rows = rows_at(p.k_at, block, clamped_keys);
  let v_rows = rows_at(p.v_at, block, clamped_keys);

  // kt[d] * Q gives scores (column c: query c against the 4 keys); vt[d] * dOut gives dp likewise.
  var kt: array<mat4x4<f32>, DH4>;
  var vt: array<mat4x4<f32>, DH4>;
  for (var d = 0u; d < DH4; d++) {
    kt[d] = transpose(load_k(k_rows, d)) * p.scale;
    vt[d] = transpose(load_v(v_rows, d));
  }
  var dk_acc: array<mat4x4<f32>, DH4>;
  var dv_acc: array<mat4x4<f32>, DH4>;

  // Causal: query i sees key j when i + offset >= j, so the walk starts at query (first key) - offset.
  var start = 0u;
  if (p.causal != 0u && block.first > p.offset) { start = block.first - p.offset; }
  let zero = vec4<f32>(0.0);
  let lse_base = block.pair * p.tq;
  for (var i0 = start; i0 < p.tq; i0 += 4u) {
    let queries = vec4<u32>(i0) + STEP;
    let clamped = min(queries, vec4<u32>(p.tq - 1u));
    let q_rows = rows_at(p.q_at, block, clamped);
    let g_rows = rows_at(p.o_at, block, clamped);
    var s = mat4x4<f32>();
    var dp = mat4x4<f32>();
    for (var d = 0u; d < DH4; d++) {
      s += kt[d] * load_q(q_rows, d);
      dp += vt[d] * load_dout(g_rows, d);
    }
    let query_lse = vec4<f32>(lse[lse_base + clamped.x], lse[lse_base + clamped.y], lse[lse_base + clamped.z], lse[lse_base + clamped.w]);
    let query_delta = vec4<f32>(delta[lse_base + clamped.x], delta[lse_base + clamped.y], delta[lse_base + clamped.z], delta[lse_base + clamped.w]);
    let probs = mat4x4<f32>(
      select(zero, exp(s[0] - query_lse.x), seen_by(keys, queries.x)),
      select(zero, exp(s[1] - query_lse.y), seen_by(keys, queries.y)),
      select(zero, exp(s[2] - query_lse.z), seen_by(keys, queries.z)),
      select(zero, exp(s[3] - query_lse.w), seen_by(keys, queries.w)),
    );
    let ds = mat4x4<f32>(
      probs[0] * (dp[0] - query_delta.x),
      probs[1] * (dp[1] - query_delta.y),
      probs[2] * (dp[2] - query_delta.z),
      probs[3] * (dp[3] - query_delta.w),
    );
    // dOut * probsᵀ: column r (key r) is sum over the 4 queries of p(query, key r) * dout[query].
    let probs_t = transpose(probs);
    let ds_t = transpose(ds);
    for (var d = 0u; d < DH4; d++) {
      dv_acc[d] += load_dout(g_rows, d) * probs_t;
      dk_acc[d] += load_q(q_rows, d) * ds_t;
    }
  }

  let dk_rows = rows_at(p.dk_at, block, keys);
  let dv_rows = rows_at(p.dv_at, block, keys);
  for (var r = 0u; r < 4u; r++) {
    if (block.first + r >= p.k_rows) { break; }
    for (var d = 0u; d < DH4; d++) {
      dkv[dk_rows[r] + d] = dk_acc[d][r] * p.scale;
      dkv[dv_rows[r] + d] = dv_acc[d][r];
    }
  }
}
