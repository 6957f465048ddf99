// where(cond, a, b) with NumPy broadcasting: out[i] = cond != 0 ? a : b.
// Bindings: @0 uniform Params, @1 cond (f32 mask), @2 a, @3 b, @4 out. One invocation per output
// element; coordinates of i in the output shape (rank <= 8, after the host merges the dimensions every
// operand walks contiguously) dotted with each input's strides
// (0 on broadcast dimensions) give that input's offset.
// Includes: grid (the folded 1-D launch) and coords_rank (an output index's coordinates, for
// broadcasting; the launch sets RANK).

#include "grid"
#include "coords_rank"

struct Params {
  n: u32,
  shape: array<vec4<u32>, 2>,
  c_strides: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> cond: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<{{T}}>;
@group(0) @binding(3) var<storage, read> b: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> out: array<{{T}}>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  let c = coords_of(i);
  out[i] = select(b[offset_of(c, p.b_strides[0], p.b_strides[1])], a[offset_of(c, p.a_strides[0], p.a_strides[1])], cond[offset_of(c, p.c_strides[0], p.c_strides[1])] != 0.0);
}
