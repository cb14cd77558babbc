// RUN: tandem-opt %s --accel-cost-report="target=eyeriss format=text" -o /dev/null | FileCheck %s

// Ops the array cannot run are listed with the reason, not dropped: an ONNX
// operator Tandem keeps opaque, an average pool (its divide needs special
// functions Eyeriss lacks) and a 32-bit integer product (Eyeriss takes 16
// bits). Data movement is counted, not costed. Only the relu is costed.
// CHECK: relu
// CHECK: host fallback: 3 op(s)
// CHECK-NEXT: resize (onnx_op Resize): an ONNX operator Tandem does not model
// CHECK-NEXT: gap (pool2d): needs division or exp/tanh/erf/sqrt, which the array lacks
// CHECK-NEXT: wide (matmul): 32-bit weights x 32-bit activations are not supported by the int MAC units
// CHECK-NEXT: data movement: 1 op(s)
// CHECK-NEXT: total: 1 ops,
func.func @main(%x: tensor<1x4x8x8xf32>, %a: tensor<4x4xi32>) -> (tensor<1x4x16x16xf32>, tensor<1x4x1x1xf32>, tensor<4x4xi32>, tensor<1x256xf32>, tensor<1x4x8x8xf32>) {
  %0 = accel.onnx_op "Resize"(%x) {onnx_attrs = {mode = "nearest"}} : (tensor<1x4x8x8xf32>) -> tensor<1x4x16x16xf32> loc("resize")
  %1 = accel.pool2d avg %x kernel [8, 8] : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32> loc("gap")
  %2 = accel.matmul %a, %a : (tensor<4x4xi32>, tensor<4x4xi32>) -> tensor<4x4xi32> loc("wide")
  %3 = accel.reshape %x : (tensor<1x4x8x8xf32>) -> tensor<1x256xf32> loc("flatten")
  %4 = accel.relu %x : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu")
  return %0, %1, %2, %3, %4 : tensor<1x4x16x16xf32>, tensor<1x4x1x1xf32>, tensor<4x4xi32>, tensor<1x256xf32>, tensor<1x4x8x8xf32>
}
