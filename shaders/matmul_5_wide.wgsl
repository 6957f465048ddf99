// Matmul v5, the wide GPU rung: 128 x 128 tiles, 8 x 8 outputs per invocation, workgroup panels
// double-buffered. A workgroup of 16 x 16 invocations computes a 128 x 128 tile of outputs; each
// invocation owns rows 4 * local.y + (0..3) and the same 64 further down, and columns 4 * local.x +
// (0..3) and the same 64 further right (halves 64 apart, so neighbouring invocations read neighbouring
// vec4s of the panels). K is walked in slabs of 8: the 128 x 8 panel of A and the 8 x 128 panel of B
// are staged in workgroup memory, 4 values of each per invocation, and each invocation then does
// 8 x 64 multiply-adds from 32 vec4 reads of the panels: 16 per read, against matmul_3_tiled's 4 x 4
// block and its 8.
// Bindings: @0 uniform Params, @1 a (read), @2 b (read), @3 out (contiguous [batch, M, N]).
// Workgroup: 16 x 16; x runs along N, y along M, z is the batch. Workgroup memory: 16 KiB (two pairs
// of 4 KiB panels), WebGPU's guaranteed maximum.
// Params, strides and batch broadcasting: shaders/include/matmul_common.wgsl; the guarded panel loads
// and row stores: include/matmul_panels.wgsl (shared by the workgroup-memory kernels).
//
// Double buffering: while the products of one slab are computed from one pair of panels, the next
// slab's values are already loaded from global memory into registers, and they are stored into the
// other pair afterwards. The loads' latency hides behind the arithmetic, and one barrier per slab
// suffices: after it, nobody reads the pair that the next slab's stores overwrite.
// Loads are coalesced whichever way an operand is laid out, as in matmul_3_tiled (neighbouring
// invocations read neighbouring addresses along its contiguous dimension). Edges: entries outside the
// matrix are staged as 0, so partial tiles and any K need no special case; only the stores are
// guarded. A GPU rung: on SwiftShader, workgroup memory and barriers cost more than they save.

#include "matmul_common"
#include "matmul_panels"

const TILE = 128u;
const SLAB = 8u;

/** a_panels[p][k * 32 + r] holds A(rows 4r..4r+3, k) of a slab; b_panels[p][k * 32 + c] holds B(k, cols 4c..4c+3). */
var<workgroup> a_panels: array<array<vec4<f32>, 256>, 2>;
var<workgroup> b_panels: array<array<vec4<f32>, 256>, 2>;

/** Which panel entries an invocation stages: entry e = thread + 256 i of each panel, for i in 0..3. */
struct Slot {
  a_row: u32,
  a_k: u32,
  b_k: u32,
  b_col: u32,
}

/** Panel entry e's place: consecutive invocations take consecutive addresses of each operand. */
fn slot(e: u32, a_k_contiguous: bool, b_n_contiguous: bool) -> Slot {
  return Slot(
    select(e % TILE, e / SLAB, a_k_contiguous),
    select(e / TILE, e % SLAB, a_k_contiguous),
    select(e % SLAB, e / TILE, b_n_contiguous),
    select(e / SLAB, e % TILE, b_n_contiguous),
  );
}

/** The values an invocation stages for the slab from k0: 4 of A's panel, 4 of B's. */
struct Staged {
  a: vec4<f32>,
  b: vec4<f32>,
}

fn load_slab(thread: u32, base: vec2<u32>, row0: u32, col0: u32, k0: u32, a_k_contiguous: bool, b_n_contiguous: bool) -> Staged {
  var staged: Staged;
  for (var i = 0u; i < 4u; i++) {
    let s = slot(thread + 256u * i, a_k_contiguous, b_n_contiguous);
    staged.a[i] = read_a(base.x, row0 + s.a_row, k0 + s.a_k);
    staged.b[i] = read_b(base.y, k0 + s.b_k, col0 + s.b_col);
  }
  return staged;
}

fn store_slab(pair: u32, thread: u32, staged: Staged, a_k_contiguous: bool, b_n_contiguous: bool) {
  for (var i = 0u; i < 4u; i++) {
    let s = slot(thread + 256u * i, a_k_contiguous, b_n_contiguous);
    a_panels[pair][s.a_k * 32u + s.a_row / 4u][s.a_row % 4u] = staged.a[i];
    b_panels[pair][s.b_k * 32u + s.b_col / 4u][s.b_col % 4u] = staged.b[i];
  }
}

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

  // acc{r}{h}: row r of the invocation's 8 (0..3: 4 * local.y + r; 4..7: 64 more), columns half h (named,
  // so no compiler keeps them in memory).
  var acc00 = vec4<f32>(); var acc01 = vec4<f32>();
  var acc10 = vec4<f32>(); var acc11 = vec4<f32>();
  var acc20 = vec4<f32>(); var acc21 = vec4<f32>();
  var acc30 = vec4<f32>(); var acc31 = vec4<f32>();
  var acc40 = vec4<f32>(); var acc41 = vec4<f32>();
  var acc50 = vec4<f32>(); var acc51 = vec4<f32>();
  var acc60 = vec4<f32>(); var acc61 = vec4<f32>();
  var acc70 = vec4<f32>(); var acc71 = vec4<f32>();

  var staged = load_slab(thread, base, row0, col0, 0u, a_k_contiguous, b_n_contiguous);
  store_slab(0u, thread, staged, a_k_contiguous, b_n_contiguous);
  workgroupBarrier();
  let slabs = (p.K + SLAB - 1u) / SLAB;
  for (var s = 0u; s < slabs; s++) {
    let pair = s % 2u;
    let more = s + 1u < slabs;
    if (more) {
      staged = load_slab(thread, base, row0, col0, (s + 1u) * SLAB, a_k_contiguous, b_n_contiguous);
    }
    for (var k = 0u; k < SLAB; k++) {
      let a0 = a_panels[pair][k * 32u + local.y];
      let a1 = a_panels[pair][k * 32u + 16u + local.y];
      let b0 = b_panels[pair][k * 32u + local.x];
      let b1 = b_panels[pair][k * 32u + 16u + local.x];
      acc00 = fma(vec4<f32>(a0.x), b0, acc00); acc01 = fma(vec4<f32>(a0.x), b1, acc01);
      acc10 = fma(vec4<f32>(a0.y), b0, acc10); acc11 = fma(vec4<f32>(a0.y), b1, acc11);
      acc20 = fma(vec4<f32>(a0.z), b0, acc20); acc21 = fma(vec4<f32>(a0.z), b1, acc21);
      acc30 = fma(vec4<f32>(a0.w), b0, acc30); acc31 = fma(vec4<f32>(a0.w), b1, acc31);
      acc40 = fma(vec4<f32>(a1.x), b0, acc40); acc41 = fma(vec4<f32>(a1.x), b1, acc41);
      acc50 = fma(vec4<f32>(a1.y), b0, acc50); acc51 = fma(vec4<f32>(a1.y), b1, acc51);
      acc60 = fma(vec4<f32>(a1.z), b0, acc60); acc61 = fma(vec4<f32>(a1.z), b1, acc61);
      acc70 = fma(vec4<f32>(a1.w), b0, acc70); acc71 = fma(vec4<f32>(a1.w), b1, acc71);
    }
    if (more) {
      store_slab(1u - pair, thread, staged, a_k_contiguous, b_n_contiguous);
    }
    workgroupBarrier();
  }

  let r0 = row0 + 4u * local.y;
  let r1 = r0 + 64u;
  let c0 = col0 + 4u * local.x;
  let c1 = c0 + 64u;
  store_row(tile.z, r0, c0, acc00); store_row(tile.z, r0, c1, acc01);
  store_row(tile.z, r0 + 1u, c0, acc10); store_row(tile.z, r0 + 1u, c1, acc11);
  store_row(tile.z, r0 + 2u, c0, acc20); store_row(tile.z, r0 + 2u, c1, acc21);
  store_row(tile.z, r0 + 3u, c0, acc30); store_row(tile.z, r0 + 3u, c1, acc31);
  store_row(tile.z, r1, c0, acc40); store_row(tile.z, r1, c1, acc41);
  store_row(tile.z, r1 + 1u, c0, acc50); store_row(tile.z, r1 + 1u, c1, acc51);
  store_row(tile.z, r1 + 2u, c0, acc60); store_row(tile.z, r1 + 2u, c1, acc61);
  store_row(tile.z, r1 + 3u, c0, acc70); store_row(tile.z, r1 + 3u, c1, acc71);
}
