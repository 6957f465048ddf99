// The channel grouping of a direct convolution, spliced into the Params of conv2d, conv2d_transpose
// and conv2d_weight_grad right after conv_window's fields, where it says #include "conv_groups":
// the output channel count, the number of groups, and the input and output channels of one group
// (channels / groups and out_channels / groups).
  out_channels: u32,
  groups: u32,
  group_channels: u32,
  group_out_channels: u32,