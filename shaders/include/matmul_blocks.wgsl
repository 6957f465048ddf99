// Shared by the register-blocked matmuls (matmul_2_blocked, matmul_4_quad), inlined where they say
// #include "matmul_blocks": row and column offsets clamped into the matrix, the four steps along K
// that one pass of the K loop takes, 4 x 4 block loads of A and B with the K tail masked to zero,
// and the guarded store of a 4 x 4 output block.
// Needs matmul_common's Params and bindings.

const STEP = vec4<u32>(0u, 1u, 2u, 3u);

/** Offsets in `a` of rows first..first+3 (clamped into the matrix). */
fn a_rows(base: u32, first: u32) -> vec4<u32> {
  return base + min(vec4<u32>(first) + STEP, vec4<u32>(p.M - 1u)) * p.a_stride_m;
}

/** Offsets in `b` of columns first..first+3 (clamped into the matrix). */
fn b_cols(base: u32, first: u32) -> vec4<u32> {
  return base + min(vec4<u32>(first) + STEP, vec4<u32>(p.N - 1u)) * p.b_stride_n;
}

/** Steps k..k+3 along K: which of them lie inside K (`keep`), and their offsets in A and B (clamped
 * into the matrix, a_stride_k- and b_stride_k-scaled). */
struct KSteps {
  keep: vec4<bool>,
  a: vec4<u32>,
  b: vec4<u32>,
}

fn k_steps(k: u32) -> KSteps {
  let ks = vec4<u32>(k) + STEP;
  let clamped = min(ks, vec4<u32>(p.K - 1u));
  return KSteps(ks < vec4<u32>(p.K), clamped * p.a_stride_k, clamped * p.b_stride_k);
}

/** The 4 x 4 block of A at `rows` and `steps`; column j holds k + j. */
fn load_a(rows: vec4<u32>, steps: KSteps) -> mat4x4<f32> {
  let ks = steps.a;
  let keep = steps.keep;
  let zero = vec4<f32>();
  return mat4x4<f32>(
    select(zero, vec4<f32>(a[rows.x + ks.x], a[rows.y + ks.x], a[rows.z + ks.x], a[rows.w + ks.x]), keep.x),
    select(zero, vec4<f32>(a[rows.x + ks.y], a[rows.y + ks.y], a[rows.z + ks.y], a[rows.w + ks.y]), keep.y),
    select(zero, vec4<f32>(a[rows.x + ks.z], a[rows.y + ks.z], a[rows.z + ks.z], a[rows.w + ks.z]), keep.z),
    select(zero, vec4<f32>(a[rows.x + ks.w], a[rows.y + ks.w], a[rows.z + ks.w], a[rows.w + ks.w]), keep.w),
  );
}

/** The 4 x 4 block of B at `steps` and `cols`; column j holds cols[j]. */
fn load_b(steps: KSteps, cols: vec4<u32>) -> mat4x4<f32> {
  let ks = steps.b;
  let keep = steps.keep;
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
        store_out(z, row + i, col + j, block[j][i]);
      }
    }
  }
}
