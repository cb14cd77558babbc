// RUN: tandem-opt %s --accel-conv-to-gemm | FileCheck %s

// A 3x3 stride-2 convolution over 3 channels gathers each window into a
// (C*R*S) x (P*Q) = 27 x 9 matrix; the filter is viewed as K x (C*R*S) =
// 4 x 27, so the product is 4 x 9 = K x (P*Q). The im2col map reads input
// row 2*p + r and column 2*q + s.
// CHECK-DAG: #[[IM2COL:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4 * 2 + d2, d5 * 2 + d3)>
// CHECK-LABEL: func.func @conv
// CHECK: linalg.generic {indexing_maps = [#[[IM2COL]], {{.+}}]
// CHECK: } -> tensor<1x3x3x3x3x3xf32>
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<4x27xf32>, tensor<27x9xf32>) outs(%{{.+}} : tensor<4x9xf32>)
// CHECK: tensor.expand_shape %{{.+}} output_shape [1, 4, 3, 3]
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %o: tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) outs(%o : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// A 1x1 unit-stride convolution needs no im2col: the input already is the
// C x (P*Q) matrix. With N = 2 every image shares the filter: the batched
// product's indexing map broadcasts it (no copy per image): its first
// operand is the 32x16 filter itself.
// CHECK-LABEL: func.func @pointwise
// CHECK-NOT: linalg.generic
// CHECK-NOT: linalg.broadcast
// CHECK: tensor.collapse_shape %{{.+}} {{\[\[}}0], [1], [2, 3]] : tensor<2x16x7x7xf32> into tensor<2x16x49xf32>
// CHECK: linalg.batch_matmul indexing_maps = [#{{.+}}] ins(%{{.+}}, %{{.+}} : tensor<32x16xf32>, tensor<2x16x49xf32>)
func.func @pointwise(%x: tensor<2x16x7x7xf32>, %w: tensor<32x16x1x1xf32>, %o: tensor<2x32x7x7xf32>) -> tensor<2x32x7x7xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<2x16x7x7xf32>, tensor<32x16x1x1xf32>) outs(%o : tensor<2x32x7x7xf32>) -> tensor<2x32x7x7xf32>
  return %0 : tensor<2x32x7x7xf32>
}

// Integer convolutions are left alone (BLAS is f32 only).
// CHECK-LABEL: func.func @int
// CHECK-NEXT: linalg.conv_2d_nchw_fchw
func.func @int(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xi8>, %o: tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32> {
  %0 = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x3x8x8xi8>, tensor<4x3x3x3xi8>) outs(%o : tensor<1x4x6x6xi32>) -> tensor<1x4x6x6xi32>
  return %0 : tensor<1x4x6x6xi32>
}
