// RUN: tandem-opt %s -split-input-file -verify-diagnostics

!x = !quant.uniform<i8:f32, 0.01:-128>
!y = !quant.uniform<i8:f32, 0.02:-128>
!pot = !quant.uniform<i5<-8:8>:f32:0, {0.125, 0.125}>

// Tests that a weight the encoding cannot hold is named with its index.
func.func @not_a_power_of_two(%x: tensor<1x2x1x1x!x>) -> tensor<1x2x1x1x!y> {
  %c = arith.constant dense<[[[[8]], [[-4]]], [[[3]], [[0]]]]> : tensor<2x2x1x1xi5>
  %w = quant.scast %c : tensor<2x2x1x1xi5> to tensor<2x2x1x1x!pot>
  // expected-error @+1 {{weight 2 is 3, which PoT-3 cannot hold (it holds 0 or +-2^k up to +-8)}}
  %y = accel.conv2d %x, %w {accel.weight_encoding = #accel.weight_encoding<pot, bits = 3, terms = 3>} : (tensor<1x2x1x1x!x>, tensor<2x2x1x1x!pot>) -> tensor<1x2x1x1x!y>
  return %y : tensor<1x2x1x1x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.01:-128>
!y = !quant.uniform<i8:f32, 0.02:-128>
!pot = !quant.uniform<i5<-8:8>:f32:0, {0.125, 0.125}>

// Tests that the terms must be what the weights hold (8, -4, 1: three).
func.func @wrong_terms(%x: tensor<1x2x1x1x!x>) -> tensor<1x2x1x1x!y> {
  %c = arith.constant dense<[[[[8]], [[-4]]], [[[1]], [[0]]]]> : tensor<2x2x1x1xi5>
  %w = quant.scast %c : tensor<2x2x1x1xi5> to tensor<2x2x1x1x!pot>
  // expected-error @+1 {{'accel.weight_encoding' says terms = 4, but the weights have 3 non-zero terms}}
  %y = accel.conv2d %x, %w {accel.weight_encoding = #accel.weight_encoding<pot, bits = 3, terms = 4>} : (tensor<1x2x1x1x!x>, tensor<2x2x1x1x!pot>) -> tensor<1x2x1x1x!y>
  return %y : tensor<1x2x1x1x!y>
}

// -----

!w8 = !quant.uniform<i8<-127:127>:f32:1, {0.01, 0.01}>
!x = !quant.uniform<i8:f32, 0.01:-128>
!y = !quant.uniform<i8:f32, 0.02:-128>

// Tests the digit limit: 45 = 64 - 16 - 4 + 1 has four digits.
func.func @too_many_digits(%x: tensor<1x2x!x>) -> tensor<1x2x!y> {
  %c = arith.constant dense<[[127, -45], [-7, 96]]> : tensor<2x2xi8>
  %w = quant.scast %c : tensor<2x2xi8> to tensor<2x2x!w8>
  // expected-error @+1 {{weight 1 is -45, which CSD8-2 cannot hold (it holds integers in +-127 with at most 2 non-zero CSD digits)}}
  %y = accel.matmul %x, %w {accel.weight_encoding = #accel.weight_encoding<csd, bits = 8, digits = 2, terms = 10>} : (tensor<1x2x!x>, tensor<2x2x!w8>) -> tensor<1x2x!y>
  return %y : tensor<1x2x!y>
}

// -----

// Tests that the product of two activations has no weights to encode.
func.func @two_activations(%a: tensor<1x2xf32>, %b: tensor<2x2xf32>) -> tensor<1x2xf32> {
  // expected-error @+1 {{has an 'accel.weight_encoding', but it multiplies two activations, not an activation by constant weights}}
  %y = accel.matmul %a, %b {accel.weight_encoding = #accel.weight_encoding<csd, bits = 8, terms = 0>} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Tests that float weights are not encoded weights.
func.func @float_weights(%a: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [4.0, 8.0]]> : tensor<2x2xf32>
  // expected-error @+1 {{'accel.weight_encoding' needs quantized signed integer weights, got 'f32'}}
  %y = accel.matmul %a, %w {accel.weight_encoding = #accel.weight_encoding<pot, bits = 5, terms = 4>} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

!x = !quant.uniform<i8:f32, 0.01:-128>
!y = !quant.uniform<i8:f32, 0.02:-128>
!asym = !quant.uniform<i8:f32, 0.01:3>

// Tests that weights with a zero point cannot be shifted and added.
func.func @asymmetric(%x: tensor<1x2x!x>) -> tensor<1x2x!y> {
  %c = arith.constant dense<[[1, 2], [4, 8]]> : tensor<2x2xi8>
  %w = quant.scast %c : tensor<2x2xi8> to tensor<2x2x!asym>
  // expected-error @+1 {{'accel.weight_encoding' needs symmetric weights (zero point 0)}}
  %y = accel.matmul %x, %w {accel.weight_encoding = #accel.weight_encoding<pot, bits = 5, terms = 4>} : (tensor<1x2x!x>, tensor<2x2x!asym>) -> tensor<1x2x!y>
  return %y : tensor<1x2x!y>
}

// -----

// Tests that an elementwise op has nothing to encode.
func.func @relu(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{has an 'accel.weight_encoding', but it multiplies nothing (not a convolution or matrix product)}}
  %y = accel.relu %a {accel.weight_encoding = #accel.weight_encoding<pot, bits = 5, terms = 0>} : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Tests the widths each encoding takes.
// expected-error @+1 {{pot takes 2 to 5 bits (sign and exponent), got 6}}
func.func @wide_pot() attributes {e = #accel.weight_encoding<pot, bits = 6, terms = 0>} {
  return
}

// -----

// expected-error @+1 {{unknown encoding 'shift': expected multiply, pot, apot, csd or csd-T}}
func.func @unknown() attributes {e = #accel.weight_encoding<shift, bits = 6, terms = 0>} {
  return
}
