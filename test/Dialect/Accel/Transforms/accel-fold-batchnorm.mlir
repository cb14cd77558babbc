// RUN: tandem-opt %s --accel-fold-batchnorm | FileCheck %s
// RUN: tandem-opt %s --accel-fold-batchnorm=remarks=true -verify-diagnostics -o /dev/null

// Tests the fold with a conv bias: s = 4 / sqrt(3 + 1) = 2, so
// w' = 2 * [1, 2, 3, 4] = [2, 4, 6, 8] and b' = (1 - 1) * 2 + 0.5 = 0.5.
// CHECK-LABEL: func.func @with_bias
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{\[\[\[}}[2.000000e+00, 4.000000e+00], [6.000000e+00, 8.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<5.000000e-01> : tensor<1xf32>
// CHECK: %[[Y:.+]] = accel.conv2d %arg0, %[[W]], %[[B]] : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
// CHECK-NOT: accel.batch_norm
// CHECK: return %[[Y]]
func.func @with_bias(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32> {
  %w = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %b = arith.constant dense<1.0> : tensor<1xf32>
  %scale = arith.constant dense<4.0> : tensor<1xf32>
  %shift = arith.constant dense<0.5> : tensor<1xf32>
  %mean = arith.constant dense<1.0> : tensor<1xf32>
  %var = arith.constant dense<3.0> : tensor<1xf32>
  %c = accel.conv2d %x, %w, %b : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  %y = accel.batch_norm %c, %scale, %shift, %mean, %var epsilon 1.0
      : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %y : tensor<1x1x2x2xf32>
}

// Tests two channels without a conv bias (b = 0), eps = 0.25:
// s0 = 1 / sqrt(0.75 + 0.25) = 1, s1 = 6 / sqrt(8.75 + 0.25) = 2;
// w' = [1 * 1, 2 * 2] = [1, 4]; b' = [(0 - 2) * 1 + 0, (0 + 1) * 2 + 1] = [-2, 3].
// CHECK-LABEL: func.func @per_channel
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{\[\[\[}}[1.000000e+00]]], {{\[\[}}[4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[-2.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK: accel.conv2d %arg0, %[[W]], %[[B]] : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
func.func @per_channel(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %scale = arith.constant dense<[1.0, 6.0]> : tensor<2xf32>
  %shift = arith.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %mean = arith.constant dense<[2.0, -1.0]> : tensor<2xf32>
  %var = arith.constant dense<[0.75, 8.75]> : tensor<2xf32>
  %c = accel.conv2d %x, %w : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = accel.batch_norm %c, %scale, %shift, %mean, %var epsilon 0.25
      : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// Tests that a batch norm whose input is not a conv stays.
// CHECK-LABEL: func.func @not_after_conv
// CHECK: accel.batch_norm
func.func @not_after_conv(%x: tensor<1x2x4x4xf32>, %s: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  // expected-remark @+1 {{batch norm not folded: its input is not an accel.conv2d}}
  %y = accel.batch_norm %x, %s, %s, %s, %s
      : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// Tests that a conv with another user is not rewritten.
// CHECK-LABEL: func.func @conv_shared
// CHECK: accel.batch_norm
func.func @conv_shared(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %s = arith.constant dense<1.0> : tensor<2xf32>
  %c = accel.conv2d %x, %w : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{batch norm not folded: the convolution has other users}}
  %y = accel.batch_norm %c, %s, %s, %s, %s
      : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %c, %y : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// Tests that run-time statistics block the fold.
// CHECK-LABEL: func.func @runtime_scale
// CHECK: accel.batch_norm
func.func @runtime_scale(%x: tensor<1x1x4x4xf32>, %scale: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<1.0> : tensor<2x1x1x1xf32>
  %s = arith.constant dense<1.0> : tensor<2xf32>
  %c = accel.conv2d %x, %w : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{batch norm not folded: the batch-norm scale is not an f32 constant}}
  %y = accel.batch_norm %c, %scale, %s, %s, %s
      : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
