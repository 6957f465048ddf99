// Coordinates of an output element for kernels that only add up coordinate times stride (copy,
// where, binary, the fused kernels): the launch sets the override RANK to its rank, and coords_of's
// steps are written out one per dimension, reading fixed lanes, which the compiler keeps in registers
// (include/coords.wgsl's loop over p.rank, picking lanes at run time, runs several times slower on the
// software adapter). Shapes and strides travel as in include/coords.wgsl: array<vec4<u32>, 2> in the
// Params, dimension d in lane d % 4 of entry d / 4.
// Needs `shape: array<vec4<u32>, 2>` (the shape walked) in the includer's Params.

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
