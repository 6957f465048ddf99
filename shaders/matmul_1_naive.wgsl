// Matmul v1, naive: one invocation per output element, a plain dot product over K.
//   out[z, m, n] = sum_k A[z, m, k] * B[z, k, n]
// Bindings: @0 uniform Params, @1 a (read), @2 b (read), @3 out (contiguous [batch, M, N]).
// Workgroup: 16 x 16 invocations = a 16 x 16 tile of outputs; x runs along N, y along M, z is the batch.
//
// Params (shaders/include/matmul_common.wgsl) address A and B through strides, so transposed
// operands and broadcast batch dimensions need no copy.
//
// Each output reads a whole row of A and column of B from memory, 2K loads for 2K flops: simple
// and correct for every shape, and the yardstick the other variants are checked against.

#include "matmul_common"

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
  store_out(tile.z, m, n, sum);
}
