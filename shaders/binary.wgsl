// Elementwise binary ops with NumPy broadcasting: out[i] = OP(a[ia], b[ib]).
// Bindings: @0 uniform Params, @1 a (read), @2 b (read), @3 out. One invocation per output element.
// BROADCAST = false: a, b and out have one shape, so ia = ib = i (the fast path). There the element
// types may be 4-wide vectors (vec4 loads and stores when the size is a multiple of 4).
// BROADCAST = true: an output index is split into coordinates of the output shape (rank <= 8) and
// each input's offset is the dot product with its strides, where a broadcast dimension has stride 0.
// The host first merges adjacent dimensions that every operand walks contiguously, so a bias add
// over [rows, features] stays rank 2 whatever the batch shape.
// Template: {{T}} the input element type (f32, i32, u32 or their vec4), {{OUT}} the output type
// (comparisons give f32 masks), {{F}} the float type with the same number of lanes (for pow), {{U}},
// {{I}} and {{B}} the u32, i32 and bool types with that many lanes (include/ieee.wgsl's bit tests),
// {{FLOAT}} whether T is a float type.
// NaN follows PyTorch, explicitly (see include/ieee.wgsl for why): maximum and minimum return NaN
// when either side is NaN, comparisons are false with NaN (ne true), pow follows C's pow.
// Integer division by zero gives all bits set (-1 for i32, 4294967295 for u32, as CUDA's hardware
// and XLA do) instead of WGSL's x / 0 = x, which passes for a plausible value; WGSL defines
// i32's -2147483648 / -1 as the dividend, and that stays.
// Includes: grid (the folded 1-D launch), coords_rank (an output index's coordinates, for
// broadcasting; the launch sets RANK), ieee (NaN tests and pow with PyTorch's special values) and binary_ops (the op
// functions, shared with the fused kernels of src/ops/fusion.ts).

#include "grid"
#include "coords_rank"

struct Params {
  n: u32,
  shape: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<{{OUT}}>;

alias T = {{T}};
alias F = {{F}};
alias FU = {{U}};
alias FI = {{I}};
alias FB = {{B}};
const IS_FLOAT: bool = {{FLOAT}};

#include "ieee"

override BROADCAST: bool = false;
// With BROADCAST, how many consecutive outputs along the last dimension one invocation computes: the
// coordinate arithmetic (a division per dimension) is then paid once per ROW_LANES outputs.
override ROW_LANES: u32 = 1;

#include "binary_ops"

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  if (!BROADCAST) {
    out[i] = {{OP}}(a[i], b[i]);
    return;
  }
  // Coordinates of this invocation's first output, and each input's offset there.
  let first = i * ROW_LANES;
  let c = coords_of(first);
  let ia = offset_of(c, p.a_strides[0], p.a_strides[1]);
  let ib = offset_of(c, p.b_strides[0], p.b_strides[1]);
  // The next outputs lie along the last dimension (its extent is a multiple of ROW_LANES).
  let last = RANK - 1u;
  let step_a = p.a_strides[last / 4u][last % 4u];
  let step_b = p.b_strides[last / 4u][last % 4u];
  for (var j = 0u; j < ROW_LANES; j++) {
    out[first + j] = {{OP}}(a[ia + j * step_a], b[ib + j * step_b]);
  }
}
