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
// Entry points as attention.wgsl's: main, an invocation per block; tiles, a workgroup per WG blocks with
// K and V staged in workgroup memory (the same keys, in the same order: the same bits).
// Includes: attention_common (Params, blocks of rows, q, k and v loads, causal mask; as attention.wgsl),
// grid (the folded 1-D launch) and attention_tiles (the tiles rung's staging).

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

/** A block of 4 query rows' operands: pre-scaled transposed queries qt, transposed output gradients gt, and per row its logsumexp and delta = dout . out. */
struct Queries {
  qt: array<mat4x4<f32>, DH4>,
  gt: array<mat4x4<f32>, DH4>,
  lse: vec4<f32>,
  delta: vec4<f32>,
}

fn load_queries(block: Block) -> Queries {
  let rows = min(vec4<u32>(block.first) + STEP, vec4<u32>(p.tq - 1u));
  let q_rows = rows_at(p.q_at, block, rows);
  let o_rows = rows_at(p.o_at, block, rows);
  var queries: Queries;
  for (var d = 0u; d < DH4; d++) {
    queries.qt[d] = transpose(load_q(q_rows, d)) * p.scale;
    let g = load_dout(o_rows, d);
    let o = load_out(o_rows, d);
    queries.gt[d] = transpose(g);
    queries.delta += vec4<f32>(dot(g[0], o[0]), dot(g[1], o[1]), dot(g[2], o[2]), dot(g[3], o[3]));
  }
  let lse_base = block.pair * p.tq;
  queries.lse = vec4<f32>(lse[lse_base + rows.x], lse[lse_base + rows.y], lse[lse_base + rows.z], lse[lse_base + rows.w]);
  return queries;
}

/**
 * The score gradients of 4 keys, transposed for dq += K * dsᵀ: from their scores s and dp = dout . v
 * (column c: key c against the 4 queries, at key positions `positions`), ds = p * (dp - delta).
 */
fn score_grads(queries: ptr<function, Queries>, s: mat4x4<f32>, dp: mat4x4<f32>, keys: vec4<u32>, positions: vec4<u32>) -> mat4x4<f32> {
  let zero = vec4<f32>(0.0);
  let lse_q = (*queries).lse;
  let delta_q = (*queries).delta;
  return transpose(mat4x4<f32>(
    select(zero, exp(s[0] - lse_q) * (dp[0] - delta_q), visible(positions, keys.x)),
    select(zero, exp(s[1] - lse_q) * (dp[1] - delta_q), visible(positions, keys.y)),
    select(zero, exp(s[2] - lse_q) * (dp[2] - delta_q), visible(positions, keys.z)),
    select(zero, exp(s[3] - lse_q) * (dp[3] - delta_q), visible(positions, keys.w)),
  ));
}

/** Writes a block's dq rows (times the scale) and its rows' delta, skipping rows past tq. */
fn store_block(block: Block, acc: ptr<function, array<mat4x4<f32>, DH4>>, queries: ptr<function, Queries>) {
  let dq_rows = rows_at(p.dq_at, block, vec4<u32>(block.first) + STEP);
  for (var r = 0u; r < 4u; r++) {
    let row = block.first + r;
    if (row >= p.tq) { break; }
    for (var d = 0u; d < DH4; d++) {
      dq[dq_rows[r] + d] = (*acc)[d][r] * p.scale;
    }
    delta[block.pair * p.tq + row] = (*queries).delta[r];
  }
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.batch * p.heads * p.blocks) { return; }
  let block = block_of(task);
  let positions = vec4<u32>(block.first + p.offset) + STEP;
  var queries = load_queries(block);
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
      s += queries.qt[d] * load_k(k_rows, d);
      dp += queries.gt[d] * load_v(v_rows, d);
    }
    // K * dsᵀ: column r is sum over the 4 keys of ds(r, key) * k[key].
    let ds_t = score_grads(&queries, s, dp, keys, positions);
    for (var d = 0u; d < DH4; d++) {
      acc[d] += load_k(k_rows, d) * ds_t;
    }
  }
  store_block(block, &acc, &queries);
}

// ---- the 'tiles' rung (include/attention_tiles.wgsl): K and V staged in workgroup memory ----------

#include "attention_tiles"

fn source_a(pair: Block, row: u32, d: u32) -> vec4<f32> {
  return k[rows_at(p.k_at, pair, vec4<u32>(row)).x + d];
}
fn source_b(pair: Block, row: u32, d: u32) -> vec4<f32> {
  return v[rows_at(p.v_at, pair, vec4<u32>(row)).x + d];
}

@compute @workgroup_size(WG)
fn tiles(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let pair = workgroup_pair(group, groups);
  if (pair.pair >= p.batch * p.heads) { return; }
  let block = lane_block(pair, lane);
  let positions = vec4<u32>(block.first + p.offset) + STEP;
  var queries = load_queries(block);
  var acc: array<mat4x4<f32>, DH4>;
  let end = keys_end(last_block(pair));
  let own_end = keys_end(block);
  for (var t0 = 0u; t0 < end; t0 += TILE_ROWS) {
    stage_rows(pair, t0, p.tk - 1u, lane);
    workgroupBarrier();
    for (var j0 = t0; j0 < min(t0 + TILE_ROWS, own_end); j0 += 4u) {
      let rows = tile_rows(j0 - t0);
      var s = mat4x4<f32>();
      var dp = mat4x4<f32>();
      for (var d = 0u; d < DH4; d++) {
        s += queries.qt[d] * tile_a_block(rows, d);
        dp += queries.gt[d] * tile_b_block(rows, d);
      }
      let ds_t = score_grads(&queries, s, dp, vec4<u32>(j0) + STEP, positions);
      for (var d = 0u; d < DH4; d++) {
        acc[d] += tile_a_block(rows, d) * ds_t;
      }
    }
    workgroupBarrier();
  }
  if (block.first < p.tq) { store_block(block, &acc, &queries); }
}
