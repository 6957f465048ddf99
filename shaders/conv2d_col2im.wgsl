// col2im for the matmul path of 2-D transposed convolution (groups = 1). The matmul gives every input
// pixel's contribution to each (output channel, tap): cols[(o * kH + kh) * kW + kw, n, iy * W + ix]
// = sum over c of w[c, o, kh, kw] x[n, c, iy, ix]. The output gathers them (no atomics):
//   out[n, o, y, z] = bias[o] + sum over (kh, kw) with y + pad_h - kh * dilation_h = iy * stride_h
//                     and z + pad_w - kw * dilation_w = ix * stride_w inside the input of
//                     cols[(o * kH + kh) * kW + kw, n, iy * W + ix]
// Bindings: @0 uniform Params, @1 cols [O * kH * kW, N, H * W] (read), @2 bias [O] (read; any buffer
// when has_bias = 0), @3 out [N, O, OH, OW]. One invocation per output value, 2-D grid when large.
// Includes: grid (the folded 1-D launch) and conv_window (the window fields of Params).

#include "grid"

struct Params {
  out_channels: u32,
#include "conv_window"
  total: u32,
  has_bias: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> cols: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.total) { return; }
  let z = i % p.out_w;
  let y = (i / p.out_w) % p.out_h;
  let o = (i / (p.out_w * p.out_h)) % p.out_channels;
  let n = i / (p.out_w * p.out_h * p.out_channels);
  let pixels = p.in_h * p.in_w;
  let batch = p.total / (p.out_w * p.out_h * p.out_channels);
  var s = select(0.0, bias[o], p.has_bias != 0u);
  for (var kh = 0u; kh < p.kernel_h; kh++) {
    let ty = i32(y + p.pad_h) - i32(kh * p.dilation_h);
    if (ty < 0 || u32(ty) % p.stride_h != 0u) { continue; }
    let iy = u32(ty) / p.stride_h;
    if (iy >= p.in_h) { continue; }
    for (var kw = 0u; kw < p.kernel_w; kw++) {
      let tz = i32(z + p.pad_w) - i32(kw * p.dilation_w);
      if (tz < 0 || u32(tz) % p.stride_w != 0u) { continue; }
      let ix = u32(tz) / p.stride_w;
      if (ix >= p.in_w) { continue; }
      let row = (o * p.kernel_h + kh) * p.kernel_w + kw;
      s += cols[(row * batch + n) * pixels + iy * p.in_w + ix];
    }
  }
  out[i] = s;
}
