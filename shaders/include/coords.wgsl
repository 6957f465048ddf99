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
// Kernels that only add up coordinate times stride (copy, where, binary) call coords_of instead, with
// the launch's rank as the override RANK: its steps are written out one per dimension and read fixed
// lanes, which the compiler keeps in registers. A loop over p.rank that picks lanes at run time, as
// above, compiles to memory traffic on the software adapter and runs several times slower; the
// kernels that need per-dimension logic (gather, scatter, pad) keep it.

/** Coordinate d of the index that `rest` holds (the dimensions after d already taken off), taken off it. */
fn take_coord(rest: ptr<function, u32>, d: u32) -> u32 {
  let extent = p.shape[d / 4u][d % 4u];
  let c = *rest % extent;
  *rest = *rest / extent;
  return c;
}

// The launch's rank (1 to 8), for coords_of.
override RANK: u32 = 8u;

/** Coordinates of an output element: dimension d in lane d of lo (d < 4) or lane d - 4 of hi; 0 past RANK. */
struct Coords {
  lo: vec4<u32>,
  hi: vec4<u32>,
}

/** The coordinates of output index i in p.shape. */
fn coords_of(i: u32) -> Coords {
  var lo = vec4<u32>(0u);
  var hi = vec4<u32>(0u);
  var rest = i;
  // From the last dimension, the fastest, down to dimension 1; dimension 0 takes what is left.
  if (RANK > 7u) { hi.w = rest % p.shape[1].w; rest /= p.shape[1].w; }
  if (RANK > 6u) { hi.z = rest % p.shape[1].z; rest /= p.shape[1].z; }
  if (RANK > 5u) { hi.y = rest % p.shape[1].y; rest /= p.shape[1].y; }
  if (RANK > 4u) { hi.x = rest % p.shape[1].x; rest /= p.shape[1].x; }
  if (RANK > 3u) { lo.w = rest % p.shape[0].w; rest /= p.shape[0].w; }
  if (RANK > 2u) { lo.z = rest % p.shape[0].z; rest /= p.shape[0].z; }
  if (RANK > 1u) { lo.y = rest % p.shape[0].y; rest /= p.shape[0].y; }
  lo.x = rest;
  return Coords(lo, hi);
}

/**
 * Where coordinates `c` lie in an operand whose strides are `strides` (an array<vec4<u32>, 2> of the
 * Params, passed as its two entries: a uniform array passed whole is copied per call, and that copy
 * measured as slow as the loop above).
 */
fn offset_of(c: Coords, strides_lo: vec4<u32>, strides_hi: vec4<u32>) -> u32 {
  return dot(c.lo, strides_lo) + dot(c.hi, strides_hi);
}
