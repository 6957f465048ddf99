// Matmul v2, register-blocked: each invocation computes an 8 x 8 block of outputs, held as four
// 4 x 4 blocks (mat4x4 accumulators), and walks K four steps at a time.
// Bindings: @0 uniform Params, @1 a (read), @2 b (read), @3 out (contiguous [batch, M, N]).
// Workgroup: 8 x 8 invocations = a 64 x 64 tile of outputs; x runs along N, y along M, z is the batch.
// Params, strides and batch broadcasting: shaders/include/matmul_common.wgsl; the clamped block
// loads and the guarded block store: include/matmul_blocks.wgsl (shared with matmul_4_quad).
//
// The idea: per step of 4 along K, an invocation loads a 4 x 4 block of A for each of its 2 row
// groups and of B for each of its 2 column groups (64 loads), then multiplies them as matrices:
// (A block: rows x k) * (B block: k x cols) is exactly the 4 x 4 x 4 update of a 4 x 4 output
// block, so 4 matrix products do 256 multiply-adds: 4 per load, against the naive kernel's one per
// two loads, with the accumulators in registers.
//
// Loads are scalar reads through the strides, so the same code serves A, Aᵀ, B and Bᵀ. On
// SwiftShader (a CPU), every load is a per-lane gather whatever its width, so vec4 loads would save
// nothing; on GPUs this variant is the no-workgroup-memory middle rung (matmul_3_tiled is the fast one).
//
// Edges: row and column indices are clamped into the matrix, so every load is in bounds, and only
// the stores are guarded. The last step along K may run past K: those k are clamped too and their
// A and B entries zeroed (both, so that 0 * inf never appears). Odd M, N and K all take this path.

#include "matmul_common"

#include "matmul_blocks"

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let tile = group + p.tile_offset.xyz;
  let row = (tile.y * 8u + local.y) * 8u;
  let col = (tile.x * 8u + local.x) * 8u;
  if (row >= p.M || col >= p.N) { return; }
  let base = batch_offsets(tile.z);
  let rows0 = a_rows(base.x, row);
  let rows1 = a_rows(base.x, row + 4u);
  let cols0 = b_cols(base.y, col);
  let cols1 = b_cols(base.y, col + 4u);

  var c00 = mat4x4<f32>();
  var c01 = mat4x4<f32>();
  var c10 = mat4x4<f32>();
  var c11 = mat4x4<f32>();
  for (var k = 0u; k < p.K; k += 4u) {
    let steps = k_steps(k);
    let a0 = load_a(rows0, steps);
    let a1 = load_a(rows1, steps);
    let b0 = load_b(steps, cols0);
    let b1 = load_b(steps, cols1);
    c00 += a0 * b0;
    c01 += a0 * b1;
    c10 += a1 * b0;
    c11 += a1 * b1;
  }
  store_block(tile.z, row, col, c00);
  store_block(tile.z, row, col + 4u, c01);
  store_block(tile.z, row + 4u, col, c10);
  store_block(tile.z, row + 4u, col + 4u, c11);
}
