// Converts between element types: out[i] = {{OUT}}(x[i]) (f32 -> i32 truncates toward zero).
// Bindings: @0 uniform Params, @1 x (read), @2 out. One invocation per element.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<{{IN}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{OUT}}>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  out[i] = {{OUT}}(x[i]);
}
