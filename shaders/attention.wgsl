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
// One invocation per block of 4 query rows of one (batch, head) pair; 1-D grid, 2-D past 65535 groups.
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
// mask that the three attention kernels share) and grid (the folded 1-D launch).

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

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.batch * p.heads * p.blocks) { return; }
  let block = block_of(task);
  let q_rows = rows_at(p.q_at, block, min(vec4<u32>(block.first) + STEP, vec4<u32>(p.tq - 1u)));
  let positions = vec4<u32>(block.first + p.offset) + STEP;

  // qt[d] * K gives scores: qt[d][e][r] = scale * q[row r][4d + e].
  var qt: array<mat4x4<f32>, DH4>;
  for (var d = 0u; d < DH4; d++) {
    qt[d] = transpose(load_q(q_rows, d)) * p.scale;
  }
  // acc[d][r]: dimensions 4d..4d+3 of row r's running weighted sum of values.
  var acc: array<mat4x4<f32>, DH4>;
  var m = vec4<f32>(LOWEST);
  var l = vec4<f32>(0.0);

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
    let seen = array<vec4<bool>, 4>(visible(positions, keys.x), visible(positions, keys.y), visible(positions, keys.z), visible(positions, keys.w));
    let low = vec4<f32>(LOWEST);
    let block_max = max(max(select(low, s[0], seen[0]), select(low, s[1], seen[1])), max(select(low, s[2], seen[2]), select(low, s[3], seen[3])));
    let m_new = max(m, block_max);
    let correction = exp(m - m_new);
    let zero = vec4<f32>(0.0);
    let probs = mat4x4<f32>(
      select(zero, exp(s[0] - m_new), seen[0]),
      select(zero, exp(s[1] - m_new), seen[1]),
      select(zero, exp(s[2] - m_new), seen[2]),
      select(zero, exp(s[3] - m_new), seen[3]),
    );
    l = l * correction + (probs[0] + probs[1]) + (probs[2] + probs[3]);
    m = m_new;
    // V * probsᵀ: column r is sum over the 4 keys of p(r, key) * v[key].
    let probs_t = transpose(probs);
    for (var d = 0u; d < DH4; d++) {
      let a = acc[d];
      acc[d] = mat4x4<f32>(a[0] * correction.x, a[1] * correction.y, a[2] * correction.z, a[3] * correction.w) + load_v(v_rows, d) * probs_t;
    }
  }

  let inv_l = 1.0 / l;
  let row_lse = m + log(l);
  let out_rows = rows_at(p.o_at, block, vec4<u32>(block.first) + STEP);
  for (var r = 0u; r < 4u; r++) {
    let row = block.first + r;
    if (row >= p.tq) { break; }
    for (var d = 0u; d < DH4; d++) {
      out[out_rows[r] + d] = acc[d][r] * inv_l[r];
    }
    lse[block.pair * p.tq + row] = row_lse[r];
  }
}
