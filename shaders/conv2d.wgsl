// Direct 2-D convolution, NCHW, with stride, padding, dilation and groups (PyTorch's conv2d, which
// is a cross-correlation). With Cg = C / groups input and Og = O / groups output channels per group:
//   out[n, o, oh, ow] = bias[o] + sum over c < Cg, kh < kH, kw < kW of
//       w[o, c, kh, kw] * x[n, (o / Og) * Cg + c, oh * stride_h - pad_h + kh * dilation_h,
//                                                 ow * stride_w - pad_w + kw * dilation_w]
// where taps outside the input read as 0 (the padding), checked once per tap (kh, kw).
// Bindings: @0 uniform Params, @1 x [N, C, H, W] (read), @2 w [O, Cg, kH, kW] (read),
//   @3 bias [O] (read; any buffer when has_bias = 0), @4 out [N, O, OH, OW].
// Blocking: one invocation computes OC_BLOCK (1, 2, 4 or 8) output channels of one group for 4
// adjacent output columns of one output row. The accumulators are one vec4 per channel (its lanes
// are the 4 columns), so each step costs 4 input loads and OC_BLOCK weight loads for 4 * OC_BLOCK
// multiply-adds. They are plain vec4 variables, not arrays: SwiftShader spills indexed private
// arrays to memory, and the `if (OC_BLOCK > k)` tests fold away at compile time.
// Loops run over taps (kh, kw) outside and input channels inside, so the padding checks happen
// once per tap and the inner loop only steps two offsets (channels outside, and blocks of 4
// channels, were both slower on SwiftShader). Invocations are numbered column block
// fastest, then row, channel block, group and image, so neighbours read the same weights and
// neighbouring inputs. A block running past the last column or the group's last channel computes
// clamped (in-bounds) values there and skips the write. No workgroup memory: on SwiftShader it
// costs more than it saves; a real GPU would want a tiled variant sharing input rows in a workgroup.
// Includes: grid (the folded 1-D launch), conv_window and conv_groups (the window and channel-group
// fields of Params) and conv_channels (writing out the register block's channels, as
// conv2d_transpose.wgsl does).

#include "grid"
#include "conv_channels"

struct Params {
  channels: u32,
#include "conv_window"
#include "conv_groups"
  channel_blocks: u32,
  column_blocks: u32,
  invocations: u32,
  has_bias: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const OC_BLOCK: u32 = {{OC_BLOCK}}u; // 1, 2, 4 or 8
const LANES = vec4<u32>(0u, 1u, 2u, 3u);

// Writes output channel `oc` (counted inside `group`) at the 4 columns from ow0, if they exist.
fn store(n: u32, group: u32, oc: u32, oh: u32, ow0: u32, values: vec4<f32>) {
  if (oc >= p.group_out_channels) { return; }
  let o = group * p.group_out_channels + oc;
  let shifted = values + select(0.0, bias[o], p.has_bias != 0u);
  let row = ((n * p.out_channels + o) * p.out_h + oh) * p.out_w;
  for (var j = 0u; j < 4u; j++) {
    if (ow0 + j < p.out_w) { out[row + ow0 + j] = shifted[j]; }
  }
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.invocations) { return; }
  var rest = task;
  let ow0 = (rest % p.column_blocks) * 4u;
  rest /= p.column_blocks;
  let oh = rest % p.out_h;
  rest /= p.out_h;
  let oc0 = (rest % p.channel_blocks) * OC_BLOCK;
  rest /= p.channel_blocks;
  let group = rest % p.groups;
  let n = rest / p.groups;

  let kernel_size = p.kernel_h * p.kernel_w;
  // Offset of w[o, 0, 0, 0] for the block's channel slots (0-3 and 4-7), clamped into the group.
  let last = vec4<u32>(p.group_out_channels - 1u);
  let first = group * p.group_out_channels;
  let weight_rows = (first + min(oc0 + LANES, last)) * (p.group_channels * kernel_size);
  let weight_rows_hi = (first + min(oc0 + 4u + LANES, last)) * (p.group_channels * kernel_size);
  let in_w = i32(p.in_w);
  let ih0 = i32(oh * p.stride_h) - i32(p.pad_h);
  let iw0 = vec4<i32>(ow0 * p.stride_w + LANES * p.stride_w) - i32(p.pad_w);

  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  var acc4 = vec4<f32>();
  var acc5 = vec4<f32>();
  var acc6 = vec4<f32>();
  var acc7 = vec4<f32>();
  let plane_size = p.in_h * p.in_w;
  let x_group = (n * p.channels + group * p.group_channels) * plane_size;
  for (var kh = 0u; kh < p.kernel_h; kh++) {
    let ih = ih0 + i32(kh * p.dilation_h);
    if (ih < 0 || ih >= i32(p.in_h)) { continue; }
    for (var kw = 0u; kw < p.kernel_w; kw++) {
      let iw = iw0 + i32(kw * p.dilation_w);
      let inside = (iw >= vec4<i32>(0)) & (iw < vec4<i32>(in_w));
      var at = vec4<u32>(clamp(iw, vec4<i32>(0), vec4<i32>(in_w - 1))) + (x_group + u32(ih) * p.in_w);
      var tap = kh * p.kernel_w + kw;
      for (var c = 0u; c < p.group_channels; c++) {
        let xs = select(vec4<f32>(), vec4<f32>(x[at.x], x[at.y], x[at.z], x[at.w]), inside);
        acc0 = fma(vec4<f32>(w[weight_rows.x + tap]), xs, acc0);
        if (OC_BLOCK > 1u) { acc1 = fma(vec4<f32>(w[weight_rows.y + tap]), xs, acc1); }
        if (OC_BLOCK > 2u) {
          acc2 = fma(vec4<f32>(w[weight_rows.z + tap]), xs, acc2);
          acc3 = fma(vec4<f32>(w[weight_rows.w + tap]), xs, acc3);
        }
        if (OC_BLOCK > 4u) {
          acc4 = fma(vec4<f32>(w[weight_rows_hi.x + tap]), xs, acc4);
          acc5 = fma(vec4<f32>(w[weight_rows_hi.y + tap]), xs, acc5);
          acc6 = fma(vec4<f32>(w[weight_rows_hi.z + tap]), xs, acc6);
          acc7 = fma(vec4<f32>(w[weight_rows_hi.w + tap]), xs, acc7);
        }
        at += plane_size;
        tap += kernel_size;
      }
    }
  }

  store_channels(n, group, oc0, oh, ow0, Channels(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7));
}
