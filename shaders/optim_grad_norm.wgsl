// Per-tensor partial norms of a gradient, the first pass of clipGradNorm. A gradient of n4 vec4s
// gets `partials` invocations; invocation c folds vec4s c, c + partials, c + 2 partials, ... (so
// neighbouring invocations read neighbouring vec4s at every iteration) into one value, written to
// out[first_partial + c]. Every gradient of a clipping call writes its own slice of one buffer; a
// sum (or max) reduction over that buffer then gives the global statistic, on the GPU.
// Entry points: `sum_squares` (for the 2-norm) and `max_abs` (for the infinity norm).
// Bindings: @0 uniform Params, @1 grad (read, viewed as vec4s), @2 out (f32, written).
// Lanes past the tensor's end count as 0. One invocation per partial.
// Includes: grid (the folded 1-D launch), vec4_view (the vec4 count and the lanes past the end).

#include "grid"
#include "vec4_view"

struct Params {
  n: u32,
  partials: u32,
  first_partial: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// The lanes of vec4 i, with those past the tensor's last element set to 0.
fn lanes(i: u32) -> vec4<f32> {
  return select(grad[i], vec4<f32>(0.0), past_end(i));
}

@compute @workgroup_size(WG)
fn sum_squares(grid: Grid) {
  let c = flat_index(grid);
  if (c >= p.partials) { return; }
  let vec4s = vec4_count();
  var acc = vec4<f32>(0.0);
  for (var i = c; i < vec4s; i += p.partials) {
    let g = lanes(i);
    acc += g * g;
  }
  out[p.first_partial + c] = (acc.x + acc.y) + (acc.z + acc.w);
}

@compute @workgroup_size(WG)
fn max_abs(grid: Grid) {
  let c = flat_index(grid);
  if (c >= p.partials) { return; }
  let vec4s = vec4_count();
  var acc = vec4<f32>(0.0);
  for (var i = c; i < vec4s; i += p.partials) {
    acc = max(acc, abs(lanes(i)));
  }
  out[p.first_partial + c] = max(max(acc.x, acc.y), max(acc.z, acc.w));
}
