// Per-layer activation clipping (a policy's layers.NAME.activation_clipping):
// two convolutions read %x, whose calibrated range [0, 4] holds 1,000
// values below 1 and one in [3, 4]. Min-max clipping stores %x with scale
// 4 / 255 = 0.015686; 99% percentile clipping keeps up to the 99.5%
// quantile, 0.995 x 1001 = 995.995 of the first bin's 1,000 values, so
// [0, 0.995995]: scale 0.995995 / 255 = 0.0039059 at 8 bits, / 15 =
// 0.0663997 at 4 (zero point -8). A tensor
// is stored once, clipped to the widest range the layers reading it at the
// stored width ask for, and all its readers at that width read that range;
// a layer reading it narrower reads it through an accel.cast with its own
// clipping.
// RUN: echo '{"layers": {"a": {"activation_clipping": "percentile"}}, "activations": {"percentile": 99}}' > %t.a.json
// RUN: tandem-opt %s --split-input-file --accel-quantize="policy=%t.a.json" | FileCheck %s --check-prefix=A
// RUN: echo '{"layers": {"a": {"activation_clipping": "percentile"}, "b": {"activation_clipping": "percentile"}}, "activations": {"percentile": 99}}' > %t.ab.json
// RUN: tandem-opt %s --split-input-file --accel-quantize="policy=%t.ab.json" | FileCheck %s --check-prefix=AB
// RUN: echo '{"layers": {"a": {"activation_bits": 4, "activation_clipping": "percentile"}}, "activations": {"percentile": 99}}' > %t.a4.json
// RUN: tandem-opt %s --split-input-file --accel-quantize="policy=%t.a4.json" | FileCheck %s --check-prefix=A4
// A layer reading the model's input narrower than it is stored reads it
// through a cast too (the input enters the quantized region by a qcast).
// RUN: echo '{"layers": {"b": {"activation_bits": 4}}}' > %t.b4.json
// RUN: tandem-opt %s --split-input-file --accel-quantize="policy=%t.b4.json" | FileCheck %s --check-prefix=B4
// RUN: echo '{"layers": {"c": {"activation_clipping": "mse"}}}' > %t.c.json
// RUN: not tandem-opt %s --split-input-file --accel-quantize="policy=%t.c.json" 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// A: quant.qcast %{{.*}} : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 0.015686{{[0-9]*}}:-128>>
// A-NOT: accel.cast
// A: accel.conv2d
// A-NOT: accel.cast
// A: accel.conv2d

// AB: quant.qcast %{{.*}} : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 0.0039{{[0-9]*}}:-128>>
// AB-NOT: accel.cast
// AB: accel.conv2d
// AB-NOT: accel.cast
// AB: accel.conv2d

// A4: quant.qcast %{{.*}} : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 0.015686{{[0-9]*}}:-128>>
// A4: %[[NARROW:.*]] = accel.cast %{{.*}} -> tensor<1x1x4x4x!quant.uniform<i4:f32, 0.0663{{[0-9]*}}:-8>>
// A4: accel.conv2d %[[NARROW]]

// B4: quant.qcast %{{.*}} : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 0.015686{{[0-9]*}}:-128>>
// B4: %[[NARROW:.*]] = accel.cast %{{.*}} -> tensor<1x1x4x4x!quant.uniform<i4:f32, 0.2666{{[0-9]*}}:-8>>
// B4: accel.conv2d %[[NARROW]]

// UNKNOWN: field 'layers.c': the model has no convolution or matrix product named 'c' (layers: a, b)

func.func @main(%x: tensor<1x1x4x4xf32> {accel.calibration = {min = 0.0 : f64, max = 4.0 : f64, histogram = array<i64: 1000, 0, 0, 1>}}) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %w = arith.constant dense<0.5> : tensor<1x1x1x1xf32>
  %a = accel.conv2d %x, %w {accel.calibration = {min = 0.0 : f64, max = 2.0 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> loc("a")
  %b = accel.conv2d %x, %w {accel.calibration = {min = 0.0 : f64, max = 2.0 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> loc("b")
  return %a, %b : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// A residual: conv b computes %y, which conv a and an add both read at 8
// bits. Only layers choose a tensor's clipping; the add reads the range a
// asks for (percentile: scale ~1 / 255).
// A: accel.conv2d {{.*}} -> tensor<1x1x4x4x!quant.uniform<i8:f32, 0.0039{{[0-9]*}}:-128>>
// A-NOT: accel.cast
// A: accel.conv2d
// A: accel.add
// AB: accel.conv2d {{.*}} -> tensor<1x1x4x4x!quant.uniform<i8:f32, 0.0039{{[0-9]*}}:-128>>

func.func @main(%x: tensor<1x1x4x4xf32> {accel.calibration = {min = 0.0 : f64, max = 4.0 : f64, histogram = array<i64: 1, 1>}}) -> tensor<1x1x4x4xf32> {
  %w = arith.constant dense<1.0> : tensor<1x1x1x1xf32>
  %y = accel.conv2d %x, %w {accel.calibration = {min = 0.0 : f64, max = 4.0 : f64, histogram = array<i64: 1000, 0, 0, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> loc("b")
  %a = accel.conv2d %y, %w {accel.calibration = {min = 0.0 : f64, max = 4.0 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> loc("a")
  %r = accel.add %a, %y {accel.calibration = {min = 0.0 : f64, max = 8.0 : f64, histogram = array<i64: 1, 1>}} : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %r : tensor<1x1x4x4xf32>
}
