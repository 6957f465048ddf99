// The second pass of clipGradNorm: scales a gradient in place by min(1, max_norm / (norm + 1e-6)),
// PyTorch's clip coefficient, with the total norm read from a GPU buffer, so clipping never waits
// for the GPU; below the threshold (coefficient 1) nothing is read or written.
// Bindings: @0 uniform Params, @1 grad (read-write, viewed as vec4s), @2 total_norm (one f32).
// The last vec4 may run past the tensor's n elements into the buffer's padding (pooled buffers are
// multiples of 16 bytes): those lanes keep their values. One invocation per vec4.

struct Params {
  n: u32,
  max_norm: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> total_norm: array<f32>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= (p.n + 3u) / 4u) { return; }
  let coefficient = min(1.0, p.max_norm / (total_norm[0] + 1e-6));
  // Below the threshold the gradient stays as it is: skip the read and the write.
  if (coefficient == 1.0) { return; }
  let past_end = vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u) >= vec4<u32>(p.n);
  let g = grad[i];
  grad[i] = select(g * coefficient, g, past_end);
}
