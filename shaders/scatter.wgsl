// Scatter-add along one axis, the backward of gather. out has x's shape and src has the index's:
//   out[d] = sum of src[s] over the positions s that share d's coordinates off the axis and whose
//            (clamped) index equals d[axis]
// i.e. the transpose of gather. WGSL has no float atomics, and atomics would make the order of the
// additions (so the rounding) change from run to run; instead each output element walks the `count`
// positions along the axis that could hit it (count = index.shape[axis]) and adds its own terms in
// increasing order, so results are bit-identical run to run. Cost: count index reads per output
// element, O(x.size * index.shape[axis]): small for the usual gathers along an axis of size 1 (one
// class per row) or a few (top-k). Output elements outside the index's shape get 0.
// Indices are clamped into [0, shape[axis]) exactly as gather.wgsl reads them, and an index outside
// it is reported to the runtime's check flag (site `site`; see include/check_flag.wgsl).
// Bindings: @0 uniform Params, @1 src (f32), @2 index (i32), @3 out (f32), @4 check_flag. One
// invocation per output element (2-D grid for large n); rank <= 8.
// Includes: grid (the folded 1-D launch), coords (an output index's coordinates) and
// check_flag (reports and clamps an index out of range, as gather does).

#include "grid"
#include "coords"

struct Params {
  n: u32,
  rank: u32,
  axis: u32,
  count: u32,
  site: u32,
  shape: array<vec4<u32>, 2>,
  src_shape: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> check_flag: array<atomic<u32>, 4>;

#include "check_flag"

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  var rest = i;
  var base = 0u;
  var stride = 1u;
  var axis_stride = 0u;
  var target_row = 0u;
  var inside = true;
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let d = u32(k);
    let c = take_coord(&rest, d);
    let src_extent = p.src_shape[d / 4u][d % 4u];
    if (d == p.axis) {
      target_row = c;
      axis_stride = stride;
    } else {
      inside = inside && c < src_extent;
      base += c * stride;
    }
    stride *= src_extent;
  }
  var sum = 0.0;
  if (inside) {
    let axis_size = p.shape[p.axis / 4u][p.axis % 4u];
    for (var l = 0u; l < p.count; l++) {
      let at = base + l * axis_stride;
      if (checked_index(p.site, index[at], axis_size) == target_row) { sum += src[at]; }
    }
  }
  out[i] = sum;
}
