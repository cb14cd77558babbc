// RUN: tandem-opt %s | tandem-opt | FileCheck %s
// RUN: tandem-opt %s --mlir-print-op-generic | tandem-opt | FileCheck %s

// Tests that a convolution with bias and every window attribute round-trips.
// CHECK-LABEL: func.func @conv2d_full
// CHECK: %[[Y:.+]] = accel.conv2d %{{.+}}, %{{.+}}, %{{.+}} strides [2, 2] pads [3, 3, 3, 3] dilations [1, 2] :
// CHECK-SAME: (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x109xf32>
func.func @conv2d_full(%x: tensor<1x3x224x224xf32>, %w: tensor<64x3x7x7xf32>, %b: tensor<64xf32>) -> tensor<1x64x112x109xf32> {
  %y = accel.conv2d %x, %w, %b strides [2, 2] pads [3, 3, 3, 3] dilations [1, 2]
      : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x109xf32>
  return %y : tensor<1x64x112x109xf32>
}

// Tests that default window attributes are elided and no bias is printed.
// CHECK-LABEL: func.func @conv2d_defaults
// CHECK: accel.conv2d %{{.+}}, %{{.+}} : (tensor<1x16x8x8xf32>, tensor<32x16x1x1xf32>) -> tensor<1x32x8x8xf32>
func.func @conv2d_defaults(%x: tensor<1x16x8x8xf32>, %w: tensor<32x16x1x1xf32>) -> tensor<1x32x8x8xf32> {
  %y = accel.conv2d %x, %w strides [1, 1] pads [0, 0, 0, 0] groups 1
      : (tensor<1x16x8x8xf32>, tensor<32x16x1x1xf32>) -> tensor<1x32x8x8xf32>
  return %y : tensor<1x32x8x8xf32>
}

// Tests grouped and depthwise convolutions (one op, `groups` differs).
// CHECK-LABEL: func.func @conv2d_groups
// CHECK: accel.conv2d %{{.+}}, %{{.+}} groups 4 : (tensor<1x16x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
// CHECK: accel.conv2d %{{.+}}, %{{.+}} pads [1, 1, 1, 1] groups 16 : (tensor<1x16x8x8xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x8x8xf32>
func.func @conv2d_groups(%x: tensor<1x16x8x8xf32>, %wg: tensor<8x4x3x3xf32>, %wd: tensor<16x1x3x3xf32>) -> (tensor<1x8x6x6xf32>, tensor<1x16x8x8xf32>) {
  %g = accel.conv2d %x, %wg groups 4 : (tensor<1x16x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  %d = accel.conv2d %x, %wd pads [1, 1, 1, 1] groups 16 : (tensor<1x16x8x8xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x8x8xf32>
  return %g, %d : tensor<1x8x6x6xf32>, tensor<1x16x8x8xf32>
}

// Tests that quantized element types are accepted by a convolution.
// CHECK-LABEL: func.func @conv2d_quantized
// CHECK: accel.conv2d {{.+}} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<8x4x1x1x!quant.uniform<i8:f32, 2.000000e-02>>) -> tensor<1x8x4x4xi32>
func.func @conv2d_quantized(%x: tensor<1x4x4x4x!quant.uniform<i8:f32, 0.05:-3>>, %w: tensor<8x4x1x1x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x8x4x4xi32> {
  %y = accel.conv2d %x, %w : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.05:-3>>, tensor<8x4x1x1x!quant.uniform<i8:f32, 0.02>>) -> tensor<1x8x4x4xi32>
  return %y : tensor<1x8x4x4xi32>
}

// Tests plain, batched and broadcast-batch matrix products.
// CHECK-LABEL: func.func @matmul
// CHECK: accel.matmul %{{.+}}, %{{.+}} : (tensor<128x64xf32>, tensor<64x32xf32>) -> tensor<128x32xf32>
// CHECK: accel.matmul %{{.+}}, %{{.+}} : (tensor<8x128x64xf32>, tensor<64x32xf32>) -> tensor<8x128x32xf32>
// CHECK: accel.matmul %{{.+}}, %{{.+}} : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
func.func @matmul(%a: tensor<128x64xf32>, %b: tensor<64x32xf32>, %c: tensor<8x128x64xf32>,
                  %d: tensor<2x1x4x8xf32>, %e: tensor<3x8x5xf32>) -> (tensor<128x32xf32>, tensor<8x128x32xf32>, tensor<2x3x4x5xf32>) {
  %0 = accel.matmul %a, %b : (tensor<128x64xf32>, tensor<64x32xf32>) -> tensor<128x32xf32>
  %1 = accel.matmul %c, %b : (tensor<8x128x64xf32>, tensor<64x32xf32>) -> tensor<8x128x32xf32>
  %2 = accel.matmul %d, %e : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
  return %0, %1, %2 : tensor<128x32xf32>, tensor<8x128x32xf32>, tensor<2x3x4x5xf32>
}

// Tests max, average (with ceil mode and count_include_pad) and global pooling.
// CHECK-LABEL: func.func @pool2d
// CHECK: accel.pool2d max %{{.+}} kernel [3, 3] strides [2, 2] pads [1, 1, 1, 1] : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
// CHECK: accel.pool2d avg %{{.+}} kernel [3, 3] strides [2, 2] ceil_mode count_include_pad : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
// CHECK: accel.pool2d avg %{{.+}} kernel [112, 112] : (tensor<1x64x112x112xf32>) -> tensor<1x64x1x1xf32>
// CHECK: accel.pool2d max %{{.+}} kernel [2, 2] dilations [2, 2] : (tensor<1x64x112x112xf32>) -> tensor<1x64x110x110xf32>
func.func @pool2d(%x: tensor<1x64x112x112xf32>) -> (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>, tensor<1x64x110x110xf32>) {
  %0 = accel.pool2d max %x kernel [3, 3] strides [2, 2] pads [1, 1, 1, 1] : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  // ceil((112 - 3) / 2) + 1 = 56.
  %1 = accel.pool2d avg %x kernel [3, 3] strides [2, 2] ceil_mode count_include_pad : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  %2 = accel.pool2d avg %x kernel [112, 112] : (tensor<1x64x112x112xf32>) -> tensor<1x64x1x1xf32>
  %3 = accel.pool2d max %x kernel [2, 2] dilations [2, 2] : (tensor<1x64x112x112xf32>) -> tensor<1x64x110x110xf32>
  return %0, %1, %2, %3 : tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>, tensor<1x64x110x110xf32>
}

// Tests every binary elementwise op, with and without broadcasting.
// CHECK-LABEL: func.func @binary
// CHECK: accel.add %{{.+}}, %{{.+}} : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
// CHECK: accel.sub %{{.+}}, %{{.+}} : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x56x56xf32>
// CHECK: accel.mul %{{.+}}, %{{.+}} : (tensor<1x64x1x1xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
// CHECK: accel.div %{{.+}}, %{{.+}} : (tensor<1x64x56x56xf32>, tensor<f32>) -> tensor<1x64x56x56xf32>
// CHECK: accel.pow %{{.+}}, %{{.+}} : (tensor<56xf32>, tensor<1x64x56x1xf32>) -> tensor<1x64x56x56xf32>
func.func @binary(%a: tensor<1x64x56x56xf32>, %b: tensor<1x64x1x1xf32>, %s: tensor<f32>, %r: tensor<56xf32>, %c: tensor<1x64x56x1xf32>) -> tensor<1x64x56x56xf32> {
  %0 = accel.add %a, %a : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %1 = accel.sub %0, %b : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x56x56xf32>
  %2 = accel.mul %b, %1 : (tensor<1x64x1x1xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %3 = accel.div %2, %s : (tensor<1x64x56x56xf32>, tensor<f32>) -> tensor<1x64x56x56xf32>
  %4 = accel.pow %r, %c : (tensor<56xf32>, tensor<1x64x56x1xf32>) -> tensor<1x64x56x56xf32>
  return %4 : tensor<1x64x56x56xf32>
}

// Tests every unary elementwise op and its attributes.
// CHECK-LABEL: func.func @unary
// CHECK: accel.relu %{{.+}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.leaky_relu %{{.+}} alpha 1.000000e-01 : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.leaky_relu %{{.+}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.clip %{{.+}} min 0.000000e+00 max 6.000000e+00 : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.clip %{{.+}} max 1.000000e+00 : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.sigmoid %{{.+}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.hard_sigmoid %{{.+}} alpha 0.166666672 : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.hard_swish %{{.+}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.tanh %{{.+}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.erf %{{.+}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.exp %{{.+}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.sqrt %{{.+}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: accel.neg %{{.+}} : (tensor<2x8xf32>) -> tensor<2x8xf32>
func.func @unary(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = accel.relu %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = accel.leaky_relu %0 alpha 0.1 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = accel.leaky_relu %1 alpha 0.01 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %3 = accel.clip %2 min 0.0 max 6.0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = accel.clip %3 max 1.0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %5 = accel.sigmoid %4 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %6 = accel.hard_sigmoid %5 alpha 0.166666672 beta 0.5 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %7 = accel.hard_swish %6 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %8 = accel.tanh %7 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %9 = accel.erf %8 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %10 = accel.exp %9 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %11 = accel.sqrt %10 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %12 = accel.neg %11 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %12 : tensor<2x8xf32>
}

// Tests softmax, layer norm (with and without bias) and batch norm; the
// default epsilon (1e-5) is elided.
// CHECK-LABEL: func.func @normalization
// CHECK: accel.softmax %{{.+}} axis 2 : (tensor<1x8x128xf32>) -> tensor<1x8x128xf32>
// CHECK: accel.layer_norm %{{.+}}, %{{.+}}, %{{.+}} axis 2 : (tensor<1x8x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<1x8x128xf32>
// CHECK: accel.layer_norm %{{.+}}, %{{.+}} axis 1 epsilon 1.000000e-03 : (tensor<1x8x128xf32>, tensor<8x128xf32>) -> tensor<1x8x128xf32>
// CHECK: accel.batch_norm %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
func.func @normalization(%x: tensor<1x8x128xf32>, %g: tensor<128xf32>, %b: tensor<128xf32>, %g2: tensor<8x128xf32>,
                         %i: tensor<1x8x4x4xf32>, %s: tensor<8xf32>) -> (tensor<1x8x128xf32>, tensor<1x8x4x4xf32>) {
  %0 = accel.softmax %x axis 2 : (tensor<1x8x128xf32>) -> tensor<1x8x128xf32>
  %1 = accel.layer_norm %0, %g, %b axis 2 : (tensor<1x8x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<1x8x128xf32>
  %2 = accel.layer_norm %1, %g2 axis 1 epsilon 1.0e-3 : (tensor<1x8x128xf32>, tensor<8x128xf32>) -> tensor<1x8x128xf32>
  %3 = accel.batch_norm %i, %s, %s, %s, %s epsilon 1.0e-5 : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return %2, %3 : tensor<1x8x128xf32>, tensor<1x8x4x4xf32>
}

// Tests reductions with and without keepdims.
// CHECK-LABEL: func.func @reduce
// CHECK: accel.reduce_mean %{{.+}} axes [2, 3] keepdims : (tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32>
// CHECK: accel.reduce_sum %{{.+}} axes [1] : (tensor<1x512x7x7xf32>) -> tensor<1x7x7xf32>
func.func @reduce(%x: tensor<1x512x7x7xf32>) -> (tensor<1x512x1x1xf32>, tensor<1x7x7xf32>) {
  %0 = accel.reduce_mean %x axes [2, 3] keepdims : (tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32>
  %1 = accel.reduce_sum %x axes [1] : (tensor<1x512x7x7xf32>) -> tensor<1x7x7xf32>
  return %0, %1 : tensor<1x512x1x1xf32>, tensor<1x7x7xf32>
}

// Tests the layout and data-movement ops.
// CHECK-LABEL: func.func @data_movement
// CHECK: accel.reshape %{{.+}} : (tensor<1x512x1x1xf32>) -> tensor<1x512xf32>
// CHECK: accel.transpose %{{.+}} perm [0, 2, 1, 3] : (tensor<1x128x8x32xf32>) -> tensor<1x8x128x32xf32>
// CHECK: accel.concat %{{.+}}, %{{.+}} axis 1 : (tensor<1x32x28x28xf32>, tensor<1x64x28x28xf32>) -> tensor<1x96x28x28xf32>
// CHECK: accel.slice %{{.+}} starts [0, 15, 0, 0] steps [1, -1, 2, 2] : (tensor<1x16x8x8xf32>) -> tensor<1x16x4x4xf32>
// CHECK: accel.pad %{{.+}} pads [0, 0, 1, 1, 0, 0, 1, 1] mode reflect : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
// CHECK: accel.pad %{{.+}} pads [0, 0, 2, 0, 0, 0, 0, 2] value -1.000000e+00 : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
func.func @data_movement(%a: tensor<1x512x1x1xf32>, %b: tensor<1x128x8x32xf32>, %c: tensor<1x32x28x28xf32>,
                         %d: tensor<1x64x28x28xf32>, %e: tensor<1x16x8x8xf32>, %f: tensor<1x3x8x8xf32>) {
  %0 = accel.reshape %a : (tensor<1x512x1x1xf32>) -> tensor<1x512xf32>
  %1 = accel.transpose %b perm [0, 2, 1, 3] : (tensor<1x128x8x32xf32>) -> tensor<1x8x128x32xf32>
  %2 = accel.concat %c, %d axis 1 : (tensor<1x32x28x28xf32>, tensor<1x64x28x28xf32>) -> tensor<1x96x28x28xf32>
  %3 = accel.slice %e starts [0, 15, 0, 0] steps [1, -1, 2, 2] : (tensor<1x16x8x8xf32>) -> tensor<1x16x4x4xf32>
  %4 = accel.pad %f pads [0, 0, 1, 1, 0, 0, 1, 1] mode reflect : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  %5 = accel.pad %f pads [0, 0, 2, 0, 0, 0, 0, 2] mode constant value -1.0 : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  return
}

// Tests compare, select and cast.
// CHECK-LABEL: func.func @compare_select_cast
// CHECK: %[[M:.+]] = accel.equal %{{.+}}, %{{.+}} : (tensor<1x16xi64>, tensor<i64>) -> tensor<1x16xi1>
// CHECK: accel.where %{{.+}}, %{{.+}}, %{{.+}} : (tensor<1x1x16xi1>, tensor<1x16x16xf32>, tensor<f32>) -> tensor<1x16x16xf32>
// CHECK: accel.cast %{{.+}} : (tensor<1x16x16xf32>) -> tensor<1x16x16xf16>
func.func @compare_select_cast(%ids: tensor<1x16xi64>, %pad: tensor<i64>, %mask: tensor<1x1x16xi1>,
                               %x: tensor<1x16x16xf32>, %ninf: tensor<f32>) -> tensor<1x16x16xf16> {
  %0 = accel.equal %ids, %pad : (tensor<1x16xi64>, tensor<i64>) -> tensor<1x16xi1>
  %1 = accel.where %mask, %x, %ninf : (tensor<1x1x16xi1>, tensor<1x16x16xf32>, tensor<f32>) -> tensor<1x16x16xf32>
  %2 = accel.cast %1 : (tensor<1x16x16xf32>) -> tensor<1x16x16xf16>
  return %2 : tensor<1x16x16xf16>
}

// Tests broadcast, gather (with rank-0 and rank-2 indices) and onnx_op.
// CHECK-LABEL: func.func @broadcast_gather_onnx_op
// CHECK: accel.broadcast %{{.+}} : (tensor<64x1xf32>) -> tensor<8x64x16xf32>
// CHECK: accel.gather %{{.+}}, %{{.+}} axis 0 : (tensor<100x8xf32>, tensor<1x16xi64>) -> tensor<1x16x8xf32>
// CHECK: accel.gather %{{.+}}, %{{.+}} axis 1 : (tensor<100x8xf32>, tensor<i64>) -> tensor<100xf32>
// CHECK: accel.onnx_op "Resize"(%{{.+}}) {onnx_attrs = {mode = "nearest"}} : (tensor<64x1xf32>) -> tensor<128x2xf32>
func.func @broadcast_gather_onnx_op(%x: tensor<64x1xf32>, %t: tensor<100x8xf32>, %ids: tensor<1x16xi64>, %i: tensor<i64>) {
  %0 = accel.broadcast %x : (tensor<64x1xf32>) -> tensor<8x64x16xf32>
  %1 = accel.gather %t, %ids axis 0 : (tensor<100x8xf32>, tensor<1x16xi64>) -> tensor<1x16x8xf32>
  %2 = accel.gather %t, %i axis 1 : (tensor<100x8xf32>, tensor<i64>) -> tensor<100xf32>
  %3 = accel.onnx_op "Resize"(%x) {onnx_attrs = {mode = "nearest"}} : (tensor<64x1xf32>) -> tensor<128x2xf32>
  return
}
