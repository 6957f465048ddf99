// Matmul v4, register-blocked with quad sharing (the fastest kernel on SwiftShader): a workgroup is
// one quad, four invocations that compute a 32 x 64 tile of outputs. Each invocation owns 16 of the
// columns and all 32 rows: 32 mat4x4 accumulators, 512 outputs. The rows of A are the same for all
// four, so each invocation loads only a quarter of them and quadBroadcast hands the rest around.
// Bindings: @0 uniform Params, @1 a (read), @2 b (read), @3 out (contiguous [batch, M, N]).
// Workgroup: 4 invocations (one quad); x runs along N, y along M, z is the batch.
// Params, strides and batch broadcasting: shaders/include/matmul_common.wgsl; the clamped block
// loads and the guarded block store: include/matmul_blocks.wgsl (shared with matmul_2_blocked).
// Needs the 'subgroups' feature.
//
// Why this shape, on a CPU implementation: SwiftShader runs 4 invocations as the 4 lanes of a SIMD
// register, and each load from a storage buffer is a bounds-checked per-lane gather (a vec4 load is
// four of them), some 40 cycles against about 2 for a multiply-add on all 4 lanes: loads are what
// cost. Per step of 4 along K an invocation loads two 4 x 4 blocks of A (its quarter of the 32 rows)
// and four of B (its 16 columns), 96 loads, and does 32 block products, 2048 multiply-adds: 21 per
// load, against 4 for matmul_2_blocked. quadBroadcast is a register shuffle. The accumulators no
// longer fit in registers, but a spilled accumulator costs far less than a load. Wider tiles (32 x 64
// rather than 32 x 32, 16 columns a lane) won on SwiftShader at the price of a longer pipeline
// compile; `npm run bench -- --only matmul` gives this kernel's figures on any adapter.
//
// Lanes take their role (which rows to load, which columns to compute) from their quad lane id, the
// same id quadBroadcast uses, so the kernel is correct for any subgroup size. Every lane runs the
// whole loop (quadBroadcast must be reached by all four): rows and columns past the edge are clamped
// into the matrix for loading and skipped when storing. The K tail is masked as in matmul_2_blocked.

enable subgroups;

#include "matmul_common"

#include "matmul_blocks"

/** Writes a lane's 4 x 16 outputs at (row, col): four blocks side by side. */
fn store_row(z: u32, row: u32, col: u32, c0: mat4x4<f32>, c1: mat4x4<f32>, c2: mat4x4<f32>, c3: mat4x4<f32>) {
  store_block(z, row, col, c0);
  store_block(z, row, col + 4u, c1);
  store_block(z, row, col + 8u, c2);
  store_block(z, row, col + 12u, c3);
}

@compute @workgroup_size(4)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(subgroup_invocation_id) subgroup_lane: u32) {
  let lane = subgroup_lane % 4u;
  let tile = group + p.tile_offset.xyz;
  let row = tile.y * 32u;
  let col = tile.x * 64u + lane * 16u;
  let base = batch_offsets(tile.z);
  // This lane loads row blocks `lane` and `lane + 4` of the quad's 8.
  let rows_lo = a_rows(base.x, row + 4u * lane);
  let rows_hi = a_rows(base.x, row + 16u + 4u * lane);
  let cols0 = b_cols(base.y, col + 0u);
  let cols1 = b_cols(base.y, col + 4u);
  let cols2 = b_cols(base.y, col + 8u);
  let cols3 = b_cols(base.y, col + 12u);

  // c{r}{c}: the 4 x 4 outputs of row block r (rows row + 4r ..) and column block c (columns col + 4c ..).
  // Separate variables, not an array: SwiftShader would keep an array in memory and index it per lane.
  var c00 = mat4x4<f32>(); var c01 = mat4x4<f32>(); var c02 = mat4x4<f32>(); var c03 = mat4x4<f32>();
  var c10 = mat4x4<f32>(); var c11 = mat4x4<f32>(); var c12 = mat4x4<f32>(); var c13 = mat4x4<f32>();
  var c20 = mat4x4<f32>(); var c21 = mat4x4<f32>(); var c22 = mat4x4<f32>(); var c23 = mat4x4<f32>();
  var c30 = mat4x4<f32>(); var c31 = mat4x4<f32>(); var c32 = mat4x4<f32>(); var c33 = mat4x4<f32>();
  var c40 = mat4x4<f32>(); var c41 = mat4x4<f32>(); var c42 = mat4x4<f32>(); var c43 = mat4x4<f32>();
  var c50 = mat4x4<f32>(); var c51 = mat4x4<f32>(); var c52 = mat4x4<f32>(); var c53 = mat4x4<f32>();
  var c60 = mat4x4<f32>(); var c61 = mat4x4<f32>(); var c62 = mat4x4<f32>(); var c63 = mat4x4<f32>();
  var c70 = mat4x4<f32>(); var c71 = mat4x4<f32>(); var c72 = mat4x4<f32>(); var c73 = mat4x4<f32>();
  for (var k = 0u; k < p.K; k += 4u) {
    let steps = k_steps(k);
    let lo = load_a(rows_lo, steps);
    let hi = load_a(rows_hi, steps);
    let b0 = load_b(steps, cols0);
    let b1 = load_b(steps, cols1);
    let b2 = load_b(steps, cols2);
    let b3 = load_b(steps, cols3);
    // Row block r of the tile was loaded by lane r % 4 (into its `lo` for r < 4, its `hi` after).
    let a0 = mat4x4<f32>(quadBroadcast(lo[0], 0u), quadBroadcast(lo[1], 0u), quadBroadcast(lo[2], 0u), quadBroadcast(lo[3], 0u));
    let a1 = mat4x4<f32>(quadBroadcast(lo[0], 1u), quadBroadcast(lo[1], 1u), quadBroadcast(lo[2], 1u), quadBroadcast(lo[3], 1u));
    let a2 = mat4x4<f32>(quadBroadcast(lo[0], 2u), quadBroadcast(lo[1], 2u), quadBroadcast(lo[2], 2u), quadBroadcast(lo[3], 2u));
    let a3 = mat4x4<f32>(quadBroadcast(lo[0], 3u), quadBroadcast(lo[1], 3u), quadBroadcast(lo[2], 3u), quadBroadcast(lo[3], 3u));
    let a4 = mat4x4<f32>(quadBroadcast(hi[0], 0u), quadBroadcast(hi[1], 0u), quadBroadcast(hi[2], 0u), quadBroadcast(hi[3], 0u));
    let a5 = mat4x4<f32>(quadBroadcast(hi[0], 1u), quadBroadcast(hi[1], 1u), quadBroadcast(hi[2], 1u), quadBroadcast(hi[3], 1u));
    let a6 = mat4x4<f32>(quadBroadcast(hi[0], 2u), quadBroadcast(hi[1], 2u), quadBroadcast(hi[2], 2u), quadBroadcast(hi[3], 2u));
    let a7 = mat4x4<f32>(quadBroadcast(hi[0], 3u), quadBroadcast(hi[1], 3u), quadBroadcast(hi[2], 3u), quadBroadcast(hi[3], 3u));
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    c40 += a4 * b0; c41 += a4 * b1; c42 += a4 * b2; c43 += a4 * b3;
    c50 += a5 * b0; c51 += a5 * b1; c52 += a5 * b2; c53 += a5 * b3;
    c60 += a6 * b0; c61 += a6 * b1; c62 += a6 * b2; c63 += a6 * b3;
    c70 += a7 * b0; c71 += a7 * b1; c72 += a7 * b2; c73 += a7 * b3;
  }
  store_row(tile.z, row, col, c00, c01, c02, c03);
  store_row(tile.z, row + 4u, col, c10, c11, c12, c13);
  store_row(tile.z, row + 8u, col, c20, c21, c22, c23);
  store_row(tile.z, row + 12u, col, c30, c31, c32, c33);
  store_row(tile.z, row + 16u, col, c40, c41, c42, c43);
  store_row(tile.z, row + 20u, col, c50, c51, c52, c53);
  store_row(tile.z, row + 24u, col, c60, c61, c62, c63);
  store_row(tile.z, row + 28u, col, c70, c71, c72, c73);
}
