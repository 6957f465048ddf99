// Checks of values that the host cannot see without a sync: a failure is reported to the runtime's
// check flag (include/check_flag.wgsl) and thrown by the next read of any tensor, so methods that
// return tensors without reading the GPU (HMM predict / predictProba, greedy sampling) still reject
// bad input. Each entry point reports one value with its site:
//   symbol_range  i32 values [n]: a value below 0 (site) or at or above `limit` (site2): HMM symbols
//                 outside the alphabet.
//   logit_rows    f32 rows [n, width]: the row number of a row holding NaN or +Infinity (site), or of
//                 a row that is all -Infinity (site2): logits with nothing to pick.
// Bindings: @0 uniform Params, @1 values (raw 32-bit words), @2 check_flag. symbol_range runs one
// invocation per value, logit_rows one per row (2-D grid for large n).
// Includes: grid (the folded 1-D launch) and check_flag (reports what fails).

#include "grid"

struct Params {
  n: u32,
  site: u32,
  site2: u32,
  width: u32,
  limit: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> values: array<u32>;
@group(0) @binding(2) var<storage, read_write> check_flag: array<atomic<u32>, 4>;

#include "check_flag"

const EXPONENT_MASK: u32 = 0x7f800000u;
const NEG_INFINITY_BITS: u32 = 0xff800000u;

@compute @workgroup_size(WG)
fn symbol_range(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.n) { return; }
  let v = bitcast<i32>(values[i]);
  if (v < 0) { report_check(p.site, v); }
  if (v >= i32(p.limit)) { report_check(p.site2, v); }
}

// NaN and infinities are tested on the bits: compilers may assume floats are finite.
@compute @workgroup_size(WG)
fn logit_rows(grid: Grid) {
  let row = flat_index(grid);
  if (row >= p.n) { return; }
  var all_negative_infinity = true;
  for (var i = row * p.width; i < (row + 1u) * p.width; i++) {
    let bits = values[i];
    if (bits == NEG_INFINITY_BITS) { continue; }
    all_negative_infinity = false;
    if ((bits & EXPONENT_MASK) == EXPONENT_MASK) {
      report_check(p.site, i32(row));
      return;
    }
  }
  if (all_negative_infinity) { report_check(p.site2, i32(row)); }
}
