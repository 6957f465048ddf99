// im2col for the matmul path of 2-D convolution (groups = 1): unfolds every receptive field of x
// into a row, so that a convolution becomes one batched matmul with the weight [O, C * kH * kW]:
//   cols[n, oh * OW + ow, (c * kH + kh) * kW + kw]
//       = x[n, c, oh * stride_h - pad_h + kh * dilation_h, ow * stride_w - pad_w + kw * dilation_w]
// with taps outside the input (the padding) read as 0.
// Bindings: @0 uniform Params, @1 x [N, C, H, W] (read), @2 cols [N, OH * OW, C * kH * kW].
// One invocation per RUN adjacent entries of a row of cols (fewer at the end of a row whose length is
// not a multiple of RUN), on a 2-D grid for large outputs. Memory-bound; its cost is small beside the
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

// Entries of a row of cols each invocation writes: the index arithmetic (divisions, slow on a software
// adapter) is done once per run and then stepped, so longer runs cost less per entry.
const RUN = 8u;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.total) { return; }
  let runs = (p.row_len + RUN - 1u) / RUN;
  let k = (i % runs) * RUN;
  let row = i / runs;
  let pixels = p.out_h * p.out_w;
  let n = row / pixels;
  let pixel = row % pixels;
  let top = i32((pixel / p.out_w) * p.stride_h) - i32(p.pad_h);
  let left = i32((pixel % p.out_w) * p.stride_w) - i32(p.pad_w);
  // The first entry's tap (c, kh, kw); the loop steps kw, then kh, then c.
  let taps = p.kernel_h * p.kernel_w;
  var c = k / taps;
  var kh = (k % taps) / p.kernel_w;
  var kw = k % p.kernel_w;
  let base = row * p.row_len + k;
  let count = min(RUN, p.row_len - k);
  for (var j = 0u; j < count; j++) {
    let y = top + i32(kh * p.dilation_h);
    let xc = left + i32(kw * p.dilation_w);
    var value = 0.0;
    if (y >= 0 && y < i32(p.in_h) && xc >= 0 && xc < i32(p.in_w)) {
      value = x[((n * p.channels + c) * p.in_h + u32(y)) * p.in_w + u32(xc)];
    }
    cols[base + j] = value;
    kw++;
    if (kw == p.kernel_w) {
      kw = 0u;
      kh++;
      if (kh == p.kernel_h) {
        kh = 0u;
        c++;
      }
    }
  }
}
