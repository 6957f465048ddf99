// Per-tensor partial norms of a gradient, the first pass of clipGradNorm. A gradient of n4 vec4s
// gets `partials` invocations; invocation c folds vec4s c, c + partials, c + 2 partials, ... (so
// neighbouring invocations read neighbouring vec4s at every iteration) into one value, written to
// out[first_partial + c]. Every gradient of a clipping call writes its own slice of one buffer; a
// sum (or max) reduction over that buffer then gives the global statistic, on the GPU.
// Entry points: `sum_squares` (for the 2-norm) and `max_abs` (for the infinity norm).
// Bindings: @0 uniform Params, @1 grad (read, viewed as vec4s), @2 out (f32, written).
// The last vec4 may run past the tensor's n elements into the buffer's padding (pooled buffers are
// multiples of 16 bytes): those lanes count as 0. One invocation per partial, 2-D grid when large.

struct Params {
  n: u32,
  partials: u32,
  first_partial: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

// The lanes of vec4 i, with those past the tensor's last element set to 0.
fn lanes(i: u32) -> vec4<f32> {
  let past_end = vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u) >= vec4<u32>(p.n);
  return select(grad[i], vec4<f32>(0.0), past_end);
}

@compute @workgroup_size(WG)
fn sum_squares(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.partials) { return; }
  let vec4s = (p.n + 3u) / 4u;
  var acc = vec4<f32>(0.0);
  for (var i = c; i < vec4s; i += p.partials) {
    let g = lanes(i);
    acc += g * g;
  }
  out[p.first_partial + c] = (acc.x + acc.y) + (acc.z + acc.w);
}

@compute @workgroup_size(WG)
fn max_abs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.partials) { return; }
  let vec4s = (p.n + 3u) / 4u;
  var acc = vec4<f32>(0.0);
  for (var i = c; i < vec4s; i += p.partials) {
    acc = max(acc, abs(lanes(i)));
  }
  out[p.first_partial + c] = max(max(acc.x, acc.y), max(acc.z, acc.w));
}
