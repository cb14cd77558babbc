// Bias correction (docs/quantization.md) on layers whose weights round
// badly at 2 bits (min-max: scale = the largest weight, integers -1..1).
// The relus' statistics give the layers' input ranges [0, 2.55] (scale
// 0.01) and the input channel means. The relus read sums of two computed
// tensors (`%a + %a`), not the model's input alone, which "first" reads.
// RUN: echo '{"default": {"weight_bits": 2}, "weights": {"clipping": "minmax", "bias_correction": true}}' > %t.on.json
// RUN: echo '{"default": {"weight_bits": 2}, "weights": {"clipping": "minmax"}}' > %t.off.json
// RUN: tandem-opt %s --accel-quantize="policy=%t.on.json" | FileCheck %s
// RUN: tandem-opt %s --accel-quantize="policy=%t.off.json" | FileCheck %s --check-prefix=OFF
// Statistics without channel means (an older calibration):
// RUN: sed -e 's/, channel_axis = 1 : i64, channel_means = array<f64: [0-9., ]*>//' %s > %t.nomeans.mlir
// RUN: not tandem-opt %t.nomeans.mlir --accel-quantize="policy=%t.on.json" 2>&1 | FileCheck %s --check-prefix=NOMEANS
// Means outside the tensor's range are not means (dropped, as if absent):
// RUN: sed -e 's/channel_means = array<f64: 2.0/channel_means = array<f64: 1.0e+308/' %s > %t.huge.mlir
// RUN: not tandem-opt %t.huge.mlir --accel-quantize="policy=%t.on.json" 2>&1 | FileCheck %s --check-prefix=NOMEANS
// RUN: echo '{"weights": {"bias_correction": 1}}' > %t.bad.json
// RUN: not tandem-opt %s --accel-quantize="policy=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=BAD

// "pointwise": weights (0.3, 0.1) -> scale 0.3, integers (1, 0): the
// rounding error (0, -0.1) times the channel means (2, 1) adds -0.1 to the
// output on average; the bias 0.45 becomes 0.55, on the accumulator's grid
// 0.01 * 0.3: round(183.3) = 183 (uncorrected: 150).
// CHECK-LABEL: func.func @main
// CHECK: arith.constant dense<183> : tensor<1xi32>
// CHECK: accel.conv2d
// "padded": a 1x3 window, pads 1 left and right, over 2 columns: the left
// tap reads the input at one of the two outputs, the middle at both, the
// right at one. Weights (0.4, 0.1, 0.1) -> (0.4, 0, 0): errors by tap
// (0, -0.1, -0.1), weighted by the shares (1/2, 1, 1/2) and the mean 2:
// -0.3. The bias 0.2 becomes 0.5 on the grid 0.01 * 0.4: 125 (uncorrected
// 50; ignoring the padding would give 150).
// CHECK: arith.constant dense<125> : tensor<1xi32>
// CHECK: accel.conv2d
// "fc": the matrix product's bias add, the same weights and means as
// "pointwise": 183.
// CHECK: accel.matmul
// CHECK: arith.constant dense<183> : tensor<1x1xi32>
// "first": reads the model's input (raw data: not corrected): 150.
// CHECK: arith.constant dense<150> : tensor<1xi32>
// CHECK: accel.conv2d
// OFF: arith.constant dense<150> : tensor<1xi32>
// OFF: arith.constant dense<50> : tensor<1xi32>
// OFF: arith.constant dense<150> : tensor<1x1xi32>
// OFF: arith.constant dense<150> : tensor<1xi32>
// NOMEANS: .on.json: bias correction needs the channel means of each layer's input, and the calibration statistics have none: calibrate again with --accel-calibrate
// BAD: .bad.json: field 'weights.bias_correction': expected true or false, got

func.func @main(%a: tensor<1x2x2x2xf32>, %c: tensor<1x1x1x2xf32>, %e: tensor<1x2xf32>,
                %x: tensor<1x2x2x2xf32> {accel.calibration = {min = 0.0 : f64, max = 2.55 : f64, histogram = array<i64: 1>, channel_axis = 1 : i64, channel_means = array<f64: 2.0, 1.0>}})
    -> (tensor<1x1x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1x1xf32>, tensor<1x1x2x2xf32>) {
  %sa = accel.add %a, %a : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %ra = accel.relu %sa {accel.calibration = {min = 0.0 : f64, max = 2.55 : f64, histogram = array<i64: 1>, channel_axis = 1 : i64, channel_means = array<f64: 2.0, 1.0>}} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %w1 = arith.constant dense<[[[[0.3]], [[0.1]]]]> : tensor<1x2x1x1xf32>
  %b1 = arith.constant dense<[0.45]> : tensor<1xf32>
  %y1 = accel.conv2d %ra, %w1, %b1 {accel.calibration = {min = -1.0 : f64, max = 3.0 : f64, histogram = array<i64: 1>}} : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32> loc("pointwise")

  %sc = accel.add %c, %c : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  %rc = accel.relu %sc {accel.calibration = {min = 0.0 : f64, max = 2.55 : f64, histogram = array<i64: 1>, channel_axis = 1 : i64, channel_means = array<f64: 2.0>}} : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  %w2 = arith.constant dense<[[[[0.4, 0.1, 0.1]]]]> : tensor<1x1x1x3xf32>
  %b2 = arith.constant dense<[0.2]> : tensor<1xf32>
  %y2 = accel.conv2d %rc, %w2, %b2 pads [0, 1, 0, 1] {accel.calibration = {min = -1.0 : f64, max = 3.0 : f64, histogram = array<i64: 1>}} : (tensor<1x1x1x2xf32>, tensor<1x1x1x3xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32> loc("padded")

  %se = accel.add %e, %e : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %re = accel.relu %se {accel.calibration = {min = 0.0 : f64, max = 2.55 : f64, histogram = array<i64: 1>, channel_axis = 1 : i64, channel_means = array<f64: 2.0, 1.0>}} : (tensor<1x2xf32>) -> tensor<1x2xf32>
  %w3 = arith.constant dense<[[0.3], [0.1]]> : tensor<2x1xf32>
  %b3 = arith.constant dense<[[0.45]]> : tensor<1x1xf32>
  %m3 = accel.matmul %re, %w3 {accel.calibration = {min = -1.0 : f64, max = 3.0 : f64, histogram = array<i64: 1>}} : (tensor<1x2xf32>, tensor<2x1xf32>) -> tensor<1x1xf32> loc("fc")
  %y3 = accel.add %m3, %b3 {accel.calibration = {min = -1.0 : f64, max = 3.0 : f64, histogram = array<i64: 1>}} : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>

  %y4 = accel.conv2d %x, %w1, %b1 {accel.calibration = {min = -1.0 : f64, max = 3.0 : f64, histogram = array<i64: 1>}} : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32> loc("first")
  return %y1, %y2, %y3, %y4 : tensor<1x1x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1x1xf32>, tensor<1x1x2x2xf32>
}
