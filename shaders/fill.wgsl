// Fill kernels, used to create tensors without uploading from JS.
//   fill:   out[i] = value                     (zeros, ones, full)
//   arange: out[i] = start + f32(i) * step     (arange, linspace)
// Bindings: @0 uniform Params, @1 out. One invocation per element; the grid may be 2-D when the
// element count needs more than 65535 workgroups, so the flat index folds in gid.y.
// {{T}} is the element type (f32, i32 or u32); values arrive as f32 and are converted.

struct Params {
  n: u32,
  value: f32,
  start: f32,
  step: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  out[i] = {{T}}(p.value);
}

@compute @workgroup_size(WG)
fn arange(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  out[i] = {{T}}(p.start + f32(i) * p.step);
}
