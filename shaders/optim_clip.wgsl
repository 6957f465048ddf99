// The second pass of clipGradNorm: scales a gradient in place by min(1, max_norm / (norm + 1e-6)),
// PyTorch's clip coefficient, with the total norm read from a GPU buffer, so clipping never waits
// for the GPU; below the threshold (coefficient 1) nothing is read or written.
// Bindings: @0 uniform Params, @1 grad (read-write, viewed as vec4s), @2 total_norm (one f32).
// One invocation per vec4; lanes past the tensor's end keep their values.
// Includes: grid (the folded 1-D launch), vec4_view (the vec4 count and the lanes past the end).

#include "grid"
#include "vec4_view"

struct Params {
  n: u32,
  max_norm: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> total_norm: array<f32>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= vec4_count()) { return; }
  let coefficient = min(1.0, p.max_norm / (total_norm[0] + 1e-6));
  // Below the threshold the gradient stays as it is: skip the read and the write.
  if (coefficient == 1.0) { return; }
  let g = grad[i];
  grad[i] = select(g * coefficient, g, past_end(i));
}
