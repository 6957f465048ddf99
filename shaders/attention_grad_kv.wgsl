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
// Entry points as attention.wgsl's: main, an invocation per block; tiles, a workgroup per WG blocks with
// Q and dOut staged in workgroup memory (the same queries, in the same order: the same bits).
// Includes: attention_common (Params, blocks of rows, q, k and v loads; as attention.wgsl), grid
// (the folded 1-D launch) and attention_tiles (the tiles rung's staging).

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

/** A block of 4 key rows' operands: the pre-scaled transposed keys kt (kt[d] * Q gives scores) and transposed values vt (vt[d] * dOut gives dp). */
struct Keys {
  kt: array<mat4x4<f32>, DH4>,
  vt: array<mat4x4<f32>, DH4>,
}

fn load_keys(block: Block) -> Keys {
  let clamped_keys = min(vec4<u32>(block.first) + STEP, vec4<u32>(p.k_rows - 1u));
  let k_rows = rows_at(p.k_at, block, clamped_keys);
  let v_rows = rows_at(p.v_at, block, clamped_keys);
  var keys: Keys;
  for (var d = 0u; d < DH4; d++) {
    keys.kt[d] = transpose(load_k(k_rows, d)) * p.scale;
    keys.vt[d] = transpose(load_v(v_rows, d));
  }
  return keys;
}

/**
 * Where the block's walk over the queries starts: the group of 4 holding the first query that sees its
 * keys (causally, query i sees key j when i + offset >= j). Groups start at multiples of 4 on both rungs,
 * so they sum in the same order; the queries before that first one are masked.
 */
fn first_query(block: Block) -> u32 {
  if (p.causal != 0u && block.first > p.offset) { return (block.first - p.offset) / 4u * 4u; }
  return 0u;
}

/** The probabilities and score gradients of 4 queries against the block's keys, both transposed (column r: key r). */
struct Grads {
  probs_t: mat4x4<f32>,
  ds_t: mat4x4<f32>,
}

/** From 4 queries' scores s and dp = dout . v (column c: query c against the 4 keys): p and ds = p * (dp - delta). */
fn query_grads(block: Block, s: mat4x4<f32>, dp: mat4x4<f32>, queries: vec4<u32>) -> Grads {
  let keys = vec4<u32>(block.first) + STEP;
  let clamped = min(queries, vec4<u32>(p.tq - 1u));
  let lse_base = block.pair * p.tq;
  let query_lse = vec4<f32>(lse[lse_base + clamped.x], lse[lse_base + clamped.y], lse[lse_base + clamped.z], lse[lse_base + clamped.w]);
  let query_delta = vec4<f32>(delta[lse_base + clamped.x], delta[lse_base + clamped.y], delta[lse_base + clamped.z], delta[lse_base + clamped.w]);
  let zero = vec4<f32>(0.0);
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
  return Grads(transpose(probs), transpose(ds));
}

/** Writes a block's dk rows (times the scale) and dv rows, skipping rows past the keys. */
fn store_block(block: Block, dk_acc: ptr<function, array<mat4x4<f32>, DH4>>, dv_acc: ptr<function, array<mat4x4<f32>, DH4>>) {
  let keys = vec4<u32>(block.first) + STEP;
  let dk_rows = rows_at(p.dk_at, block, keys);
  let dv_rows = rows_at(p.dv_at, block, keys);
  for (var r = 0u; r < 4u; r++) {
    if (block.first + r >= p.k_rows) { break; }
    for (var d = 0u; d < DH4; d++) {
      dkv[dk_rows[r] + d] = (*dk_acc)[d][r] * p.scale;
      dkv[dv_rows[r] + d] = (*dv_acc)[d][r];
    }
  }
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.batch * p.heads * p.blocks) { return; }
  let block = block_of(task);
  let keys = load_keys(block);
  var dk_acc: array<mat4x4<f32>, DH4>;
  var dv_acc: array<mat4x4<f32>, DH4>;
  for (var i0 = first_query(block); i0 < p.tq; i0 += 4u) {
    let queries = vec4<u32>(i0) + STEP;
    let clamped = min(queries, vec4<u32>(p.tq - 1u));
    let q_rows = rows_at(p.q_at, block, clamped);
    let g_rows = rows_at(p.o_at, block, clamped);
    var s = mat4x4<f32>();
    var dp = mat4x4<f32>();
    for (var d = 0u; d < DH4; d++) {
      s += keys.kt[d] * load_q(q_rows, d);
      dp += keys.vt[d] * load_dout(g_rows, d);
    }
    // dOut * probsᵀ: column r (key r) is sum over the 4 queries of p(query, key r) * dout[query].
    let grads = query_grads(block, s, dp, queries);
    for (var d = 0u; d < DH4; d++) {
      dv_acc[d] += load_dout(g_rows, d) * grads.probs_t;
      dk_acc[d] += load_q(q_rows, d) * grads.ds_t;
    }
  }
  store_block(block, &dk_acc, &dv_acc);
}

// ---- the 'tiles' rung (include/attention_tiles.wgsl): Q and dOut staged in workgroup memory -------

#include "attention_tiles"

fn source_a(pair: Block, row: u32, d: u32) -> vec4<f32> {
  return q[rows_at(p.q_at, pair, vec4<u32>(row)).x + d];
}
fn source_b(pair: Block, row: u32, d: u32) -> vec4<f32> {
  return dout[rows_at(p.o_at, pair, vec4<u32>(row)).x + d];
}

@compute @workgroup_size(WG)
fn tiles(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let pair = workgroup_pair(group, groups);
  if (pair.pair >= p.batch * p.heads) { return; }
  let block = lane_block(pair, lane);
  let keys = load_keys(block);
  var dk_acc: array<mat4x4<f32>, DH4>;
  var dv_acc: array<mat4x4<f32>, DH4>;
  // Tiles start at a multiple of TILE_ROWS, at or before the workgroup's first block's first query;
  // each invocation starts at its own, a multiple of 4, so its groups of 4 lie inside tiles.
  let start = first_query(pair) / TILE_ROWS * TILE_ROWS;
  let own_start = first_query(block);
  for (var t0 = start; t0 < p.tq; t0 += TILE_ROWS) {
    stage_rows(pair, t0, p.tq - 1u, lane);
    workgroupBarrier();
    for (var i0 = max(t0, own_start); i0 < min(t0 + TILE_ROWS, p.tq); i0 += 4u) {
      let rows = tile_rows(i0 - t0);
      var s = mat4x4<f32>();
      var dp = mat4x4<f32>();
      for (var d = 0u; d < DH4; d++) {
        s += keys.kt[d] * tile_a_block(rows, d);
        dp += keys.vt[d] * tile_b_block(rows, d);
      }
      let grads = query_grads(block, s, dp, vec4<u32>(i0) + STEP);
      for (var d = 0u; d < DH4; d++) {
        dv_acc[d] += tile_b_block(rows, d) * grads.probs_t;
        dk_acc[d] += tile_a_block(rows, d) * grads.ds_t;
      }
    }
    workgroupBarrier();
  }
  if (block.first < p.k_rows) { store_block(block, &dk_acc, &dv_acc); }
}
