// RUN: tandem-opt %s --accel-lower-to-linalg | FileCheck %s --implicit-check-not=accel.
// RUN: tandem-opt %s --accel-lower-to-linalg | tandem-opt --verify-diagnostics > /dev/null

// Each accel op becomes the upstream named op where one fits (so later
// linalg transformations and the BLAS rewrite recognize it), linalg.generic
// otherwise. No accel op survives.

// Plain, grouped and depthwise convolutions pick the matching named op; the
// grouped form splits channels into (groups, channels per group).
// CHECK-LABEL: func.func @convs
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}strides = dense<1>{{.*}}tensor<1x16x8x8xf32>, tensor<8x16x3x3xf32>
// CHECK: tensor.expand_shape %{{.+}} {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 4, 4, 8, 8]
// CHECK: linalg.conv_2d_ngchw_gfchw {{.*}}tensor<1x4x4x8x8xf32>, tensor<4x2x4x3x3xf32>
// CHECK: tensor.pad %{{.+}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}}tensor<1x16x10x10xf32>, tensor<16x3x3xf32>
func.func @convs(%x: tensor<1x16x8x8xf32>, %w: tensor<8x16x3x3xf32>, %wg: tensor<8x4x3x3xf32>, %wd: tensor<16x1x3x3xf32>) -> (tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>, tensor<1x16x8x8xf32>) {
  %y = accel.conv2d %x, %w : (tensor<1x16x8x8xf32>, tensor<8x16x3x3xf32>) -> tensor<1x8x6x6xf32>
  %g = accel.conv2d %x, %wg groups 4 : (tensor<1x16x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  %d = accel.conv2d %x, %wd pads [1, 1, 1, 1] groups 16 : (tensor<1x16x8x8xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x8x8xf32>
  return %y, %g, %d : tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>, tensor<1x16x8x8xf32>
}

// A 2-D matmul stays linalg.matmul; a batched LHS against a shared RHS folds
// the batch into M (8 x 128 = 1024 rows); broadcast batch dims (2x1 vs 3) are
// materialized to 2x3 = 6 and run as one linalg.batch_matmul.
// CHECK-LABEL: func.func @matmuls
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<128x64xf32>, tensor<64x32xf32>)
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<1024x64xf32>, tensor<64x32xf32>)
// CHECK: linalg.batch_matmul ins(%{{.+}}, %{{.+}} : tensor<6x4x8xf32>, tensor<6x8x5xf32>)
// CHECK: tensor.expand_shape %{{.+}} output_shape [2, 3, 4, 5]
func.func @matmuls(%a: tensor<128x64xf32>, %b: tensor<64x32xf32>, %c: tensor<8x128x64xf32>, %d: tensor<2x1x4x8xf32>, %e: tensor<3x8x5xf32>) -> (tensor<128x32xf32>, tensor<8x128x32xf32>, tensor<2x3x4x5xf32>) {
  %0 = accel.matmul %a, %b : (tensor<128x64xf32>, tensor<64x32xf32>) -> tensor<128x32xf32>
  %1 = accel.matmul %c, %b : (tensor<8x128x64xf32>, tensor<64x32xf32>) -> tensor<8x128x32xf32>
  %2 = accel.matmul %d, %e : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
  return %0, %1, %2 : tensor<128x32xf32>, tensor<8x128x32xf32>, tensor<2x3x4x5xf32>
}

// Max pooling pads with -inf; average pooling sums, then divides by the
// number of non-pad elements of each window (count_include_pad off): a corner
// 3x3 window with one padded row and column covers 2 x 2 = 4 elements, an
// edge window 2 x 3 = 6 (0x40800000 = 4.0, 0x40C00000 = 6.0). A global pool
// divides by 112 x 112 = 12544.
// CHECK-LABEL: func.func @pools
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: linalg.pooling_nchw_max {{.*}}strides = dense<2>
// CHECK: linalg.pooling_nchw_sum {{.*}}strides = dense<2>
// CHECK: arith.constant dense<"0x000080400000C040
// CHECK: arith.divf
// CHECK: linalg.pooling_nchw_sum {{.*}}tensor<112x112xf32>
// CHECK: arith.constant dense<1.254400e+04> : tensor<1x1xf32>
func.func @pools(%x: tensor<1x64x112x112xf32>) -> (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>) {
  %0 = accel.pool2d max %x kernel [3, 3] strides [2, 2] pads [1, 1, 1, 1] : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  %1 = accel.pool2d avg %x kernel [3, 3] strides [2, 2] pads [1, 1, 1, 1] : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  %2 = accel.pool2d avg %x kernel [112, 112] : (tensor<1x64x112x112xf32>) -> tensor<1x64x1x1xf32>
  return %0, %1, %2 : tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>
}

// Elementwise ops are linalg.generic with broadcasting in the indexing maps;
// hard_swish is x * clamp(x / 6 + 0.5, 0, 1).
// CHECK-LABEL: func.func @elementwise
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK: arith.addf
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: arith.mulf
func.func @elementwise(%a: tensor<1x64x7x7xf32>, %b: tensor<1x64x1x1xf32>) -> tensor<1x64x7x7xf32> {
  %0 = accel.add %a, %b : (tensor<1x64x7x7xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x7x7xf32>
  %1 = accel.relu %0 : (tensor<1x64x7x7xf32>) -> tensor<1x64x7x7xf32>
  %2 = accel.hard_swish %1 : (tensor<1x64x7x7xf32>) -> tensor<1x64x7x7xf32>
  return %2 : tensor<1x64x7x7xf32>
}

// Softmax subtracts the row maximum before exp (numerically stable); layer
// norm computes mean and variance with reductions over the normalized axes.
// CHECK-LABEL: func.func @norms
// CHECK: arith.maximumf %{{.+}}, %{{.+}} : f32
// CHECK: arith.subf
// CHECK-NEXT: math.exp
// CHECK: arith.divf
// CHECK: math.sqrt
// CHECK: arith.constant 1.280000e+02 : f32
// CHECK: output_shape [1, 8, 1]
func.func @norms(%x: tensor<1x8x128xf32>, %g: tensor<128xf32>, %b: tensor<128xf32>) -> (tensor<1x8x128xf32>, tensor<1x8x128xf32>, tensor<1x8x1xf32>) {
  %0 = accel.softmax %x axis 2 : (tensor<1x8x128xf32>) -> tensor<1x8x128xf32>
  %1 = accel.layer_norm %0, %g, %b axis 2 : (tensor<1x8x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<1x8x128xf32>
  %2 = accel.reduce_mean %x axes [2] keepdims : (tensor<1x8x128xf32>) -> tensor<1x8x1xf32>
  return %0, %1, %2 : tensor<1x8x128xf32>, tensor<1x8x128xf32>, tensor<1x8x1xf32>
}

// Data movement maps onto tensor ops and linalg.transpose.
// CHECK-LABEL: func.func @movement
// CHECK: tensor.expand_shape %{{.+}} output_shape [1, 512]
// CHECK: linalg.transpose {{.*}}permutation = [0, 2, 1, 3]
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 0, 0] [1, 32, 28, 28]
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[0, 32, 0, 0] [1, 64, 28, 28]
// CHECK: tensor.extract_slice %{{.+}}[0, 0, 0, 0] [1, 16, 4, 4] [1, 1, 2, 2]
// CHECK: arith.constant -1.000000e+00 : f32
// CHECK: tensor.pad %{{.+}} low[0, 0, 1, 1] high[0, 0, 1, 1]
func.func @movement(%a: tensor<1x512x1x1xf32>, %b: tensor<1x128x8x32xf32>, %c: tensor<1x32x28x28xf32>, %d: tensor<1x64x28x28xf32>, %e: tensor<1x16x8x8xf32>, %f: tensor<1x3x8x8xf32>) -> (tensor<1x512xf32>, tensor<1x8x128x32xf32>, tensor<1x96x28x28xf32>, tensor<1x16x4x4xf32>, tensor<1x3x10x10xf32>) {
  %0 = accel.reshape %a : (tensor<1x512x1x1xf32>) -> tensor<1x512xf32>
  %1 = accel.transpose %b perm [0, 2, 1, 3] : (tensor<1x128x8x32xf32>) -> tensor<1x8x128x32xf32>
  %2 = accel.concat %c, %d axis 1 : (tensor<1x32x28x28xf32>, tensor<1x64x28x28xf32>) -> tensor<1x96x28x28xf32>
  %3 = accel.slice %e starts [0, 0, 0, 0] steps [1, 1, 2, 2] : (tensor<1x16x8x8xf32>) -> tensor<1x16x4x4xf32>
  %4 = accel.pad %f pads [0, 0, 1, 1, 0, 0, 1, 1] mode constant value -1.0 : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  return %0, %1, %2, %3, %4 : tensor<1x512xf32>, tensor<1x8x128x32xf32>, tensor<1x96x28x28xf32>, tensor<1x16x4x4xf32>, tensor<1x3x10x10xf32>
}
