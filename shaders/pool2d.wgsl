// 2-D max and average pooling over NCHW planes, forward and backward, with stride and padding.
// Window (oh, ow) covers input rows oh * stride_h - pad_h + [0, kernel_h) and the same for columns;
// only taps inside the input count (max pooling pads with -inf, average pooling with zeros).
// Every tensor is seen as `planes` = N * C independent planes.
// Bindings: @0 uniform Params, @1 src (read), @2 dst (write), and for max pooling @3 keys (read):
//   max_pool:           dst[o] = src at the position of the maximum of `keys` in window o.
//                       With src = keys = x this is max pooling; with src = g (shaped like x) it
//                       gathers g at each window's argmax, which is the adjoint of max_pool_backward.
//   max_pool_backward:  dst[i] = sum of src[o] over the windows o whose `keys` maximum is at i
//                       (src = dy [planes, OH, OW], dst = dx [planes, H, W]).
//   avg_pool:           dst[o] = mean of src over window o.
//   avg_pool_backward:  dst[i] = sum over the windows o containing i of src[o] / divisor(o).
// The maximum of a window is its first in row-major order (a NaN wins over numbers, as in
// PyTorch); backward recomputes it from `keys` instead of storing indices, so nothing but the input
// has to live until backward. Forward kernels run one invocation per output; backward kernels one
// per input element, summing over the windows that contain it: no atomics, a fixed order,
// deterministic results.
// Includes: grid (the folded 1-D launch).

#include "grid"

struct Params {
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
  kernel_h: u32,
  kernel_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_h: u32,
  pad_w: u32,
  count_include_pad: u32,
  invocations: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> keys: array<f32>;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// [begin, end) of the input rows (columns) that window row oh (column ow) covers, clipped to the input.
fn window_rows(oh: u32) -> vec2<i32> {
  let start = i32(oh * p.stride_h) - i32(p.pad_h);
  return vec2<i32>(max(start, 0), min(start + i32(p.kernel_h), i32(p.in_h)));
}
fn window_cols(ow: u32) -> vec2<i32> {
  let start = i32(ow * p.stride_w) - i32(p.pad_w);
  return vec2<i32>(max(start, 0), min(start + i32(p.kernel_w), i32(p.in_w)));
}

// Position ih * in_w + iw (inside its plane) of the first maximum of `keys` in window (oh, ow).
fn window_argmax(plane: u32, oh: u32, ow: u32) -> u32 {
  let rows = window_rows(oh);
  let cols = window_cols(ow);
  var best_bits = 0xff800000u;
  var best = bitcast<f32>(best_bits);
  var best_at = u32(rows.x) * p.in_w + u32(cols.x);
  for (var ih = rows.x; ih < rows.y; ih++) {
    for (var iw = cols.x; iw < cols.y; iw++) {
      let at = u32(ih) * p.in_w + u32(iw);
      let v = keys[plane + at];
      if (v > best || is_nan(v)) {
        best = v;
        best_at = at;
      }
    }
  }
  return best_at;
}

// Average pooling divides by the whole window (padding included) or by its taps inside the input.
fn window_divisor(oh: u32, ow: u32) -> f32 {
  if (p.count_include_pad != 0u) { return f32(p.kernel_h * p.kernel_w); }
  let rows = window_rows(oh);
  let cols = window_cols(ow);
  return f32((rows.y - rows.x) * (cols.y - cols.x));
}

// [begin, end) of the windows along one axis whose taps include input index i.
fn covering_windows(i: u32, pad: u32, kernel: u32, stride: u32, out_size: u32) -> vec2<u32> {
  let before = i32(i + pad) - i32(kernel);
  let begin = select(0u, u32(before) / stride + 1u, before >= 0);
  let end = min(out_size, (i + pad) / stride + 1u);
  return vec2<u32>(begin, end);
}

@compute @workgroup_size(WG)
fn max_pool(grid: Grid) {
  let o = flat_index(grid);
  if (o >= p.invocations) { return; }
  let ow = o % p.out_w;
  let oh = (o / p.out_w) % p.out_h;
  let plane = o / (p.out_w * p.out_h) * p.in_h * p.in_w;
  dst[o] = src[plane + window_argmax(plane, oh, ow)];
}

@compute @workgroup_size(WG)
fn max_pool_backward(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.invocations) { return; }
  let iw = i % p.in_w;
  let ih = (i / p.in_w) % p.in_h;
  let plane_index = i / (p.in_w * p.in_h);
  let plane = plane_index * p.in_h * p.in_w;
  let out_plane = plane_index * p.out_h * p.out_w;
  let here = ih * p.in_w + iw;
  let oh_range = covering_windows(ih, p.pad_h, p.kernel_h, p.stride_h, p.out_h);
  let ow_range = covering_windows(iw, p.pad_w, p.kernel_w, p.stride_w, p.out_w);
  var total = 0.0;
  for (var oh = oh_range.x; oh < oh_range.y; oh++) {
    for (var ow = ow_range.x; ow < ow_range.y; ow++) {
      if (window_argmax(plane, oh, ow) == here) { total += src[out_plane + oh * p.out_w + ow]; }
    }
  }
  dst[i] = total;
}

@compute @workgroup_size(WG)
fn avg_pool(grid: Grid) {
  let o = flat_index(grid);
  if (o >= p.invocations) { return; }
  let ow = o % p.out_w;
  let oh = (o / p.out_w) % p.out_h;
  let plane = o / (p.out_w * p.out_h) * p.in_h * p.in_w;
  let rows = window_rows(oh);
  let cols = window_cols(ow);
  var total = 0.0;
  for (var ih = rows.x; ih < rows.y; ih++) {
    let row = plane + u32(ih) * p.in_w;
    for (var iw = cols.x; iw < cols.y; iw++) {
      total += src[row + u32(iw)];
    }
  }
  dst[o] = total / window_divisor(oh, ow);
}

@compute @workgroup_size(WG)
fn avg_pool_backward(grid: Grid) {
  let i = flat_index(grid);
  if (i >= p.invocations) { return; }
  let iw = i % p.in_w;
  let ih = (i / p.in_w) % p.in_h;
  let out_plane = i / (p.in_w * p.in_h) * p.out_h * p.out_w;
  let oh_range = covering_windows(ih, p.pad_h, p.kernel_h, p.stride_h, p.out_h);
  let ow_range = covering_windows(iw, p.pad_w, p.kernel_w, p.stride_w, p.out_w);
  var total = 0.0;
  for (var oh = oh_range.x; oh < oh_range.y; oh++) {
    for (var ow = ow_range.x; ow < ow_range.y; ow++) {
      total += src[out_plane + oh * p.out_w + ow] / window_divisor(oh, ow);
    }
  }
  dst[i] = total;
}
