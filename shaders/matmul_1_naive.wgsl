// Matmul v1, naive: one invocation per output element, a plain dot product over K.
//   out[z, m, n] = sum_k A[z, m, k] * B[z, k, n]
// Bindings: @0 uniform Params, @1 a (read), @2 b (read), @3 out (contiguous [batch, M, N]).
// Workgroup: 16 x 16 invocations = a 16 x 16 tile of outputs; x runs along N, y along M, z is the batch.
//
// Every matmul variant shares this Params block. A and B are addressed through strides, so a
// transposed operand is just a different pair of strides (A(m, k) = a[a_offset + m * a_stride_m +
// k * a_stride_k]): the backward pass's A·Bᵀ and Aᵀ·B run the same pipeline as A·B, with no copy.
// Batch dimensions broadcast NumPy-style: the batch index z is split into coordinates of
// batch_shape, and each operand's offset is their dot product with its batch strides (0 where that
// operand is broadcast). tile_offset shifts the workgroup grid when a launch is split into several
// dispatches (more than 65535 workgroups along one dimension).
//
// Each output reads a whole row of A and column of B from memory, 2K loads for 2K flops: simple
// and correct for every shape, and the yardstick the other variants are checked against.

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

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let tile = group + p.tile_offset.xyz;
  let n = tile.x * 16u + local.x;
  let m = tile.y * 16u + local.y;
  if (m >= p.M || n >= p.N) { return; }
  let base = batch_offsets(tile.z);
  var a_index = base.x + m * p.a_stride_m;
  var b_index = base.y + n * p.b_stride_n;
  var sum = 0.0;
  for (var k = 0u; k < p.K; k++) {
    sum = fma(a[a_index], b[b_index], sum);
    a_index += p.a_stride_k;
    b_index += p.b_stride_k;
  }
  out[(tile.z * p.M + m) * p.N + n] = sum;
}
