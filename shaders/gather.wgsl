// Reads along one axis at given indices: the forward kernel of gather (torch.gather) and indexSelect.
//   out[c] = x[c with c[axis] replaced by index[c . index_strides]]
// for the coordinates c of each output element. gather: the index has the output's shape (contiguous
// strides). indexSelect: the index is 1-D, read with stride 1 along `axis` and 0 on the other axes.
// The GPU cannot throw: an index outside [0, axis_size) is reported to the runtime's check flag
// (site `site`, the index as the value; see include/check_flag.wgsl), so the next read throws, and
// clamped into the axis, so nothing is ever read out of bounds (the host rejects axis_size = 0).
// Bindings: @0 uniform Params, @1 x (raw 32-bit words: f32, i32 and u32 share one pipeline),
// @2 index (i32), @3 out, @4 check_flag. One invocation per output element (2-D grid for large n);
// rank <= 8.
// Includes: grid (the folded 1-D launch), coords (an output index's coordinates) and
// check_flag (reports and clamps an index out of range).

#include "grid"
#include "coords"

struct Params {
  n: u32,
  rank: u32,
  axis: u32,
  axis_size: u32,
  site: u32,
  shape: array<vec4<u32>, 2>,
  x_strides: array<vec4<u32>, 2>,
  index_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<storage, read_write> check_flag: array<atomic<u32>, 4>;

#include "check_flag"

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  var rest = i;
  var src = 0u;
  var at = 0u;
  for (var k = i32(p.rank) - 1; k >= 0; k--) {
    let d = u32(k);
    let c = take_coord(&rest, d);
    at += c * p.index_strides[d / 4u][d % 4u];
    if (d != p.axis) { src += c * p.x_strides[d / 4u][d % 4u]; }
  }
  let j = checked_index(p.site, index[at], p.axis_size);
  out[i] = x[src + j * p.x_strides[p.axis / 4u][p.axis % 4u]];
}
