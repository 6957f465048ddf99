// Watches training for the first NaN or Inf without reading the GPU every step.
// Each launch scans one tensor; if it holds a non-finite value and nothing was recorded yet, it
// records (step + 1, the tensor's watch index) in `flag`. Launches run in order, so the record names
// the first tensor, in watch order, of the first step that went bad. The host reads `flag` only when
// it prints progress, yet reports the exact step.
// Bindings: @0 uniform Params, @1 x (read, f32 as raw bits), @2 flag (2 atomic u32).
// Each invocation checks a strided run of elements; a value is non-finite when its exponent bits are
// all ones (tested on the bits, since compilers may fold `x != x`).
// Includes: grid (the launch's size, for the strided walk).

#include "grid"

struct Params {
  n: u32,
  step_plus_one: u32,
  watch_index: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> flag: array<atomic<u32>, 2>;

const EXPONENT_MASK: u32 = 0x7f800000u;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let stride = grid.groups.x * WG;
  var bad = false;
  for (var i = grid.id.x; i < p.n; i += stride) {
    bad = bad || (x[i] & EXPONENT_MASK) == EXPONENT_MASK;
  }
  if (!bad) { return; }
  // The weak exchange may fail spuriously: retry until it succeeds or another record is already there.
  loop {
    let attempt = atomicCompareExchangeWeak(&flag[0], 0u, p.step_plus_one);
    if (attempt.exchanged) {
      atomicStore(&flag[1], p.watch_index);
      break;
    }
    if (attempt.old_value != 0u) { break; }
  }
}
