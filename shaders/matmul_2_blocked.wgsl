// Matmul v2, register-blocked: each invocation computes an 8 x 8 block of outputs, held as four
// 4 x 4 blocks (mat4x4 accumulators), and walks K four steps at a time.
// Bindings: @0 uniform Params, @1 a (read), @2 b (read), @3 out (contiguous [batch, M, N]).
// Workgroup: 8 x 8 invocations = a 64 x 64 tile of outputs; x runs along N, y along M, z is the batch.
// Params, strides and batch broadcasting are as in matmul_1_naive.wgsl.
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

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch_rank: u32,
  a_stride_m: u32,
  a_stride_k: u32,
  b_stride_k: u32,
  b_stride_n: u32,
  tile_offset: vec4<u32>,
  batch_shape: array<vec4<u32>, 2>,
  a_batch_strides: array<vec4<u32>, 2>,
  b_batch_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

/** Offsets of batch z's matrices in a and b (x: a, y: b). */
fn batch_offsets(z: u32) -> vec2<u32> {
  var rest = z;
  var offsets = vec2<u32>(0u, 0u);
  for (var d = i32(p.batch_rank) - 1; d >= 0; d--) {
    let i = u32(d);
    let extent = p.batch_shape[i / 4u][i % 4u];
    let coord = rest % extent;
    rest /= extent;
    offsets += coord * vec2<u32>(p.a_batch_strides[i / 4u][i % 4u], p.b_batch_strides[i / 4u][i % 4u]);
  }
  return offsets;
}

const STEP = vec4<u32>(0u, 1u, 2u, 3u);

/** Offsets in `a` of rows first..first+3 (clamped into the matrix). */
fn a_rows(base: u32, first: u32) -> vec4<u32> {
  return base + min(vec4<u32>(first) + STEP, vec4<u32>(p.M - 1u)) * p.a_stride_m;
}

/** Offsets in `b` of columns first..first+3 (clamped into the matrix). */
fn b_cols(base: u32, first: u32) -> vec4<u32> {
  return base + min(vec4<u32>(first) + STEP, vec4<u32>(p.N - 1u)) * p.b_stride_n;
}

/** The 4 x 4 block of A at `rows` and steps `ks` (a_stride_k-scaled); column j holds k + j. */
fn load_a(rows: vec4<u32>, ks: vec4<u32>, keep: vec4<bool>) -> mat4x4<f32> {
  let zero = vec4<f32>();
  return mat4x4<f32>(
    select(zero, vec4<f32>(a[rows.x + ks.x], a[rows.y + ks.x], a[rows.z + ks.x], a[rows.w + ks.x]), keep.x),
    select(zero, vec4<f32>(a[rows.x + ks.y], a[rows.y + ks.y], a[rows.z + ks.y], a[rows.w + ks.y]), keep.y),
    select(zero, vec4<f32>(a[rows.x + ks.z], a[rows.y + ks.z], a[rows.z + ks.z], a[rows.w + ks.z]), keep.z),
    select(zero, vec4<f32>(a[rows.x + ks.w], a[rows.y + ks.w], a[rows.z + ks.w], a[rows.w + ks.w]), keep.w),
  );
}

/** The 4 x 4 block of B at steps `ks` (b_stride_k-scaled) and `cols`; column j holds cols[j]. */
fn load_b(ks: vec4<u32>, cols: vec4<u32>, keep: vec4<bool>) -> mat4x4<f32> {
  let zero = vec4<f32>();
  return mat4x4<f32>(
    select(zero, vec4<f32>(b[ks.x + cols.x], b[ks.y + cols.x], b[ks.z + cols.x], b[ks.w + cols.x]), keep),
    select(zero, vec4<f32>(b[ks.x + cols.y], b[ks.y + cols.y], b[ks.z + cols.y], b[ks.w + cols.y]), keep),
    select(zero, vec4<f32>(b[ks.x + cols.z], b[ks.y + cols.z], b[ks.z + cols.z], b[ks.w + cols.z]), keep),
    select(zero, vec4<f32>(b[ks.x + cols.w], b[ks.y + cols.w], b[ks.z + cols.w], b[ks.w + cols.w]), keep),
  );
}

/** Writes the 4 x 4 block whose top-left output is (row, col) of batch z, skipping what lies outside. */
fn store_block(z: u32, row: u32, col: u32, block: mat4x4<f32>) {
  for (var j = 0u; j < 4u; j++) {
    for (var i = 0u; i < 4u; i++) {
      if (row + i < p.M && col + j < p.N) {
        out[(z * p.M + row + i) * p.N + col + j] = block[j][i];
      }
    }
  }
}

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
    let ks = vec4<u32>(k) + STEP;
    let keep = ks < vec4<u32>(p.K);
    let clamped = min(ks, vec4<u32>(p.K - 1u));
    let a_ks = clamped * p.a_stride_k;
    let b_ks = clamped * p.b_stride_k;
    let a0 = load_a(rows0, a_ks, keep);
    let a1 = load_a(rows1, a_ks, keep);
    let b0 = load_b(b_ks, cols0, keep);
    let b1 = load_b(b_ks, cols1, keep);
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
