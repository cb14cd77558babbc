// What --accel-lower-quantized refuses, each with the op it names.
// RUN: not tandem-opt %s --split-input-file --accel-lower-quantized 2>&1 | FileCheck %s

// CHECK: error: cannot lower quantized 'accel.softmax': quantized execution supports conv2d, matmul, add, pool2d, relu, clip, reshape, transpose and cast
!q = !quant.uniform<i8:f32, 0.1:0>
func.func @softmax(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %0 = quant.qcast %arg0 : tensor<4xf32> to tensor<4x!q>
  %1 = accel.softmax %0 axis 0 : (tensor<4x!q>) -> tensor<4x!q>
  %2 = quant.dcast %1 : tensor<4x!q> to tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// CHECK: error: expects float results: dequantize them with quant.dcast before returning
!q = !quant.uniform<i8:f32, 0.1:0>
func.func @returns_quantized(%arg0: tensor<4xf32>) -> tensor<4x!q> {
  %0 = quant.qcast %arg0 : tensor<4xf32> to tensor<4x!q>
  return %0 : tensor<4x!q>
}

// -----

// CHECK: error: expects the bias grid to be the input scale times the weight scale (times a power of two), zero point 0
!x = !quant.uniform<i8:f32, 0.01:0>
!w = !quant.uniform<i8<-127:127>:f32, 0.5>
!b = !quant.uniform<i32:f32, 0.5>
func.func @bias_scale(%arg0: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %0 = quant.qcast %arg0 : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!x>
  %w = arith.constant dense<1> : tensor<1x1x1x1xi8>
  %1 = quant.scast %w : tensor<1x1x1x1xi8> to tensor<1x1x1x1x!w>
  %b = arith.constant dense<1> : tensor<1xi32>
  %2 = quant.scast %b : tensor<1xi32> to tensor<1x!b>
  %3 = accel.conv2d %0, %1, %2 : (tensor<1x1x2x2x!x>, tensor<1x1x1x1x!w>, tensor<1x!b>) -> tensor<1x1x2x2x!x>
  %4 = quant.dcast %3 : tensor<1x1x2x2x!x> to tensor<1x1x2x2xf32>
  return %4 : tensor<1x1x2x2xf32>
}

// -----

// A per-channel input grid on a convolution that mixes channels: one
// output channel's accumulator would sum products of several scales.
// CHECK: error: expects a per-tensor input grid (per channel, axis 1, only for a depthwise convolution)
!x = !quant.uniform<i8:f32:1, {0.5:0, 0.25:0}>
!w = !quant.uniform<i8<-127:127>:f32, 1.0>
!y = !quant.uniform<i8:f32, 0.5:0>
func.func @mixing(%arg0: tensor<1x2x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %0 = quant.qcast %arg0 : tensor<1x2x1x1xf32> to tensor<1x2x1x1x!x>
  %w = arith.constant dense<1> : tensor<1x2x1x1xi8>
  %1 = quant.scast %w : tensor<1x2x1x1xi8> to tensor<1x2x1x1x!w>
  %2 = accel.conv2d %0, %1 : (tensor<1x2x1x1x!x>, tensor<1x2x1x1x!w>) -> tensor<1x1x1x1x!y>
  %3 = quant.dcast %2 : tensor<1x1x1x1x!y> to tensor<1x1x1x1xf32>
  return %3 : tensor<1x1x1x1xf32>
}

// -----

// A reshape moves integers unchanged: its operand and result must share
// one per-tensor grid.
// CHECK: error: expects the same per-tensor grid on its operand and its result
!a = !quant.uniform<i8:f32, 0.5:0>
!b = !quant.uniform<i8:f32, 0.25:0>
func.func @regrid(%arg0: tensor<2x2xf32>) -> tensor<4xf32> {
  %0 = quant.qcast %arg0 : tensor<2x2xf32> to tensor<2x2x!a>
  %1 = accel.reshape %0 : (tensor<2x2x!a>) -> tensor<4x!b>
  %2 = quant.dcast %1 : tensor<4x!b> to tensor<4xf32>
  return %2 : tensor<4xf32>
}
