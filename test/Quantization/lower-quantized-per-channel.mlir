// A depthwise convolution whose input and result have a grid per channel
// (axis 1), as --accel-quantize writes with activations.depthwise_inputs
// "per-channel", then a clip on the result's per-channel grid: integer and
// float execution, worked out by hand.
// RUN: tandem-opt %s --accel-lower-quantized | FileCheck %s --check-prefix=INT
// RUN: tandem-run %s --values input0=1.3 --print | FileCheck %s --check-prefix=EXEC
// RUN: tandem-run %s --values input0=1.3 --print --fake-quant | FileCheck %s --check-prefix=EXEC
// RUN: tandem-opt %s --accel-lower-quantized="mode=float runtime-parameters" | FileCheck %s --check-prefix=RT

// The input's zero points, one per channel, subtracted along axis 1; the
// result's rescale and zero point per channel; the clip's bounds per channel.
// INT: arith.constant dense<[2, -4]> : tensor<2xi64>
// INT: accel.conv2d {{.*}} groups 2 : (tensor<1x2x1x2xi16>, tensor<2x1x1x1xi8>) -> tensor<1x2x1x2xi32>
// INT: arith.constant dense<[0, -10]> : tensor<2xi64>
// INT: arith.constant dense<[12, -4]> : tensor<2xi64>

// Run-time parameters: one row per channel of each per-channel grid (the
// qcast, the input as the layer reads it, the conv's result, the clip's
// result).
// RT: accel.runtime_parameters = dense<{{.*}}> : tensor<8x4xf32>

// x = 1.3. Channel 0: q = round(2.6) + 2 = 5 (real 1.5); acc = (5 - 2) * 2
// = 6 at scale 0.5 * 1; result scale 0.5 -> 6 + 0 -> 3.0; clip [0, 6] is
// [0, 12] on this grid -> 3.0. Channel 1: q = round(5.2) - 4 = 1 (real
// 1.25); acc = (1 + 4) * 3 = 15 at scale 0.25 * 2 = 0.5; result scale 1:
// 7.5 -> 8 (half to even) - 10 = -2 (real 8.0); clip's max 6 is
// round(6 / 1) - 10 = -4 on this grid -> -4 -> 6.0.
// EXEC: 3, 3
// EXEC-SAME: 6, 6

!x = !quant.uniform<i8:f32:1, {0.5:2, 0.25:-4}>
!w = !quant.uniform<i8<-127:127>:f32:0, {1.0, 2.0}>
!y = !quant.uniform<i8:f32:1, {0.5:0, 1.0:-10}>
func.func @main(%arg0: tensor<1x2x1x2xf32>) -> tensor<1x2x1x2xf32> {
  %0 = quant.qcast %arg0 : tensor<1x2x1x2xf32> to tensor<1x2x1x2x!x>
  %w = arith.constant dense<[[[[2]]], [[[3]]]]> : tensor<2x1x1x1xi8>
  %1 = quant.scast %w : tensor<2x1x1x1xi8> to tensor<2x1x1x1x!w>
  %2 = accel.conv2d %0, %1 groups 2 : (tensor<1x2x1x2x!x>, tensor<2x1x1x1x!w>) -> tensor<1x2x1x2x!y>
  %3 = accel.clip %2 min 0.0 max 6.0 : (tensor<1x2x1x2x!y>) -> tensor<1x2x1x2x!y>
  %4 = quant.dcast %3 : tensor<1x2x1x2x!y> to tensor<1x2x1x2xf32>
  return %4 : tensor<1x2x1x2xf32>
}
