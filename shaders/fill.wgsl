// Fill kernels, used to create tensors without uploading from JS.
//   fill:   out[i] = value                     (zeros, ones, full)
//   arange: out[i] = start + f32(i) * step     (arange, linspace)
// Bindings: @0 uniform Params, @1 out. One invocation per element (2-D grid for large n).
// {{T}} is the element type (f32, i32 or u32); values arrive as f32 and are converted.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  n: u32,
  value: f32,
  start: f32,
  step: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;

@compute @workgroup_size(WG)
fn fill(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  out[i] = {{T}}(p.value);
}

@compute @workgroup_size(WG)
fn arange(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  out[i] = {{T}}(p.start + f32(i) * p.step);
}
