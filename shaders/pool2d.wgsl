// 2-D max and average pooling over NCHW planes, forward and backward, with stride, padding, dilation
// (max pooling only; average pooling runs with dilation 1) and PyTorch's ceil mode.
// Window (oh, ow) has kernel_h x kernel_w taps at input rows oh * stride_h - pad_h + k * dilation_h,
// k in [0, kernel_h), and the same for columns; only taps inside the input count (max pooling pads
// with -inf, average pooling with zeros). In ceil mode the last window may reach past the right
// padding; average pooling's count_include_pad divisor then counts the window up to the padding's
// end only, as PyTorch's. The host rejects windows with no tap inside the input.
// Every tensor is seen as `planes` = N * C independent planes.
// Bindings: @0 uniform Params, @1 src (read), @2 dst (write), for max pooling @3 keys (read), and
// for max_pool_with_indices @4 indices (write); each entry point binds only what it uses:
//   max_pool:           dst[o] = src at the position of the maximum of `keys` in window o.
//                       With src = keys = x this is max pooling; with src = g (shaped like x) it
//                       gathers g at each window's argmax, which is the adjoint of max_pool_backward.
//   max_pool_with_indices: dst[o] = the maximum of `keys` (= x) in window o, and indices[o] = its
//                       position in its plane (ih * in_w + iw, PyTorch's return_indices); no src.
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
  dilation_h: u32,
  dilation_w: u32,
  count_include_pad: u32,
  invocations: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> keys: array<f32>;
@group(0) @binding(4) var<storage, read_write> indices: array<i32>;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// The taps of one window along one axis that fall inside the input: the first one's coordinate and
// how many there are, `dilation` apart (the host guarantees at least one).
struct Taps {
  first: i32,
  count: i32,
}

fn inside_taps(o: u32, stride: u32, pad: u32, kernel: u32, dilation: u32, size: u32) -> Taps {
  let start = i32(o * stride) - i32(pad);
  let d = i32(dilation);
  let skipped = select(0, (-start + d - 1) / d, start < 0);
  let end = min(i32(kernel), (i32(size) - 1 - start) / d + 1);
  return Taps(start + skipped * d, max(end - skipped, 0));
}
fn row_taps(oh: u32) -> Taps {
  return inside_taps(oh, p.stride_h, p.pad_h, p.kernel_h, p.dilation_h, p.in_h);
}
fn col_taps(ow: u32) -> Taps {
  return inside_taps(ow, p.stride_w, p.pad_w, p.kernel_w, p.dilation_w, p.in_w);
}

// Position ih * in_w + iw (inside its plane) of the first maximum of `keys` in window (oh, ow).
fn window_argmax(plane: u32, oh: u32, ow: u32) -> u32 {
  let rows = row_taps(oh);
  let cols = col_taps(ow);
  var best_bits = 0xff800000u;
  var best = bitcast<f32>(best_bits);
  var best_at = u32(rows.first) * p.in_w + u32(cols.first);
  for (var r = 0; r < rows.count; r++) {
    let ih = rows.first + r * i32(p.dilation_h);
    for (var c = 0; c < cols.count; c++) {
      let at = u32(ih) * p.in_w + u32(cols.first + c * i32(p.dilation_w));
      let v = keys[plane + at];
      if (v > best || is_nan(v)) {
        best = v;
        best_at = at;
      }
    }
  }
  return best_at;
}

// Average pooling divides by the window up to the padding's end (padding included) or by its taps
// inside the input. Without ceil mode every window ends inside the padding, so the first is
// kernel_h * kernel_w.
fn window_divisor(oh: u32, ow: u32) -> f32 {
  let rows = row_taps(oh);
  let cols = col_taps(ow);
  if (p.count_include_pad == 0u) { return f32(rows.count * cols.count); }
  let row_start = i32(oh * p.stride_h) - i32(p.pad_h);
  let col_start = i32(ow * p.stride_w) - i32(p.pad_w);
  let height = min(row_start + i32(p.kernel_h), i32(p.in_h + p.pad_h)) - row_start;
  let width = min(col_start + i32(p.kernel_w), i32(p.in_w + p.pad_w)) - col_start;
  return f32(height * width);
}

// [begin, end) of the windows along one axis whose span (extent = dilation (kernel - 1) + 1 places)
// includes input index i: with dilation, a superset of the windows with a tap at i.
fn covering_windows(i: u32, pad: u32, extent: u32, stride: u32, out_size: u32) -> vec2<u32> {
  let before = i32(i + pad) - i32(extent);
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
fn max_pool_with_indices(grid: Grid) {
  let o = flat_index(grid);
  if (o >= p.invocations) { return; }
  let ow = o % p.out_w;
  let oh = (o / p.out_w) % p.out_h;
  let plane = o / (p.out_w * p.out_h) * p.in_h * p.in_w;
  let at = window_argmax(plane, oh, ow);
  dst[o] = keys[plane + at];
  indices[o] = i32(at);
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
  let oh_range = covering_windows(ih, p.pad_h, p.dilation_h * (p.kernel_h - 1u) + 1u, p.stride_h, p.out_h);
  let ow_range = covering_windows(iw, p.pad_w, p.dilation_w * (p.kernel_w - 1u) + 1u, p.stride_w, p.out_w);
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
  let rows = row_taps(oh);
  let cols = col_taps(ow);
  var total = 0.0;
  for (var ih = rows.first; ih < rows.first + rows.count; ih++) {
    let row = plane + u32(ih) * p.in_w;
    for (var iw = cols.first; iw < cols.first + cols.count; iw++) {
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
  // Average pooling runs with dilation 1: a window's span is its kernel.
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
