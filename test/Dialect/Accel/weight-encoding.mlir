// RUN: tandem-opt %s | tandem-opt | FileCheck %s

// Tests that #accel.weight_encoding round-trips and that the verifier
// accepts integers each encoding holds.
// PoT-3: 0 or +-2^k, k in [0, 3]: 8, -4, 1, 0 hold 3 terms.
!x = !quant.uniform<i8:f32, 0.01:-128>
!y = !quant.uniform<i8:f32, 0.02:-128>
!pot = !quant.uniform<i5<-8:8>:f32:0, {0.125, 0.125}>
// CHECK-LABEL: func.func @pot
// CHECK: accel.weight_encoding = #accel.weight_encoding<pot, bits = 3, terms = 3>
func.func @pot(%x: tensor<1x2x1x1x!x>) -> tensor<1x2x1x1x!y> {
  %c = arith.constant dense<[[[[8]], [[-4]]], [[[1]], [[0]]]]> : tensor<2x2x1x1xi5>
  %w = quant.scast %c : tensor<2x2x1x1xi5> to tensor<2x2x1x1x!pot>
  %y = accel.conv2d %x, %w {accel.weight_encoding = #accel.weight_encoding<pot, bits = 3, terms = 3>} : (tensor<1x2x1x1x!x>, tensor<2x2x1x1x!pot>) -> tensor<1x2x1x1x!y>
  return %y : tensor<1x2x1x1x!y>
}

// APoT-5: sums of {0, 32, 8, 2} and {0, 16, 4, 1}: 48 = 32 + 16, 18 =
// 16 + 2, 3 = 2 + 1, 9 = 8 + 1: 8 terms.
!apot = !quant.uniform<i7<-48:48>:f32:0, {0.02, 0.02}>
// CHECK-LABEL: func.func @apot
// CHECK: #accel.weight_encoding<apot, bits = 5, terms = 8>
func.func @apot(%x: tensor<1x2x1x1x!x>) -> tensor<1x2x1x1x!y> {
  %c = arith.constant dense<[[[[48]], [[-18]]], [[[3]], [[-9]]]]> : tensor<2x2x1x1xi7>
  %w = quant.scast %c : tensor<2x2x1x1xi7> to tensor<2x2x1x1x!apot>
  %y = accel.conv2d %x, %w {accel.weight_encoding = #accel.weight_encoding<apot, bits = 5, terms = 8>} : (tensor<1x2x1x1x!x>, tensor<2x2x1x1x!apot>) -> tensor<1x2x1x1x!y>
  return %y : tensor<1x2x1x1x!y>
}

// CSD of int8 with at most 2 digits: 127 = 128 - 1, -48 = -64 + 16,
// -7 = -8 + 1, 96 = 128 - 32: 8 terms (a matrix product's weights).
!w8 = !quant.uniform<i8<-127:127>:f32:1, {0.01, 0.01}>
!xm = !quant.uniform<i8:f32, 0.01:-128>
// CHECK-LABEL: func.func @csd
// CHECK: #accel.weight_encoding<csd, bits = 8, digits = 2, terms = 8>
func.func @csd(%x: tensor<1x2x!xm>) -> tensor<1x2x!y> {
  %c = arith.constant dense<[[127, -48], [-7, 96]]> : tensor<2x2xi8>
  %w = quant.scast %c : tensor<2x2xi8> to tensor<2x2x!w8>
  %y = accel.matmul %x, %w {accel.weight_encoding = #accel.weight_encoding<csd, bits = 8, digits = 2, terms = 8>} : (tensor<1x2x!xm>, tensor<2x2x!w8>) -> tensor<1x2x!y>
  return %y : tensor<1x2x!y>
}
