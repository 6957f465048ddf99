// Direct 2-D transposed convolution, NCHW, with stride, padding, dilation and groups (PyTorch's
// conv_transpose2d; also the gradient of conv2d with respect to its input). Each input pixel
// spreads w[c, o, :, :] into the output at stride spacing. Read from the output side, with
// Cg = C / groups input and Og = O / groups output channels per group and g = o / Og:
//   out[n, o, oh, ow] = bias[o] + sum over c < Cg, kh, kw of
//       w[g * Cg + c, o % Og, kh, kw] * x[n, g * Cg + c, ih, iw]
//   where oh = ih * stride_h - pad_h + kh * dilation_h and ow likewise: a tap counts only when
//   oh + pad_h - kh * dilation_h is a multiple of stride_h whose quotient ih lies inside the input.
// Bindings: @0 uniform Params, @1 x [N, C, H, W] (read), @2 w [C, Og, kH, kW] (read),
//   @3 bias [O] (read; any buffer when has_bias = 0), @4 out [N, O, OH, OW].
// Blocking: one invocation computes OC_BLOCK (1, 2, 4 or 8) output channels of one group for 4
// output columns of one row, spaced stride_w apart: ow0, ow0 + stride_w, ... All 4 columns share
// one phase (ow mod stride_w), so a kernel column kw feeds all of them or none, and the input
// columns they read are adjacent. Only the taps that count are visited: for stride s and dilation
// d they are every s / gcd(s, d)-th kernel row and column from the first that fits (a stride-2
// layer visits 1 (kh, kw) pair in 4). As in conv2d.wgsl, the accumulators are one vec4 per channel
// (lanes = the 4 columns), taps are the outer loops and input channels the inner one; each step
// costs 4 input loads and OC_BLOCK weight loads for 4 * OC_BLOCK multiply-adds. Numbering: column
// block fastest (phase, then position within the phase), then row, channel block, group, image.
// Block entries past the last column or the group's last channel are not written.
// Includes: grid (the folded 1-D launch), conv_window and conv_groups (the window and channel-group
// fields of Params) and conv_channels (writing out the register block's channels, as conv2d.wgsl
// does).

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
  tap_step_h: u32,
  tap_step_w: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const OC_BLOCK: u32 = {{OC_BLOCK}}u; // 1, 2, 4 or 8
const LANES = vec4<u32>(0u, 1u, 2u, 3u);

// The first k in [0, step) with (position - k * dilation) divisible by stride, or `none` if there is
// none. Such k repeat every step = stride / gcd(stride, dilation), so the valid taps of an output
// position are k, k + step, ... up to the kernel size.
fn first_tap(position: i32, dilation: u32, stride: u32, step: u32, none: u32) -> u32 {
  for (var k = 0u; k < step; k++) {
    if ((position - i32(k * dilation)) % i32(stride) == 0) { return k; }
  }
  return none;
}

// Writes output channel `oc` (counted inside `group`) at columns ow0 + j * stride_w, if they exist.
fn store(n: u32, group: u32, oc: u32, oh: u32, ow0: u32, values: vec4<f32>) {
  if (oc >= p.group_out_channels) { return; }
  let o = group * p.group_out_channels + oc;
  let shifted = values + select(0.0, bias[o], p.has_bias != 0u);
  let row = ((n * p.out_channels + o) * p.out_h + oh) * p.out_w;
  for (var j = 0u; j < 4u; j++) {
    let ow = ow0 + j * p.stride_w;
    if (ow < p.out_w) { out[row + ow] = shifted[j]; }
  }
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.invocations) { return; }
  var rest = task;
  let column_block = rest % p.column_blocks;
  let ow0 = column_block % p.stride_w + (column_block / p.stride_w) * 4u * p.stride_w;
  rest /= p.column_blocks;
  let oh = rest % p.out_h;
  rest /= p.out_h;
  let oc0 = (rest % p.channel_blocks) * OC_BLOCK;
  rest /= p.channel_blocks;
  let group = rest % p.groups;
  let n = rest / p.groups;

  let kernel_size = p.kernel_h * p.kernel_w;
  // Offset of w[0, o, 0, 0] for the block's channel slots (0-3 and 4-7), clamped into the group.
  let last = vec4<u32>(p.group_out_channels - 1u);
  let weight_columns = min(oc0 + LANES, last) * kernel_size;
  let weight_columns_hi = min(oc0 + 4u + LANES, last) * kernel_size;
  let weight_channel_stride = p.group_out_channels * kernel_size;
  let stride_h = i32(p.stride_h);
  let stride_w = i32(p.stride_w);
  let in_w = i32(p.in_w);

  // The kernel rows (columns) whose taps reach output row oh (the block's columns): an arithmetic
  // progression kh = first_kh, first_kh + tap_step_h, ... (empty when first_kh = kernel_h).
  let first_kh = first_tap(i32(oh + p.pad_h), p.dilation_h, p.stride_h, p.tap_step_h, p.kernel_h);
  let first_kw = first_tap(i32(ow0 + p.pad_w), p.dilation_w, p.stride_w, p.tap_step_w, p.kernel_w);

  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  var acc4 = vec4<f32>();
  var acc5 = vec4<f32>();
  var acc6 = vec4<f32>();
  var acc7 = vec4<f32>();
  let plane_size = p.in_h * p.in_w;
  let first_channel = group * p.group_channels;
  let x_group = (n * p.channels + first_channel) * plane_size;
  let w_group = first_channel * weight_channel_stride;
  for (var kh = first_kh; kh < p.kernel_h; kh += p.tap_step_h) {
    let ih = (i32(oh + p.pad_h) - i32(kh * p.dilation_h)) / stride_h;
    if (ih < 0 || ih >= i32(p.in_h)) { continue; }
    for (var kw = first_kw; kw < p.kernel_w; kw += p.tap_step_w) {
      let iw = (i32(ow0 + p.pad_w) - i32(kw * p.dilation_w)) / stride_w + vec4<i32>(LANES);
      let inside = (iw >= vec4<i32>(0)) & (iw < vec4<i32>(in_w));
      var at = vec4<u32>(clamp(iw, vec4<i32>(0), vec4<i32>(in_w - 1))) + (x_group + u32(ih) * p.in_w);
      var tap = w_group + kh * p.kernel_w + kw;
      for (var c = 0u; c < p.group_channels; c++) {
        let xs = select(vec4<f32>(), vec4<f32>(x[at.x], x[at.y], x[at.z], x[at.w]), inside);
        acc0 = fma(vec4<f32>(w[weight_columns.x + tap]), xs, acc0);
        if (OC_BLOCK > 1u) { acc1 = fma(vec4<f32>(w[weight_columns.y + tap]), xs, acc1); }
        if (OC_BLOCK > 2u) {
          acc2 = fma(vec4<f32>(w[weight_columns.z + tap]), xs, acc2);
          acc3 = fma(vec4<f32>(w[weight_columns.w + tap]), xs, acc3);
        }
        if (OC_BLOCK > 4u) {
          acc4 = fma(vec4<f32>(w[weight_columns_hi.x + tap]), xs, acc4);
          acc5 = fma(vec4<f32>(w[weight_columns_hi.y + tap]), xs, acc5);
          acc6 = fma(vec4<f32>(w[weight_columns_hi.z + tap]), xs, acc6);
          acc7 = fma(vec4<f32>(w[weight_columns_hi.w + tap]), xs, acc7);
        }
        at += plane_size;
        tap += weight_channel_stride;
      }
    }
  }

  store_channels(n, group, oc0, oh, ow0, Channels(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7));
}
