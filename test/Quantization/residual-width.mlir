// A residual add is computed no narrower than layers read its operands:
// the skip tensor %s is read by conv c at 4 bits, and both layers after
// the add (p, q) read its sum at 2. Were the add computed at its readers'
// 2 bits, c's output would be requantized to 2 bits, which no one layer's
// sensitivity measurement (every other layer at 16 bits) sees: a
// ResNet's integer-program policy scored 7.8% so (docs/mixed-precision.md).
// Instead c's output and the sum are stored at 4 bits and p and q each
// read the sum through a cast with its own clipping.
// RUN: echo '{"layers": {"c": {"activation_bits": 4}, "p": {"activation_bits": 2}, "q": {"activation_bits": 2, "activation_clipping": "percentile", "activation_percentile": 99}}}' > %t.json
// RUN: tandem-opt %s --accel-quantize="policy=%t.json" | FileCheck %s
// A uniform policy computes the add at its width, as before.
// RUN: echo '{"default": {"activation_bits": 2}}' > %t.a2.json
// RUN: tandem-opt %s --accel-quantize="policy=%t.a2.json" | FileCheck %s --check-prefix=UNIFORM

// %s at 4 bits (c and the add read it so), c's output and the sum too; p
// reads the sum min-max-clipped ([0, 8]: scale 8 / 3), q percentile-
// clipped at 99 (up to the 99.5% quantile, 995.995 of the first bin's
// 1,000 values: [0, 1.99199], scale 0.663997).
// CHECK: %[[S:.*]] = accel.conv2d {{.*}} -> tensor<1x1x4x4x!quant.uniform<i4:f32,
// CHECK-NOT: accel.cast
// CHECK: %[[C:.*]] = accel.conv2d %[[S]], {{.*}} -> tensor<1x1x4x4x!quant.uniform<i4:f32,
// CHECK: %[[R:.*]] = accel.add %[[C]], %[[S]] {{.*}} -> tensor<1x1x4x4x!quant.uniform<i4:f32,
// CHECK: %[[P:.*]] = accel.cast %[[R]] : {{.*}} -> tensor<1x1x4x4x!quant.uniform<i2:f32, 2.6666{{[0-9]*}}:-2>>
// CHECK: accel.conv2d %[[P]]
// CHECK: %[[Q:.*]] = accel.cast %[[R]] : {{.*}} -> tensor<1x1x4x4x!quant.uniform<i2:f32, 0.66399{{[0-9]*}}:-2>>
// CHECK: accel.conv2d %[[Q]]

// UNIFORM-NOT: accel.cast
// UNIFORM: accel.add {{.*}} -> tensor<1x1x4x4x!quant.uniform<i2:f32,
// UNIFORM-NOT: accel.cast

func.func @main(%x: tensor<1x1x4x4xf32> {accel.calibration = {min = 0.0 : f64, max = 4.0 : f64, histogram = array<i64: 1, 1>}}) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %w = arith.constant dense<1.0> : tensor<1x1x1x1xf32>
  %s = accel.conv2d %x, %w {accel.calibration = {min = 0.0 : f64, max = 4.0 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> loc("s")
  %c = accel.conv2d %s, %w {accel.calibration = {min = 0.0 : f64, max = 4.0 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> loc("c")
  %r = accel.add %c, %s {accel.calibration = {min = 0.0 : f64, max = 8.0 : f64, histogram = array<i64: 1000, 0, 0, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %p = accel.conv2d %r, %w {accel.calibration = {min = 0.0 : f64, max = 8.0 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> loc("p")
  %q = accel.conv2d %r, %w {accel.calibration = {min = 0.0 : f64, max = 8.0 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> loc("q")
  return %p, %q : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}
