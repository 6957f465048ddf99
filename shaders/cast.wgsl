// Converts between element types: out[i] = {{OUT}}(x[i]) (f32 -> i32 truncates toward zero).
// Bindings: @0 uniform Params, @1 x (read), @2 out. One invocation per element.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<{{IN}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{OUT}}>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  out[i] = {{OUT}}(x[i]);
}
