// Shared by the four matmul kernels (matmul_1_naive ... matmul_4_quad), inlined where they say
// #include "matmul_common": the uniform Params, the bindings and the batch-offset helper.
//
// A and B are addressed through strides, so a transposed operand is just a different pair of strides
// (A(m, k) = a[a_offset + m * a_stride_m + k * a_stride_k]): the backward pass's A·Bᵀ and Aᵀ·B run
// the same pipeline as A·B, with no copy.
// Batch dimensions broadcast NumPy-style: the batch index z is split into coordinates of
// batch_shape, and each operand's offset is their dot product with its batch strides (0 where that
// operand is broadcast). tile_offset shifts the workgroup grid when a launch is split into several
// dispatches (more than 65535 workgroups along one dimension).
// Every output leaves the kernel through store_out: src/ops/fusion.ts replaces that one function to
// make a product with a fused epilogue (bias, activation, residual: the elementwise ops that read the
// product), and appends the epilogue's fields to Params.

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

/** Writes output (m, n) of batch z. */
fn store_out(z: u32, m: u32, n: u32, value: f32) {
  out[(z * p.M + m) * p.N + n] = value;
}
