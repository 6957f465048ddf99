// Matmul v3, workgroup-memory tiling (the classic GPU kernel): a workgroup of 16 x 16 invocations
// computes a 64 x 64 tile of outputs, 4 x 4 per invocation, and walks K in slabs of 16. For each
// slab it first copies a 64 x 16 panel of A and a 16 x 64 panel of B into workgroup memory (every
// invocation loads 4 + 4 values), waits at a barrier, then every invocation reads its operands from
// there: each value fetched from global memory is reused 64 times instead of once.
// Bindings: @0 uniform Params, @1 a (read), @2 b (read), @3 out (contiguous [batch, M, N]).
// Workgroup: 16 x 16; x runs along N, y along M, z is the batch. Workgroup memory: 8 KiB.
// Params, strides and batch broadcasting: shaders/include/matmul_common.wgsl; the guarded panel loads
// and row stores: include/matmul_panels.wgsl (shared by the workgroup-memory kernels).
//
// Panel loads are coalesced whichever way an operand is laid out: neighbouring invocations read
// neighbouring addresses along the operand's contiguous dimension (k for A, n for B, swapped when
// transposed). The branch on the strides is uniform, so it costs nothing and keeps the barriers legal.
// Panels are stored k-major as vec4s (4 rows of A, or 4 columns of B, per entry), so the inner loop
// reads one vec4 of A and one of B per k and does 16 multiply-adds.
//
// Edges: panel entries outside the matrix are stored as 0, so partial tiles and any K need no
// special case in the inner loop; only the final stores are guarded. On SwiftShader workgroup memory
// and barriers cost more than they save (`npm run bench -- --only matmul` shows every variant), so
// the chooser uses this variant only on real GPUs.

#include "matmul_common"
#include "matmul_panels"

const TILE = 64u;
const SLAB = 16u;

/** a_panel[k * 16 + r] holds A(rows 4r..4r+3, k) of the current slab; b_panel[k * 16 + c] holds B(k, cols 4c..4c+3). */
var<workgroup> a_panel: array<vec4<f32>, 256>;
var<workgroup> b_panel: array<vec4<f32>, 256>;

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_id) local: vec3<u32>,
  @builtin(local_invocation_index) thread: u32,
) {
  let tile = group + p.tile_offset.xyz;
  let row0 = tile.y * TILE;
  let col0 = tile.x * TILE;
  let base = batch_offsets(tile.z);
  let a_k_contiguous = p.a_stride_k == 1u;
  let b_n_contiguous = p.b_stride_n == 1u;

  // acc{i}: outputs of row 4 * local.y + i, columns 4 * local.x .. + 3 (named, so no compiler keeps them in memory).
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k0 = 0u; k0 < p.K; k0 += SLAB) {
    for (var i = 0u; i < 4u; i++) {
      let e = thread + 256u * i;
      // A panel: 64 rows x 16 k; consecutive threads take consecutive addresses of A.
      let ar = select(e % TILE, e / SLAB, a_k_contiguous);
      let ak = select(e / TILE, e % SLAB, a_k_contiguous);
      a_panel[ak * 16u + ar / 4u][ar % 4u] = read_a(base.x, row0 + ar, k0 + ak);
      // B panel: 16 k x 64 columns.
      let bc = select(e / SLAB, e % TILE, b_n_contiguous);
      let bk = select(e % SLAB, e / TILE, b_n_contiguous);
      b_panel[bk * 16u + bc / 4u][bc % 4u] = read_b(base.y, k0 + bk, col0 + bc);
    }
    workgroupBarrier();
    for (var k = 0u; k < SLAB; k++) {
      let av = a_panel[k * 16u + local.y];
      let bv = b_panel[k * 16u + local.x];
      acc0 = fma(vec4<f32>(av.x), bv, acc0);
      acc1 = fma(vec4<f32>(av.y), bv, acc1);
      acc2 = fma(vec4<f32>(av.z), bv, acc2);
      acc3 = fma(vec4<f32>(av.w), bv, acc3);
    }
    workgroupBarrier();
  }

  let row = row0 + 4u * local.y;
  let col = col0 + 4u * local.x;
  store_row(tile.z, row, col, acc0);
  store_row(tile.z, row + 1u, col, acc1);
  store_row(tile.z, row + 2u, col, acc2);
  store_row(tile.z, row + 3u, col, acc3);
}
