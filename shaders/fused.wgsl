// The kernel src/ops/fusion.ts generates for a fused group of elementwise ops: out[i] = the group's
// expression at element i. The host fills in the slots: {{F}}, {{U}}, {{I}}, {{B}} the f32, u32, i32
// and bool types with the group's lanes (vec4 when no input is broadcast and the size is a multiple of
// 4, else scalars); {{BINDINGS}} the inputs in0, in1, ... at @binding(1..) and out after them;
// {{BINARY_OPS}} include/binary_ops.wgsl once per operand dtype, names suffixed (op_add_f32, ...);
// {{BODY}} one `let` per op, calling the same op functions as the hand-written kernels, so fused and
// unfused results are the same bits.
// Params: n invocations; the output shape collapsed to at most 4 dimensions (the host merges the
// dimensions every input walks contiguously), each input's strides in it (0 where it is broadcast),
// and the ops' scalar arguments (x + c's c, leakyRelu's slope), one slot per op.
// Includes: grid (the folded 1-D launch), ieee (the helpers the op functions use) and unary_ops.

#include "grid"

alias F = {{F}};
alias V = F;
alias FU = {{U}};
alias FI = {{I}};
alias FB = {{B}};

struct Params {
  n: u32,
  rank: u32,
  shape: vec4<u32>,
  strides: array<vec4<u32>, 6>,
  scalars: array<vec4<f32>, 4>,
}

@group(0) @binding(0) var<uniform> p: Params;
{{BINDINGS}}

#include "ieee"
#include "unary_ops"
{{BINARY_OPS}}

/** Where input `k` holds the value of output element i: i's coordinates dotted with its strides. */
fn input_offset(i: u32, k: u32) -> u32 {
  var rest = i;
  var offset = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let extent = p.shape[u32(d)];
    offset += (rest % extent) * p.strides[k][u32(d)];
    rest = rest / extent;
  }
  return offset;
}

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
