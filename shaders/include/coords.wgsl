// Coordinates of an output element, for the kernels that address tensors through shapes and strides
// (copy, gather, scatter, pad, where, binary). A shape or stride list of up to 8 dimensions travels
// in the uniform Params as array<vec4<u32>, 2> (a uniform array's elements are 16 bytes apart):
// dimension d is lane d % 4 of entry d / 4. A flat output index is taken apart into its coordinates
// in p.shape from the last dimension, the fastest, to the first, and each operand's offset adds
// coordinate times stride:
//   var rest = i;
//   for (var k = i32(p.rank) - 1; k >= 0; k--) {
//     let d = u32(k);
//     let c = take_coord(&rest, d);
//     src += c * p.strides[d / 4u][d % 4u];
//   }
// Needs `rank: u32` and `shape: array<vec4<u32>, 2>` (the shape walked) in the includer's Params.
// For the kernels that need per-dimension logic (gather, scatter, pad). Those that only add up
// coordinate times stride (copy, where, binary, the fused kernels) use include/coords_rank.wgsl: a loop
// over p.rank that picks lanes at run time, as here, compiles to memory traffic on the software
// adapter and runs several times slower than steps written out per dimension.

/** Coordinate d of the index that `rest` holds (the dimensions after d already taken off), taken off it. */
fn take_coord(rest: ptr<function, u32>, d: u32) -> u32 {
  let extent = p.shape[d / 4u][d % 4u];
  let c = *rest % extent;
  *rest = *rest / extent;
  return c;
}
