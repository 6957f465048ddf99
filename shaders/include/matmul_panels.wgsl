// Shared by the workgroup-memory matmul kernels (matmul_3_tiled, matmul_5_wide), inlined where they say
// #include "matmul_panels": the guarded loads that stage panels of A and B (0 outside the matrix, so
// partial tiles and any K need no special case) and the guarded store of 4 outputs of a row.
// Needs matmul_common's Params, bindings and store_out.

fn read_a(base: u32, m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  return a[base + m * p.a_stride_m + k * p.a_stride_k];
}

fn read_b(base: u32, k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  return b[base + k * p.b_stride_k + n * p.b_stride_n];
}

/** Writes 4 outputs of one row, from column `col` on, skipping what lies outside. */
fn store_row(z: u32, m: u32, col: u32, values: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) {
    if (m < p.M && col + j < p.N) {
      store_out(z, m, col + j, values[j]);
    }
  }
}
