// Constant padding and strided embedding: out is filled with `fill`, except where x lands.
//   out[c] = x[(c - lo) / step]   when, on every axis, c - lo >= 0, divisible by step, and the
//                                  quotient lies inside x's shape;   otherwise out[c] = fill.
// pad uses step 1 (a negative lo crops x on that side); slice's backward uses step >= 1 and lo >= 0
// to put a gradient back where a strided slice came from. One pass writes every output element, so
// no separate zero fill is needed.
// Bindings: @0 uniform Params, @1 x (read), @2 out. Elements are raw 32-bit words (f32, i32 and u32
// share one pipeline; `fill` arrives as the bit pattern of the value in the tensor's dtype).
// One invocation per output element (2-D grid for large n); rank <= 8.
// Includes: grid (the folded 1-D launch) and coords (an output index's coordinates).

#include "grid"
#include "coords"

struct Params {
  n: u32,
  rank: u32,
  fill: u32,
  shape: array<vec4<u32>, 2>,
  x_shape: array<vec4<u32>, 2>,
  lo: array<vec4<i32>, 2>,
  step: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

// True when every step is 1 (pad): skips two integer divisions per axis, which SwiftShader feels.
override UNIT_STEP: bool = false;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  var rest = i;
  var src = 0u;
  var src_stride = 1u;
  var inside = true;
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let d = u32(k);
    let c = take_coord(&rest, d);
    let rel = i32(c) - p.lo[d / 4u][d % 4u];
    var q = u32(max(rel, 0));
    if (!UNIT_STEP) {
      let step = p.step[d / 4u][d % 4u];
      inside = inside && q % step == 0u;
      q = q / step;
    }
    let x_extent = p.x_shape[d / 4u][d % 4u];
    inside = inside && rel >= 0 && q < x_extent;
    src += q * src_stride;
    src_stride *= x_extent;
  }
  if (inside) {
    out[i] = x[src];
  } else {
    out[i] = p.fill;
  }
}
