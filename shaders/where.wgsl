// where(cond, a, b) with NumPy broadcasting: out[i] = cond != 0 ? a : b.
// Bindings: @0 uniform Params, @1 cond (f32 mask), @2 a, @3 b, @4 out. One invocation per output
// element; coordinates of i in the output shape (rank <= 8) dotted with each input's strides
// (0 on broadcast dimensions) give that input's offset.
// Includes: grid (the folded 1-D launch) and coords (an output index's coordinates, for
// broadcasting).

#include "grid"
#include "coords"

struct Params {
  n: u32,
  rank: u32,
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
  var rest = i;
  var ic = 0u;
  var ia = 0u;
  var ib = 0u;
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let d = u32(k);
    let coord = take_coord(&rest, d);
    ic += coord * p.c_strides[d / 4u][d % 4u];
    ia += coord * p.a_strides[d / 4u][d % 4u];
    ib += coord * p.b_strides[d / 4u][d % 4u];
  }
  out[i] = select(b[ib], a[ia], cond[ic] != 0.0);
}
