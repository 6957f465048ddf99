// A tensor of p.n f32 elements viewed as vec4s (the optimizer updates and gradient clipping), so that
// one invocation handles four elements with one load and one store. The last vec4 may run past the
// tensor's end into its buffer's padding (pooled buffers are multiples of 16 bytes): the kernels read
// those lanes but leave them as they were, or count them as 0. Needs `n: u32` in the includer's Params.

/** How many vec4s cover the tensor's n elements. */
fn vec4_count() -> u32 {
  return (p.n + 3u) / 4u;
}

/** True for the lanes of vec4 i that lie past the tensor's last element. */
fn past_end(i: u32) -> vec4<bool> {
  return vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u) >= vec4<u32>(p.n);
}
