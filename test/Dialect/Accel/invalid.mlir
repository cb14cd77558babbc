// RUN: tandem-opt %s -split-input-file -verify-diagnostics

// Tests that dynamic shapes are rejected: the cost model needs extents.
func.func @dynamic_shape(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of any type values}}
  %y = accel.conv2d %x, %w : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests the input rank rule of conv2d.
func.func @conv_input_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects input of rank 4 (NCHW), got rank 3}}
  %y = accel.conv2d %x, %w : (tensor<3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests the weight rank rule of conv2d.
func.func @conv_weight_rank(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{expects weight of rank 4 (K x C/groups x R x S), got rank 3}}
  %y = accel.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests the result rank rule of conv2d.
func.func @conv_result_rank(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects result of rank 4 (NKPQ), got rank 2}}
  %y = accel.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<4x36xf32>
  return
}

// -----

// Tests that a 2-D convolution takes exactly two strides.
func.func @conv_stride_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects 2 strides, got 3}}
  %y = accel.conv2d %x, %w strides [1, 1, 1] : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests that pads come as [top, left, bottom, right].
func.func @conv_pad_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects 4 pads [top, left, bottom, right], got 2}}
  %y = accel.conv2d %x, %w pads [1, 1] : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

// Tests that a 2-D convolution takes exactly two dilations.
func.func @conv_dilation_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects 2 dilations, got 1}}
  %y = accel.conv2d %x, %w dilations [2] : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests that strides are positive.
func.func @conv_zero_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects positive strides, got [0, 1]}}
  %y = accel.conv2d %x, %w strides [0, 1] : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests that negative pads are rejected.
func.func @conv_negative_pad(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects non-negative pads, got [-1, 0, 0, 0]}}
  %y = accel.conv2d %x, %w pads [-1, 0, 0, 0] : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x5x6xf32>
  return
}

// -----

// Tests that dilations are positive.
func.func @conv_zero_dilation(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects positive dilations, got [1, 0]}}
  %y = accel.conv2d %x, %w dilations [1, 0] : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests that element types agree when nothing is quantized.
func.func @conv_element_types(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf16>) {
  // expected-error @+1 {{expects all operands and the result to have the same element type, got 'f32' and 'f16'}}
  %y = accel.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf16>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests that groups is at least 1.
func.func @conv_zero_groups(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects groups >= 1, got 0}}
  %y = accel.conv2d %x, %w groups 0 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests that groups divides the input channels.
func.func @conv_groups_input(%x: tensor<1x6x8x8xf32>, %w: tensor<8x1x3x3xf32>) {
  // expected-error @+1 {{expects input channels (6) to be divisible by groups (4)}}
  %y = accel.conv2d %x, %w groups 4 : (tensor<1x6x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// Tests that groups divides the output channels.
func.func @conv_groups_output(%x: tensor<1x8x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{expects output channels (weight dim 0 = 6) to be divisible by groups (4)}}
  %y = accel.conv2d %x, %w groups 4 : (tensor<1x8x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

// Tests that the weight's channel dimension is C / groups.
func.func @conv_weight_channels(%x: tensor<1x8x8x8xf32>, %w: tensor<8x8x3x3xf32>) {
  // expected-error @+1 {{expects weight dim 1 to be input channels / groups = 2, got 8}}
  %y = accel.conv2d %x, %w groups 4 : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

// Tests that the bias has one value per output channel.
func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{expects bias of shape 4 (output channels), got 3}}
  %y = accel.conv2d %x, %w, %b : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests that the (dilated) kernel must fit the padded input.
func.func @conv_window_too_big(%x: tensor<1x3x4x4xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects the 5x5 window (dilated) to fit the padded 4x4 input}}
  %y = accel.conv2d %x, %w dilations [2, 2] : (tensor<1x3x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

// Tests the output-size formula: (8 + 2 - 3) / 2 + 1 = 4, not 5.
func.func @conv_result_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{expects result shape 1x4x4x4 (from input, weight, strides, pads and dilations), got 1x4x5x5}}
  %y = accel.conv2d %x, %w strides [2, 2] pads [1, 1, 1, 1] : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x5x5xf32>
  return
}

// -----

// Tests that matmul operands have rank 2 or more.
func.func @matmul_rank(%a: tensor<8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+1 {{expects operands of rank 2 or more, got ranks 1 and 2}}
  %c = accel.matmul %a, %b : (tensor<8xf32>, tensor<8x4xf32>) -> tensor<4xf32>
  return
}

// -----

// Tests that the contracted dimensions agree.
func.func @matmul_k(%a: tensor<4x64xf32>, %b: tensor<32x8xf32>) {
  // expected-error @+1 {{expects the contracted dimensions to match, got lhs K = 64 and rhs K = 32}}
  %c = accel.matmul %a, %b : (tensor<4x64xf32>, tensor<32x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that batch dimensions must broadcast.
func.func @matmul_batch(%a: tensor<3x4x8xf32>, %b: tensor<2x8x5xf32>) {
  // expected-error @+1 {{expects broadcast-compatible batch dimensions, got 3 and 2}}
  %c = accel.matmul %a, %b : (tensor<3x4x8xf32>, tensor<2x8x5xf32>) -> tensor<3x4x5xf32>
  return
}

// -----

// Tests the matmul result shape: batch 2x3 broadcast, M = 4, N = 5.
func.func @matmul_result(%a: tensor<2x1x4x8xf32>, %b: tensor<3x8x5xf32>) {
  // expected-error @+1 {{expects result shape 2x3x4x5 (broadcast batch x M x N), got 3x4x5}}
  %c = accel.matmul %a, %b : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<3x4x5xf32>
  return
}

// -----

// Tests that pooling needs an NCHW input.
func.func @pool_rank(%x: tensor<64x8x8xf32>) {
  // expected-error @+1 {{expects input of rank 4 (NCHW), got rank 3}}
  %y = accel.pool2d max %x kernel [2, 2] : (tensor<64x8x8xf32>) -> tensor<64x7x7xf32>
  return
}

// -----

// Tests that a pooling kernel is 2-D.
func.func @pool_kernel_size(%x: tensor<1x64x8x8xf32>) {
  // expected-error @+1 {{expects a 2-D kernel, got 3 extents}}
  %y = accel.pool2d max %x kernel [2, 2, 2] : (tensor<1x64x8x8xf32>) -> tensor<1x64x7x7xf32>
  return
}

// -----

// Tests that kernel extents are positive.
func.func @pool_kernel_zero(%x: tensor<1x64x8x8xf32>) {
  // expected-error @+1 {{expects positive kernel extents, got [0, 2]}}
  %y = accel.pool2d max %x kernel [0, 2] : (tensor<1x64x8x8xf32>) -> tensor<1x64x7x7xf32>
  return
}

// -----

// Tests that count_include_pad belongs to average pooling.
func.func @pool_count_include_pad(%x: tensor<1x64x8x8xf32>) {
  // expected-error @+1 {{expects count_include_pad only on avg pooling}}
  %y = accel.pool2d max %x kernel [2, 2] count_include_pad : (tensor<1x64x8x8xf32>) -> tensor<1x64x7x7xf32>
  return
}

// -----

// Tests that a pad as large as the kernel (a window of padding only) is rejected.
func.func @pool_pad_too_big(%x: tensor<1x64x8x8xf32>) {
  // expected-error @+1 {{expects each pad to be smaller than the (dilated) kernel, got pads [2, 0, 0, 0] for kernel [2, 2]}}
  %y = accel.pool2d max %x kernel [2, 2] pads [2, 0, 0, 0] : (tensor<1x64x8x8xf32>) -> tensor<1x64x9x7xf32>
  return
}

// -----

// Tests that the pooling window must fit.
func.func @pool_window_too_big(%x: tensor<1x64x2x2xf32>) {
  // expected-error @+1 {{expects the 3x3 window (dilated) to fit the padded 2x2 input}}
  %y = accel.pool2d max %x kernel [3, 3] : (tensor<1x64x2x2xf32>) -> tensor<1x64x1x1xf32>
  return
}

// -----

// Tests ceil mode in the result shape: ceil((8 - 3) / 2) + 1 = 4 (floor gives 3).
func.func @pool_ceil_result(%x: tensor<1x64x8x8xf32>) {
  // expected-error @+1 {{expects result shape 1x64x4x4 (from input, kernel, strides, pads and dilations), got 1x64x3x3}}
  %y = accel.pool2d max %x kernel [3, 3] strides [2, 2] ceil_mode : (tensor<1x64x8x8xf32>) -> tensor<1x64x3x3xf32>
  return
}

// -----

// Tests that an unknown pooling kind is a parse error.
func.func @pool_kind(%x: tensor<1x64x8x8xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [max, avg]}}
  %y = accel.pool2d min %x kernel [2, 2] : (tensor<1x64x8x8xf32>) -> tensor<1x64x7x7xf32>
  return
}

// -----

// Tests the broadcasting rule of binary ops: 3 and 4 are incompatible.
func.func @binary_broadcast(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{expects broadcast-compatible operands, got 2x3 and 4x3}}
  %c = accel.add %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a binary op's result has the broadcast shape.
func.func @binary_result(%a: tensor<2x1xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{expects result shape 2x3 (the broadcast of the operand shapes), got 2x1}}
  %c = accel.mul %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x1xf32>
  return
}

// -----

// Tests element types of binary ops.
func.func @binary_types(%a: tensor<2xf32>, %b: tensor<2xi32>) {
  // expected-error @+1 {{expects all operands and the result to have the same element type, got 'f32' and 'i32'}}
  %c = accel.sub %a, %b : (tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
  return
}

// -----

// Tests that unary ops keep the shape.
func.func @unary_shape(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{expects result shape 2x8 (the input's shape), got 8x2}}
  %y = accel.relu %x : (tensor<2x8xf32>) -> tensor<8x2xf32>
  return
}

// -----

// Tests that clip bounds are ordered.
func.func @clip_bounds(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{expects min <= max, got min 6.000000e+00 and max 0.000000e+00}}
  %y = accel.clip %x min 6.0 max 0.0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests the softmax axis range.
func.func @softmax_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{expects axis in [0, 2), got 2}}
  %y = accel.softmax %x axis 2 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// Tests that layer norm's scale covers the normalized dimensions.
func.func @layer_norm_scale(%x: tensor<1x8x128xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{expects scale of shape 128 (the normalized dimensions), got 8}}
  %y = accel.layer_norm %x, %g axis 2 : (tensor<1x8x128xf32>, tensor<8xf32>) -> tensor<1x8x128xf32>
  return
}

// -----

// Tests that layer norm's bias covers the normalized dimensions.
func.func @layer_norm_bias(%x: tensor<1x8x128xf32>, %g: tensor<8x128xf32>, %b: tensor<128xf32>) {
  // expected-error @+1 {{expects bias of shape 8x128 (the normalized dimensions), got 128}}
  %y = accel.layer_norm %x, %g, %b axis 1 : (tensor<1x8x128xf32>, tensor<8x128xf32>, tensor<128xf32>) -> tensor<1x8x128xf32>
  return
}

// -----

// Tests that layer norm's epsilon is non-negative.
func.func @layer_norm_epsilon(%x: tensor<1x8x128xf32>, %g: tensor<128xf32>) {
  // expected-error @+1 {{expects a non-negative epsilon}}
  %y = accel.layer_norm %x, %g axis 2 epsilon -1.0 : (tensor<1x8x128xf32>, tensor<128xf32>) -> tensor<1x8x128xf32>
  return
}

// -----

// Tests that layer norm's axis lies inside the rank.
func.func @layer_norm_axis(%x: tensor<1x8x128xf32>, %g: tensor<128xf32>) {
  // expected-error @+1 {{expects axis in [0, 3), got -1}}
  %y = accel.layer_norm %x, %g axis -1 : (tensor<1x8x128xf32>, tensor<128xf32>) -> tensor<1x8x128xf32>
  return
}

// -----

// Tests that batch norm needs a channel dimension.
func.func @batch_norm_rank(%x: tensor<8xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{expects input of rank 2 or more (N x C x ...), got rank 1}}
  %y = accel.batch_norm %x, %s, %s, %s, %s : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

// Tests that batch norm statistics have one value per channel.
func.func @batch_norm_stats(%x: tensor<1x8x4x4xf32>, %s: tensor<8xf32>, %m: tensor<4xf32>) {
  // expected-error @+1 {{expects mean of shape 8 (the channels), got 4}}
  %y = accel.batch_norm %x, %s, %s, %m, %s : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return
}

// -----

// Tests that reduction axes lie inside the rank.
func.func @reduce_axis_range(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{expects axes in [0, 4), got 4}}
  %y = accel.reduce_mean %x axes [2, 4] : (tensor<1x8x4x4xf32>) -> tensor<1x8xf32>
  return
}

// -----

// Tests that reduction axes are sorted and distinct.
func.func @reduce_axis_order(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{expects sorted, distinct axes, got [3, 2]}}
  %y = accel.reduce_sum %x axes [3, 2] : (tensor<1x8x4x4xf32>) -> tensor<1x8xf32>
  return
}

// -----

// Tests the keepdims rule of reductions.
func.func @reduce_keepdims(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{expects result shape 1x8x1x1 (reduced axes kept as 1), got 1x8}}
  %y = accel.reduce_mean %x axes [2, 3] keepdims : (tensor<1x8x4x4xf32>) -> tensor<1x8xf32>
  return
}

// -----

// Tests that reshape keeps the number of elements.
func.func @reshape_count(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{expects the result to hold as many elements as the input, got 1x8x4x4 (128) and 8x8 (64)}}
  %y = accel.reshape %x : (tensor<1x8x4x4xf32>) -> tensor<8x8xf32>
  return
}

// -----

// Tests that transpose needs a permutation.
func.func @transpose_perm(%x: tensor<1x8x4xf32>) {
  // expected-error @+1 {{expects perm to be a permutation of 0..2, got [0, 2, 2]}}
  %y = accel.transpose %x perm [0, 2, 2] : (tensor<1x8x4xf32>) -> tensor<1x4x4xf32>
  return
}

// -----

// Tests the transposed result shape.
func.func @transpose_result(%x: tensor<1x8x4xf32>) {
  // expected-error @+1 {{expects result shape 1x4x8 (the permuted input), got 1x8x4}}
  %y = accel.transpose %x perm [0, 2, 1] : (tensor<1x8x4xf32>) -> tensor<1x8x4xf32>
  return
}

// -----

// Tests that concat needs an input.
func.func @concat_empty() {
  // expected-error @+1 {{expects at least one input}}
  %y = accel.concat axis 0 : () -> tensor<1xf32>
  return
}

// -----

// Tests that concat inputs agree off the axis.
func.func @concat_mismatch(%a: tensor<1x32x28x28xf32>, %b: tensor<1x64x14x14xf32>) {
  // expected-error @+1 {{expects input 1 (1x64x14x14) to match input 0 (1x32x28x28) except along axis 1}}
  %y = accel.concat %a, %b axis 1 : (tensor<1x32x28x28xf32>, tensor<1x64x14x14xf32>) -> tensor<1x96x28x28xf32>
  return
}

// -----

// Tests the concat axis range.
func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{expects axis in [0, 2), got 5}}
  %y = accel.concat %a, %a axis 5 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

// Tests that slice takes one start and step per dimension.
func.func @slice_count(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{expects one start and one step per input dimension (2), got 1 and 2}}
  %y = accel.slice %x starts [0] steps [1, 1] : (tensor<4x4xf32>) -> tensor<2x2xf32>
  return
}

// -----

// Tests that slice steps are non-zero.
func.func @slice_step(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{expects non-zero steps, got [0, 1]}}
  %y = accel.slice %x starts [0, 0] steps [0, 1] : (tensor<4x4xf32>) -> tensor<2x2xf32>
  return
}

// -----

// Tests that a slice stays inside the input: 1 + 2*2 = 5 is past index 3.
func.func @slice_bounds(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{reads outside the input along dimension 0: indices 1 to 5 of a dimension of size 4}}
  %y = accel.slice %x starts [1, 0] steps [2, 1] : (tensor<4x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Tests that a slice keeps the rank.
func.func @slice_rank(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{expects the result rank to equal the input rank (2), got 1}}
  %y = accel.slice %x starts [0, 0] steps [1, 1] : (tensor<4x4xf32>) -> tensor<4xf32>
  return
}

// -----

// Tests that pad takes two amounts per dimension.
func.func @pad_count(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{expects 4 pads (leading then trailing per dimension), got 2}}
  %y = accel.pad %x pads [1, 1] : (tensor<4x4xf32>) -> tensor<6x6xf32>
  return
}

// -----

// Tests that pad amounts are non-negative.
func.func @pad_negative(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{expects non-negative pads, got [0, -1, 0, 0]}}
  %y = accel.pad %x pads [0, -1, 0, 0] : (tensor<4x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

// Tests that reflect padding is smaller than the dimension.
func.func @pad_reflect(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{expects reflect pads smaller than the dimension, got 4 and 0 for dimension 1 of size 4}}
  %y = accel.pad %x pads [0, 4, 0, 0] mode reflect : (tensor<4x4xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests the padded result shape.
func.func @pad_result(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{expects result shape 5x7 (input plus pads), got 6x6}}
  %y = accel.pad %x pads [1, 1, 0, 2] : (tensor<4x4xf32>) -> tensor<6x6xf32>
  return
}

// -----

// Tests that edge padding needs an edge to repeat.
func.func @pad_edge_empty(%x: tensor<0x4xf32>) {
  // expected-error @+1 {{cannot edge-pad the empty dimension 0}}
  %y = accel.pad %x pads [1, 0, 0, 0] mode edge : (tensor<0x4xf32>) -> tensor<1x4xf32>
  return
}

// -----

// Tests that equal compares like element types.
func.func @equal_types(%a: tensor<2xi64>, %b: tensor<2xi32>) {
  // expected-error @+1 {{expects operands of the same element type, got 'i64' and 'i32'}}
  %c = accel.equal %a, %b : (tensor<2xi64>, tensor<2xi32>) -> tensor<2xi1>
  return
}

// -----

// Tests that equal produces i1.
func.func @equal_result(%a: tensor<2xi64>) {
  // expected-error @+1 {{result #0 must be statically shaped tensor of 1-bit signless integer values}}
  %c = accel.equal %a, %a : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return
}

// -----

// Tests the three-way broadcast of where.
func.func @where_broadcast(%c: tensor<3xi1>, %a: tensor<2x4xf32>, %b: tensor<f32>) {
  // expected-error @+1 {{expects broadcast-compatible operands, got 3, 2x4 and scalar}}
  %y = accel.where %c, %a, %b : (tensor<3xi1>, tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that where's branches share an element type.
func.func @where_types(%c: tensor<2xi1>, %a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error @+1 {{expects lhs, rhs and the result to have the same element type, got 'f32', 'f16' and 'f32'}}
  %y = accel.where %c, %a, %b : (tensor<2xi1>, tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return
}

// -----

// Tests that cast keeps the shape.
func.func @cast_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expects result shape 2x3 (the input's shape), got 3x2}}
  %y = accel.cast %x : (tensor<2x3xf32>) -> tensor<3x2xi32>
  return
}

// -----

// Tests that broadcast only stretches size-1 dimensions.
func.func @broadcast_shape(%x: tensor<3x1xf32>) {
  // expected-error @+1 {{cannot broadcast 3x1 to 4x5}}
  %y = accel.broadcast %x : (tensor<3x1xf32>) -> tensor<4x5xf32>
  return
}

// -----

// Tests the gather result shape: 100x8 gathered by 1x16 along axis 0 is 1x16x8.
func.func @gather_shape(%t: tensor<100x8xf32>, %ids: tensor<1x16xi64>) {
  // expected-error @+1 {{expects result shape 1x16x8 (data dims before the axis, indices, dims after), got 16x8}}
  %y = accel.gather %t, %ids axis 0 : (tensor<100x8xf32>, tensor<1x16xi64>) -> tensor<16x8xf32>
  return
}

// -----

// Tests that gather indices are integers.
func.func @gather_indices(%t: tensor<100x8xf32>, %ids: tensor<4xf32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of signless integer values}}
  %y = accel.gather %t, %ids axis 0 : (tensor<100x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests the gather axis range.
func.func @gather_axis(%t: tensor<100x8xf32>, %i: tensor<i64>) {
  // expected-error @+1 {{expects axis in [0, 2), got 2}}
  %y = accel.gather %t, %i axis 2 : (tensor<100x8xf32>, tensor<i64>) -> tensor<100xf32>
  return
}
