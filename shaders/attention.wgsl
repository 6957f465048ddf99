// Scaled dot-product attention, forward, fused in the flash-attention way: for each query row the
// scores s = scale * q . k, the causal mask, an online softmax and the weighted sum of values happen
// in one pass over the keys, so no T x T matrix ever reaches memory. What is written: the output
// rows and each row's logsumexp of its scores, from which the backward kernels
// (attention_grad_q.wgsl, attention_grad_kv.wgsl) recompute the probabilities.
// Bindings: @0 uniform Params, @1 q (tq rows per (batch, head)), @2 k and @3 v (k_rows rows, of
// which the first tk are attended: a KV cache may hold more), @4 out (tq rows), @5 lse [batch * heads, tq].
// Layouts: row t of head h in batch b starts at at.x + b * at.y + h * at.z + t * at.w (in vec4s) for
// each operand's `at`, so the same kernel reads [B, H, T, Dh] tensors, the packed [B, T, 3 * C]
// output of a qkv projection (q, k and v side by side, heads interleaved: no transposing copies)
// and a KV cache, and writes [B, H, T, Dh] or [B, T, C]. q, k and v may be one buffer bound three
// times. Rows are read as vec4s: Dh is a multiple of 4 (the host pads other widths), DH4 = Dh / 4.
// Entry point main, the 'blocks' rung: one invocation per block of 4 query rows of one (batch, head)
// pair; 1-D grid, 2-D past 65535 groups. Entry point tiles, the GPU rung: a workgroup per WG blocks of
// one pair, K and V staged in workgroup memory (include/attention_tiles.wgsl; src/ops/attention.ts chooses).
//
// Register blocking: per step the invocation takes 4 keys, and per 4 dimensions holds the 4 x 4
// blocks of its queries and of the keys as matrices, so one mat4x4 product gives 64 multiply-adds
// for 4 vec4 loads, and the 4 x 4 scores of the step come out as a matrix (column c: key c against
// the 4 queries). The queries, pre-scaled and transposed, stay in registers for the whole pass.
// Online softmax per query row (the 4 rows are the lanes of a vec4): running maximum m, running sum
// l of exp(s - m) and the unnormalised output acc; when the maximum grows, l and acc are rescaled by
// exp(m_old - m_new) once per step of 4 keys. At the end out = acc / l and lse = m + log(l).
//
// Causal masking aligns the queries with the end of the keys: query i sits at key position
// i + offset (offset = tk - tq; 0 in training, the cached length when decoding), and sees keys
// j <= i + offset. Keys past tk and query rows past tq (the ragged last block) are clamped for
// loading, masked, and never stored.
// Includes: attention_common (the Params, the blocks of rows, the q, k and v loads and the causal
// mask that the three attention kernels share), grid (the folded 1-D launch) and attention_tiles (the
// tiles rung's staging).

#include "attention_common"
#include "grid"

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;

// The lowest finite f32 stands in for -inf (WGSL has no infinite constants): exp(LOWEST - m) is 0.
const LOWEST: f32 = -0x1.fffffep+127f;

/** The pre-scaled, transposed queries of a block: qt[d] * K gives scores, qt[d][e][r] = scale * q[row r][4d + e]. */
fn scaled_queries(block: Block) -> array<mat4x4<f32>, DH4> {
  let q_rows = rows_at(p.q_at, block, min(vec4<u32>(block.first) + STEP, vec4<u32>(p.tq - 1u)));
  var qt: array<mat4x4<f32>, DH4>;
  for (var d = 0u; d < DH4; d++) {
    qt[d] = transpose(load_q(q_rows, d)) * p.scale;
  }
  return qt;
}

/** A block's running softmax over the keys seen so far, per query row (the lanes): maximum m and sum l of exp(s - m). */
struct Running {
  m: vec4<f32>,
  l: vec4<f32>,
}

/** What a step of 4 keys gives the weighted sums: acc = acc * correction (per row) + V * probs_t. */
struct Step {
  probs_t: mat4x4<f32>,
  correction: vec4<f32>,
}

/**
 * Takes the scores s of 4 keys (column c: key c against the block's 4 queries, at key positions
 * `positions`) into the running softmax: when the maximum grows, l (and, by the caller, acc) is rescaled
 * by exp(m_old - m_new) once per step; returns the keys' probabilities transposed and that factor.
 */
fn online_softmax(running: ptr<function, Running>, s: mat4x4<f32>, keys: vec4<u32>, positions: vec4<u32>) -> Step {
  let seen = array<vec4<bool>, 4>(visible(positions, keys.x), visible(positions, keys.y), visible(positions, keys.z), visible(positions, keys.w));
  let low = vec4<f32>(LOWEST);
  let block_max = max(max(select(low, s[0], seen[0]), select(low, s[1], seen[1])), max(select(low, s[2], seen[2]), select(low, s[3], seen[3])));
  let m_new = max((*running).m, block_max);
  let correction = exp((*running).m - m_new);
  let zero = vec4<f32>(0.0);
  let probs = mat4x4<f32>(
    select(zero, exp(s[0] - m_new), seen[0]),
    select(zero, exp(s[1] - m_new), seen[1]),
    select(zero, exp(s[2] - m_new), seen[2]),
    select(zero, exp(s[3] - m_new), seen[3]),
  );
  (*running).l = (*running).l * correction + (probs[0] + probs[1]) + (probs[2] + probs[3]);
  (*running).m = m_new;
  return Step(transpose(probs), correction);
}

/** acc[d] rescaled per row (column r by correction[r]) plus v * probsᵀ (column r: sum over the 4 keys of p(r, key) * v[key]). */
fn accumulate(acc: mat4x4<f32>, step: Step, v: mat4x4<f32>) -> mat4x4<f32> {
  let c = step.correction;
  return mat4x4<f32>(acc[0] * c.x, acc[1] * c.y, acc[2] * c.z, acc[3] * c.w) + v * step.probs_t;
}

/** Writes a block's output rows out = acc / l and their logsumexp m + log(l), skipping rows past tq. */
fn store_block(block: Block, acc: ptr<function, array<mat4x4<f32>, DH4>>, running: Running) {
  let inv_l = 1.0 / running.l;
  let row_lse = running.m + log(running.l);
  let out_rows = rows_at(p.o_at, block, vec4<u32>(block.first) + STEP);
  for (var r = 0u; r < 4u; r++) {
    let row = block.first + r;
    if (row >= p.tq) { break; }
    for (var d = 0u; d < DH4; d++) {
      out[out_rows[r] + d] = (*acc)[d][r] * inv_l[r];
    }
    lse[block.pair * p.tq + row] = row_lse[r];
  }
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.batch * p.heads * p.blocks) { return; }
  let block = block_of(task);
  let positions = vec4<u32>(block.first + p.offset) + STEP;
  let qt = scaled_queries(block);
  var running = Running(vec4<f32>(LOWEST), vec4<f32>(0.0));
  var acc: array<mat4x4<f32>, DH4>;

  let end = keys_end(block);
  for (var j0 = 0u; j0 < end; j0 += 4u) {
    let keys = vec4<u32>(j0) + STEP;
    let clamped = min(keys, vec4<u32>(p.tk - 1u));
    let k_rows = rows_at(p.k_at, block, clamped);
    let v_rows = rows_at(p.v_at, block, clamped);
    var s = mat4x4<f32>();
    for (var d = 0u; d < DH4; d++) {
      s += qt[d] * load_k(k_rows, d);
    }
    let step = online_softmax(&running, s, keys, positions);
    for (var d = 0u; d < DH4; d++) {
      acc[d] = accumulate(acc[d], step, load_v(v_rows, d));
    }
  }
  store_block(block, &acc, running);
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
  let qt = scaled_queries(block);
  var running = Running(vec4<f32>(LOWEST), vec4<f32>(0.0));
  var acc: array<mat4x4<f32>, DH4>;

  let end = keys_end(last_block(pair));
  let own_end = keys_end(block);
  for (var t0 = 0u; t0 < end; t0 += TILE_ROWS) {
    stage_rows(pair, t0, p.tk - 1u, lane);
    workgroupBarrier();
    for (var j0 = t0; j0 < min(t0 + TILE_ROWS, own_end); j0 += 4u) {
      let rows = tile_rows(j0 - t0);
      var s = mat4x4<f32>();
      for (var d = 0u; d < DH4; d++) {
        s += qt[d] * tile_a_block(rows, d);
      }
      let step = online_softmax(&running, s, vec4<u32>(j0) + STEP, positions);
      for (var d = 0u; d < DH4; d++) {
        acc[d] = accumulate(acc[d], step, tile_b_block(rows, d));
      }
    }
    workgroupBarrier();
  }
  if (block.first < p.tq) { store_block(block, &acc, running); }
}
