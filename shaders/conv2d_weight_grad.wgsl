// Weight gradient of a 2-D convolution: the correlation of the input with the output gradient.
// With Cg = C / groups and Og = O / groups channels per group and g = o / Og:
//   dw[o, c, kh, kw] = sum over n, oh, ow of
//       dy[n, o, oh, ow] * x[n, g * Cg + c, oh * stride_h - pad_h + kh * dilation_h,
//                                           ow * stride_w - pad_w + kw * dilation_w]
// (taps in the padding contribute nothing). It serves conv2d (x = input, dy = output gradient) and
// conv_transpose2d (x = output gradient, dy = input), whose weights have the same [*, Cg, kH, kW] form.
// Bindings: @0 uniform Params, @1 x [N, C, H, W] (read), @2 dy [N, O, OH, OW] (read),
//   @3 partial [O * Cg * kH * kW, chunks]: one partial sum per weight and chunk.
// The reduction runs over rows = N * OH (image, output row) pairs, cut into `chunks` ranges of
// `chunk_rows` rows so that small weights still give enough invocations; the host sums the chunks
// (a second pass) when there is more than one. In each row, the columns whose tap lands inside the
// input form one range [ow_begin, ow_end), computed once per invocation.
// Blocking: one invocation accumulates 4 output channels times IC_BLOCK (1, 2, 4 or 8) input channels
// of one group for one tap (kh, kw) and one chunk. The accumulators are one vec4 per input channel
// (lanes = the 4 output channels; plain variables, since SwiftShader spills indexed arrays), so each
// pixel costs 4 + IC_BLOCK loads for 4 * IC_BLOCK multiply-adds. Numbering: kw fastest, then kh,
// chunk, input-channel block, output-channel block, group. Block entries past a group's last
// channel read clamped channels and are not written. Deterministic: every sum has a fixed order.
// Includes: grid (the folded 1-D launch), conv_window and conv_groups (the window and channel-group
// fields of Params).

#include "grid"

struct Params {
  channels: u32,
#include "conv_window"
#include "conv_groups"
  out_blocks: u32,
  in_blocks: u32,
  rows: u32,
  chunks: u32,
  chunk_rows: u32,
  invocations: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

const IC_BLOCK: u32 = {{IC_BLOCK}}u; // 1, 2, 4 or 8
const LANES = vec4<u32>(0u, 1u, 2u, 3u);

// Writes the partial sums of input channel `ic` for the block's output channels, where they exist.
fn store(group: u32, oc0: u32, ic: u32, kh: u32, kw: u32, chunk: u32, values: vec4<f32>) {
  if (ic >= p.group_channels) { return; }
  for (var k = 0u; k < 4u; k++) {
    if (oc0 + k >= p.group_out_channels) { return; }
    let o = group * p.group_out_channels + oc0 + k;
    let weight = ((o * p.group_channels + ic) * p.kernel_h + kh) * p.kernel_w + kw;
    partial[weight * p.chunks + chunk] = values[k];
  }
}

@compute @workgroup_size(WG)
fn main(grid: Grid) {
  let task = flat_index(grid);
  if (task >= p.invocations) { return; }
  var rest = task;
  let kw = rest % p.kernel_w;
  rest /= p.kernel_w;
  let kh = rest % p.kernel_h;
  rest /= p.kernel_h;
  let chunk = rest % p.chunks;
  rest /= p.chunks;
  let ic0 = (rest % p.in_blocks) * IC_BLOCK;
  rest /= p.in_blocks;
  let oc0 = (rest % p.out_blocks) * 4u;
  let group = rest / p.out_blocks;

  // Output columns whose input column ow * stride_w + offset_w lies in [0, in_w).
  let offset_w = i32(kw * p.dilation_w) - i32(p.pad_w);
  let stride_w = i32(p.stride_w);
  let ow_begin = u32(select(0, (stride_w - 1 - offset_w) / stride_w, offset_w < 0));
  let ow_end = u32(clamp((i32(p.in_w) - offset_w + stride_w - 1) / stride_w, 0, i32(p.out_w)));
  let offset_h = i32(kh * p.dilation_h) - i32(p.pad_h);
  // The block's 4 output and 4 input channel slots, clamped into the group.
  let out_channels = group * p.group_out_channels + min(oc0 + LANES, vec4<u32>(p.group_out_channels - 1u));
  let last_in = vec4<u32>(p.group_channels - 1u);
  let in_channels = group * p.group_channels + min(ic0 + LANES, last_in);
  let in_channels_hi = group * p.group_channels + min(ic0 + 4u + LANES, last_in);

  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  var acc4 = vec4<f32>();
  var acc5 = vec4<f32>();
  var acc6 = vec4<f32>();
  var acc7 = vec4<f32>();
  let row_end = min(p.rows, (chunk + 1u) * p.chunk_rows);
  for (var r = chunk * p.chunk_rows; r < row_end; r++) {
    let n = r / p.out_h;
    let oh = r % p.out_h;
    let ih = i32(oh * p.stride_h) + offset_h;
    if (ih < 0 || ih >= i32(p.in_h)) { continue; }
    let dy_rows = ((n * p.out_channels + out_channels) * p.out_h + oh) * p.out_w;
    let x_rows = ((n * p.channels + in_channels) * p.in_h + u32(ih)) * p.in_w;
    let x_rows_hi = ((n * p.channels + in_channels_hi) * p.in_h + u32(ih)) * p.in_w;
    for (var ow = ow_begin; ow < ow_end; ow++) {
      let iw = u32(i32(ow * p.stride_w) + offset_w);
      let d = vec4<f32>(dy[dy_rows.x + ow], dy[dy_rows.y + ow], dy[dy_rows.z + ow], dy[dy_rows.w + ow]);
      acc0 = fma(d, vec4<f32>(x[x_rows.x + iw]), acc0);
      if (IC_BLOCK > 1u) { acc1 = fma(d, vec4<f32>(x[x_rows.y + iw]), acc1); }
      if (IC_BLOCK > 2u) {
        acc2 = fma(d, vec4<f32>(x[x_rows.z + iw]), acc2);
        acc3 = fma(d, vec4<f32>(x[x_rows.w + iw]), acc3);
      }
      if (IC_BLOCK > 4u) {
        acc4 = fma(d, vec4<f32>(x[x_rows_hi.x + iw]), acc4);
        acc5 = fma(d, vec4<f32>(x[x_rows_hi.y + iw]), acc5);
        acc6 = fma(d, vec4<f32>(x[x_rows_hi.z + iw]), acc6);
        acc7 = fma(d, vec4<f32>(x[x_rows_hi.w + iw]), acc7);
      }
    }
  }

  store(group, oc0, ic0, kh, kw, chunk, acc0);
  if (IC_BLOCK > 1u) { store(group, oc0, ic0 + 1u, kh, kw, chunk, acc1); }
  if (IC_BLOCK > 2u) {
    store(group, oc0, ic0 + 2u, kh, kw, chunk, acc2);
    store(group, oc0, ic0 + 3u, kh, kw, chunk, acc3);
  }
  if (IC_BLOCK > 4u) {
    store(group, oc0, ic0 + 4u, kh, kw, chunk, acc4);
    store(group, oc0, ic0 + 5u, kh, kw, chunk, acc5);
    store(group, oc0, ic0 + 6u, kh, kw, chunk, acc6);
    store(group, oc0, ic0 + 7u, kh, kw, chunk, acc7);
  }
}
