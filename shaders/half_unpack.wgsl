// Widens packed half-precision values to f32: word i of x holds two IEEE halves, element 2i in its
// low 16 bits and 2i + 1 in its high ones (the little-endian order of a Uint16Array seen as u32s).
//   out[2i] = low half of x[i], out[2i + 1] = high half of x[i]
// Bindings: @0 uniform Params, @1 x (u32 words), @2 out (f32, twice as many). One invocation per word.
// Includes: grid (the folded 1-D launch).
//
// unpack2x16float is core WGSL, so this needs no shader-f16 feature: any adapter stores weights as
// halves this way (half the memory) and computes in f32. Halves widen exactly, NaN and infinities included.

#include "grid"

struct Params {
  words: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<vec2<f32>>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.words) { return; }
  out[i] = unpack2x16float(x[i]);
}
