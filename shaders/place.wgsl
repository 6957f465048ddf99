// Writes a whole tensor into a block of a larger one: the kernel behind concat and stack, one
// dispatch per input. Both tensors are viewed as rows, a row being everything from the joining axis
// on: x is [rows, x_row] and out is [rows, out_row], and x's rows land at column `offset`:
//   out[r * out_row + offset + c] = x[r * x_row + c]
// Consecutive invocations read and write consecutive addresses within a row.
// Bindings: @0 uniform Params, @1 x (read), @2 out (written only inside the block). Raw 32-bit
// words, so f32, i32 and u32 share one pipeline. One invocation per x element (2-D grid for large n).
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  n: u32,
  x_row: u32,
  out_row: u32,
  offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  let r = i / p.x_row;
  out[r * p.out_row + p.offset + (i - r * p.x_row)] = x[i];
}
