// The sampling window of a 2-D convolution, spliced into the Params of every convolution kernel
// (conv2d, conv2d_transpose, conv2d_weight_grad, conv2d_im2col, conv2d_col2im) right after its first
// field, a channel count, where it says #include "conv_window"; src/ops/conv.ts writes the channel
// count and these with convWindowParams. Input and output sizes, kernel size, stride, padding, dilation.
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