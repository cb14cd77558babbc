// What --export-onnx-qdq refuses, naming the op, with no output file.
// RUN: rm -f %t.onnx
// RUN: not tandem-translate --export-onnx-qdq %s --split-input-file -o %t.onnx 2>&1 | FileCheck %s
// RUN: not test -e %t.onnx

// CHECK: error: can export signed uniform quantized types only, got '!quant.uniform<u8:f32, 1.000000e-01:128>'
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<u8:f32, 0.1:128>>
  %d = quant.dcast %q : tensor<4x!quant.uniform<u8:f32, 0.1:128>> to tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// CHECK: error: cannot export a 16-bit quantized tensor: ONNX opset 13 QuantizeLinear stores int8 or uint8 only
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i16:f32, 0.1>>
  %d = quant.dcast %q : tensor<4x!quant.uniform<i16:f32, 0.1>> to tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// CHECK: error: cannot export 'accel.softmax' to ONNX QDQ
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = accel.softmax %x axis 0 : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
