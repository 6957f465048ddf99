// Strided copy: the one kernel behind permute, expand (broadcast_to), slice and other movement.
// out[i] = x[offset + sum_k coord_k(i) * strides[k]], where coord(i) are the coordinates of i in the
// output shape (rank <= 8). A permuted, expanded (stride 0) or sliced view of a contiguous tensor is
// therefore materialised contiguously in one pass.
// Bindings: @0 uniform Params, @1 x (read), @2 out. Elements are copied as raw 32-bit words, so
// one pipeline serves f32, i32 and u32. One invocation per output element (2-D grid for large n).
// Includes: grid (the folded 1-D launch) and coords_rank (an output index's coordinates; the
// launch sets RANK).

#include "grid"
#include "coords_rank"

struct Params {
  n: u32,
  offset: u32,
  shape: array<vec4<u32>, 2>,
  strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  out[i] = x[p.offset + offset_of(coords_of(i), p.strides[0], p.strides[1])];
}
