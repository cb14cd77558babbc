// --accel-shift-add on a quantized 1x1 convolution with K = C = 2, worked by
// hand; then its integer execution, the cost of the encoded layer, and the
// pass's errors.
// RUN: tandem-opt %s --accel-shift-add="encoding=pot bits=3 clipping=minmax" | FileCheck %s --check-prefix=POT
// RUN: tandem-opt %s --accel-shift-add="encoding=apot clipping=minmax" | FileCheck %s --check-prefix=APOT
// RUN: tandem-opt %s --accel-shift-add="encoding=csd-2 clipping=minmax layers=conv" | FileCheck %s --check-prefix=CSD2
// RUN: tandem-opt %s --accel-shift-add="encoding=csd-1 clipping=minmax" | FileCheck %s --check-prefix=CSD1
// RUN: tandem-opt %s --accel-shift-add="encoding=pot bits=3 clipping=minmax" -o %t.pot.mlir
// RUN: tandem-run %t.pot.mlir --values input0=0.37 --print | FileCheck %s --check-prefix=POTEXEC
// RUN: tandem-opt %s --accel-shift-add="encoding=apot clipping=minmax" -o %t.apot.mlir
// RUN: tandem-run %t.apot.mlir --values input0=0.37 --print | FileCheck %s --check-prefix=APOTEXEC

// The weights' real values are q / 127: channel 0 [1, -45/127 = -0.3543],
// channel 1 [1, 7/127 = 0.0551]; the bias [0.5, -0.25] on the accumulator
// grid 0.01 / 127. clipping=minmax: each channel's scale is its largest
// magnitude over the encoding's top integer.

// PoT-3 (p in [-3, 0], integers up to 8): scale 1/8. -0.3543 * 8 = -2.83,
// log2 2.83 = 1.503 -> 2^2 = 4; 0.0551 * 8 = 0.44 < 1/2 -> 0. Three terms.
// The bias moves to the grid 0.01 * 0.125: 0.5 -> 400, -0.25 -> -200.
// POT: arith.constant dense<{{\[\[\[\[}}8]], {{\[\[}}-4]]], {{\[\[\[}}8]], {{\[\[}}0]]]]> : tensor<2x2x1x1xi5>
// POT: !quant.uniform<i5<-8:8>:f32:0, {1.250000e-01,1.250000e-01}>
// POT: arith.constant dense<[400, -200]> : tensor<2xi32>
// POT: accel.conv2d {{.*}} {accel.weight_encoding = #accel.weight_encoding<pot, bits = 3, terms = 3>}

// APoT-5 (levels {0, 32, 8, 2} + {0, 16, 4, 1}, top 48): scale 1/48.
// -0.3543 * 48 = -17.01: 18 = 16 + 2 is nearer than 16; 0.0551 * 48 = 2.65
// -> 3 = 2 + 1; 48 = 32 + 16. Eight terms. Bias: 0.5 / (0.01 / 48) = 2400.
// APOT: arith.constant dense<{{\[\[\[\[}}48]], {{\[\[}}-18]]], {{\[\[\[}}48]], {{\[\[}}3]]]]> : tensor<2x2x1x1xi7>
// APOT: arith.constant dense<[2400, -1200]> : tensor<2xi32>
// APOT: #accel.weight_encoding<apot, bits = 5, terms = 8>

// CSD with at most 2 digits, int8 (scale 1/127 again): 127 = 128 - 1 and
// 7 = 8 - 1 keep; -45 = -(64 - 16 - 4 + 1) has four digits: the nearest
// with two is -48 = -(64 - 16) (-44 and -46 have three). Eight terms.
// CSD2: arith.constant dense<{{\[\[\[\[}}127]], {{\[\[}}-48]]], {{\[\[\[}}127]], {{\[\[}}7]]]]> : tensor<2x2x1x1xi8>
// CSD2: arith.constant dense<[6350, -3175]> : tensor<2xi32>
// CSD2: #accel.weight_encoding<csd, bits = 8, digits = 2, terms = 8>

// One digit: 128 is out of int8's range, so the top is 64 (scale 1/64).
// -0.3543 * 64 = -22.7 -> -23, whose nearest one-digit value is -16 (-32 is
// 9 away); 0.0551 * 64 = 3.53 -> 4.
// CSD1: arith.constant dense<{{\[\[\[\[}}64]], {{\[\[}}-16]]], {{\[\[\[}}64]], {{\[\[}}4]]]]> : tensor<2x2x1x1xi8>
// CSD1: !quant.uniform<i8<-64:64>:f32:0, {1.562500e-02,1.562500e-02}>
// CSD1: #accel.weight_encoding<csd, bits = 8, digits = 1, terms = 4>

// Execution, x = 0.37 (37 above the zero point), integers:
// PoT: channel 0: 37 * 8 - 37 * 4 + 400 = 548, times 0.01 * 0.125 / 0.02 =
// 1/16: 34.25 -> 34 -> 0.68; channel 1: 296 - 200 = 96 -> 6 -> 0.12.
// POTEXEC: 0.68, 0.68
// POTEXEC: 0.12, 0.12
// APoT: channel 0: 37 * 48 - 37 * 18 + 2400 = 3510, times 0.01 / 48 / 0.02:
// 36.56 -> 37 -> 0.74; channel 1: 37 * 51 - 1200 = 687 -> 7.16 -> 0.14.
// APOTEXEC: 0.74, 0.74
// APOTEXEC: 0.14, 0.14

!x = !quant.uniform<i8:f32, 0.01:-128>
!y = !quant.uniform<i8:f32, 0.02:-128>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.0078740157186985016, 0.0078740157186985016}>
!b = !quant.uniform<i32:f32:0, {7.8740157186985016E-5, 7.8740157186985016E-5}>
func.func @main(%arg0: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %0 = quant.qcast %arg0 : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!x>
  %c = arith.constant dense<[[[[127]], [[-45]]], [[[127]], [[7]]]]> : tensor<2x2x1x1xi8>
  %w = quant.scast %c : tensor<2x2x1x1xi8> to tensor<2x2x1x1x!w>
  %cb = arith.constant dense<[6350, -3175]> : tensor<2xi32>
  %b = quant.scast %cb : tensor<2xi32> to tensor<2x!b>
  %1 = accel.conv2d %0, %w, %b : (tensor<1x2x2x2x!x>, tensor<2x2x1x1x!w>, tensor<2x!b>) -> tensor<1x2x2x2x!y> loc("conv")
  %2 = quant.dcast %1 : tensor<1x2x2x2x!y> to tensor<1x2x2x2xf32>
  return %2 : tensor<1x2x2x2xf32>
}
