// The kernel src/ops/fusion.ts generates for a fused group of elementwise ops: out[i] = the group's
// expression at element i. The host fills in the slots: {{F}}, {{U}}, {{I}}, {{B}} the f32, u32, i32
// and bool types with the group's lanes (vec4 when no input is broadcast and the size is a multiple of
// 4, else scalars); {{BINDINGS}} the inputs in0, in1, ... at @binding(1..) and out after them;
// {{BINARY_OPS}} include/binary_ops.wgsl once per operand dtype, names suffixed (op_add_f32, ...);
// {{BODY}} one `let` per op, calling the same op functions as the hand-written kernels, so fused and
// unfused results are the same bits.
// Params: n invocations; the output shape collapsed to at most 4 dimensions (the host merges the
// dimensions every input walks contiguously; the launch sets RANK), each input's strides in it (0
// where it is broadcast), and the ops' scalar arguments (x + c's c, leakyRelu's slope), one slot per op.
// A body that reads a broadcast input starts with `let c = coords_of(i);` and reads input k at
// offset_of(c, p.strides[k], ZERO).
// Includes: grid (the folded 1-D launch); the host fills {{COORDS}} with include/coords_rank.wgsl (an
// output index's coordinates) and {{OP_LIBRARY}} with include/ieee.wgsl (the helpers the op functions
// use) and include/unary_ops.wgsl: their text is exported once, for these kernels and for the matmul
// epilogues src/ops/fusion.ts also makes from it.

#include "grid"
{{COORDS}}

alias F = {{F}};
alias V = F;
alias FU = {{U}};
alias FI = {{I}};
alias FB = {{B}};

struct Params {
  n: u32,
  shape: array<vec4<u32>, 2>,
  strides: array<vec4<u32>, 6>,
  scalars: array<vec4<f32>, 4>,
}

@group(0) @binding(0) var<uniform> p: Params;
{{BINDINGS}}

{{OP_LIBRARY}}
{{BINARY_OPS}}

/** The strides of dimensions 4 to 7, which a fused kernel's inputs never have. */
const ZERO = vec4<u32>(0u);

/** The scalar argument of op slot k. */
fn scalar(k: u32) -> f32 {
  return p.scalars[k / 4u][k % 4u];
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
{{BODY}}
}
