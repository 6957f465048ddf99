// The output of the direct convolutions' register block (conv2d, conv2d_transpose): one invocation
// accumulates OC_BLOCK (1, 2, 4 or 8) output channels of one group for 4 output columns, one vec4
// per channel (its lanes are the 4 columns), and hands them over here as one Channels value to be
// written. The kernels accumulate in eight plain vec4 variables, which the hot loop keeps in
// registers (SwiftShader spills indexed private arrays to memory); the struct only carries the
// finished values to the stores. The `if (OC_BLOCK > k)` tests fold away at compile time.
// Needs from the includer: `const OC_BLOCK: u32` and store(n, group, oc, oh, ow0, values), which
// writes output channel oc (counted inside the group) at the block's 4 columns.

struct Channels {
  c0: vec4<f32>,
  c1: vec4<f32>,
  c2: vec4<f32>,
  c3: vec4<f32>,
  c4: vec4<f32>,
  c5: vec4<f32>,
  c6: vec4<f32>,
  c7: vec4<f32>,
}

/** Writes the block's channels, oc0 to oc0 + OC_BLOCK - 1 (store skips those past the group's last). */
fn store_channels(n: u32, group: u32, oc0: u32, oh: u32, ow0: u32, acc: Channels) {
  store(n, group, oc0, oh, ow0, acc.c0);
  if (OC_BLOCK > 1u) { store(n, group, oc0 + 1u, oh, ow0, acc.c1); }
  if (OC_BLOCK > 2u) {
    store(n, group, oc0 + 2u, oh, ow0, acc.c2);
    store(n, group, oc0 + 3u, oh, ow0, acc.c3);
  }
  if (OC_BLOCK > 4u) {
    store(n, group, oc0 + 4u, oh, ow0, acc.c4);
    store(n, group, oc0 + 5u, oh, ow0, acc.c5);
    store(n, group, oc0 + 6u, oh, ow0, acc.c6);
    store(n, group, oc0 + 7u, oh, ow0, acc.c7);
  }
}
