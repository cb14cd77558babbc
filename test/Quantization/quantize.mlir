// The quantize pass on a conv + relu whose statistics are given by hand:
// input range [0, 2.55] -> asymmetric 8 bits, scale 2.55 / 255 = 0.01,
// zero point -128; relu output [0, 5.1] -> scale 0.02, zero point -128 (the
// conv's result takes the relu's range: they share one type); weights 0.5
// and -0.25 (and 0.5, 0) -> symmetric narrow, scale 0.5 / 127 per channel,
// integers 127, -64 (and 127, 0); the
// bias 0.01 at scale 0.01 * 0.5 / 127 -> round(254.0) = 254.
// RUN: tandem-opt %s --accel-quantize="weight-bits=8 activation-bits=8" | FileCheck %s
// RUN: tandem-opt %s --accel-quantize="weight-bits=4 activation-bits=8" | FileCheck %s --check-prefix=W4
// RUN: not tandem-opt %s --accel-quantize="weight-bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: echo '{"layers": {"nope": {"weight_bits": 4}}}' > %t.json
// RUN: not tandem-opt %s --accel-quantize="policy=%t.json" 2>&1 | FileCheck %s --check-prefix=LAYER
// RUN: echo '{"default": {"weight_bits": 4, "activaton_bits": 4}}' > %t.typo.json
// RUN: not tandem-opt %s --accel-quantize="policy=%t.typo.json" 2>&1 | FileCheck %s --check-prefix=FIELD
// RUN: echo '{"default": {"weight_bits": 4' > %t.bad.json
// RUN: not tandem-opt %s --accel-quantize="policy=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=JSON
// RUN: echo '{"layers": {"conv": {"weight_bits": 16, "activation_bits": 8}}}' > %t.wide.json
// RUN: not tandem-opt %s --accel-quantize="policy=%t.wide.json target=bitfusion" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not tandem-opt %s --accel-quantize="policy=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// The policy route to shift-add weights (docs/shift-add.md), and its errors.
// RUN: echo '{"weights": {"clipping": "minmax"}, "layers": {"conv": {"weight_bits": 5, "encoding": "pot"}}}' > %t.pot.json
// RUN: tandem-opt %s --accel-quantize="policy=%t.pot.json" | FileCheck %s --check-prefix=POT
// RUN: echo '{"layers": {"conv": {"weight_bits": 8, "encoding": "pot"}}}' > %t.pot8.json
// RUN: not tandem-opt %s --accel-quantize="policy=%t.pot8.json" 2>&1 | FileCheck %s --check-prefix=POT8
// RUN: echo '{"weights": {"symmetric": false}, "default": {"encoding": "csd-2"}}' > %t.asym.json
// RUN: not tandem-opt %s --accel-quantize="policy=%t.asym.json" 2>&1 | FileCheck %s --check-prefix=ASYM
// RUN: echo '{"default": {"encoding": "shift"}}' > %t.shift.json
// RUN: not tandem-opt %s --accel-quantize="policy=%t.shift.json" 2>&1 | FileCheck %s --check-prefix=SHIFT

// CHECK: quant.qcast %{{.*}} : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 0.0099999997764825821:-128>>
// CHECK: arith.constant dense<{{\[+}}127, -64]]], {{\[+}}127, 0]]]]> : tensor<2x1x1x2xi8>
// CHECK: quant.scast {{.*}} to tensor<2x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {0.0039370078593492508,0.0039370078593492508}>>
// CHECK: arith.constant dense<[254, 0]> : tensor<2xi32>
// CHECK: accel.conv2d {{.*}} -> tensor<1x2x4x3x!quant.uniform<i8:f32, 0.019999999552965164:-128>>
// CHECK: accel.relu {{.*}} -> tensor<1x2x4x3x!quant.uniform<i8:f32, 0.019999999552965164:-128>>
// CHECK: quant.dcast {{.*}} to tensor<1x2x4x3xf32>
// W4: tensor<2x1x1x2xi4>
// MSE clipping: channel 0 (0.5, -0.25) at 4 bits is better served by scale
// 0.97 * 0.5 / 7 (squared error 0.0009 instead of 0.0013); channel 1 keeps 0.5 / 7.
// W4: !quant.uniform<i4<-7:7>:f32:0, {0.069285713136196136,0.071428574621677399}>
// BITS: weight-bits and activation-bits must be 2..8 or 16, got 9 and 8
// LAYER: .json: field 'layers.nope': the model has no convolution or matrix product named 'nope' (layers: conv)
// FIELD: .typo.json: field 'default.activaton_bits': unknown field (known: weight_bits, activation_bits, encoding)
// JSON: .bad.json: malformed JSON
// TARGET: .wide.json: layer 'conv' at W16A8: target 'bitfusion' cannot run these widths
// MISSING: missing.json
// PoT-5 (p in [-15, 0]) with one scale per channel, its largest weight 0.5
// over 2^15: -0.25 is 2^14 of them; the integers need 17 bits. The bias
// 0.01 on the grid 0.01 * 0.5 / 2^15: 65536.
// POT: arith.constant dense<{{\[+}}32768, -16384]]], {{\[+}}32768, 0]]]]> : tensor<2x1x1x2xi17>
// POT: !quant.uniform<i17<-32768:32768>:f32:0, {1.52587890625E-5,1.52587890625E-5}>
// POT: arith.constant dense<[65536, 0]> : tensor<2xi32>
// POT: accel.conv2d {{.*}}accel.weight_encoding = #accel.weight_encoding<pot, bits = 5, terms = 3>
// POT8: .pot8.json: field 'layers.conv.encoding': with weight_bits 8: pot takes 2 to 5 bits (sign and exponent), got 8
// ASYM: .asym.json: field 'default.encoding': the shift-add encoding 'csd-2' needs symmetric weights (weights.symmetric: true)
// SHIFT: .shift.json: field 'default.encoding': unknown encoding 'shift': expected multiply, pot, apot, csd or csd-T

func.func @main(%x: tensor<1x1x4x4xf32> {accel.calibration = {min = 0.0 : f64, max = 2.55 : f64, histogram = array<i64: 1, 1>}}) -> tensor<1x2x4x3xf32> {
  %w = arith.constant dense<[[[[0.5, -0.25]]], [[[0.5, 0.0]]]]> : tensor<2x1x1x2xf32>
  %b = arith.constant dense<[0.01, 0.0]> : tensor<2xf32>
  %y = accel.conv2d %x, %w, %b {accel.calibration = {min = -1.0 : f64, max = 5.1 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x1x4x4xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x2x4x3xf32> loc("conv")
  %r = accel.relu %y {accel.calibration = {min = 0.0 : f64, max = 5.1 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x2x4x3xf32>) -> tensor<1x2x4x3xf32>
  return %r : tensor<1x2x4x3xf32>
}
