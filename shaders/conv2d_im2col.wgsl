// im2col for the matmul path of 2-D convolution (groups = 1): unfolds every receptive field of x
// into a row, so that a convolution becomes one batched matmul with the weight [O, C * kH * kW]:
//   cols[n, oh * OW + ow, (c * kH + kh) * kW + kw]
//       = x[n, c, oh * stride_h - pad_h + kh * dilation_h, ow * stride_w - pad_w + kw * dilation_w]
// with taps outside the input (the padding) read as 0.
// Bindings: @0 uniform Params, @1 x [N, C, H, W] (read), @2 cols [N, OH * OW, C * kH * kW].
// One invocation per 4 adjacent entries of a row of cols (fewer at the end of a row whose length is
// not a multiple of 4), on a 2-D grid for large outputs. Memory-bound; its cost is small beside the
// matmul it feeds.
// Includes: grid (the folded 1-D launch) and conv_window (the window fields of Params).

#include "grid"

struct Params {
  channels: u32,
#include "conv_window"
  row_len: u32,
  total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;

// x at (n, c) for output pixel (oh, ow) and tap (kh, kw), or 0 in the padding.
fn tap(n: u32, k: u32, oh: u32, ow: u32) -> f32 {
  let taps = p.kernel_h * p.kernel_w;
  let c = k / taps;
  let t = k % taps;
  let kh = t / p.kernel_w;
  let kw = t % p.kernel_w;
  let y = i32(oh * p.stride_h + kh * p.dilation_h) - i32(p.pad_h);
  let xc = i32(ow * p.stride_w + kw * p.dilation_w) - i32(p.pad_w);
  if (y < 0 || y >= i32(p.in_h) || xc < 0 || xc >= i32(p.in_w)) { return 0.0; }
  return x[((n * p.channels + c) * p.in_h + u32(y)) * p.in_w + u32(xc)];
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.total) { return; }
  let quads = (p.row_len + 3u) / 4u;
  let k = (i % quads) * 4u;
  let row = i / quads;
  let pixels = p.out_h * p.out_w;
  let n = row / pixels;
  let pixel = row % pixels;
  let oh = pixel / p.out_w;
  let ow = pixel % p.out_w;
  let base = row * p.row_len + k;
  let count = min(4u, p.row_len - k);
  for (var j = 0u; j < count; j++) {
    cols[base + j] = tap(n, k + j, oh, ow);
  }
}
