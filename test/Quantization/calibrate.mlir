// --accel-calibrate on a tiny model: the statistics it records, and what it
// refuses.
// RUN: rm -rf %t && mkdir -p %t/data
// RUN: %python -c "import numpy as np; [np.save('%t/data/%%d.npy' %% i, np.full((1, 4), i - 1.5, np.float32)) for i in range(4)]"
// RUN: tandem-opt %s --accel-calibrate="data=%t/data" | FileCheck %s
// RUN: not tandem-opt %s --accel-calibrate 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not tandem-opt %s --accel-calibrate="data=%t/missing" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: %python -c "import numpy as np; np.save('%t/odd.npy', np.zeros(3, np.float32))"
// RUN: mkdir -p %t/odd && cp %t/odd.npy %t/odd/
// RUN: not tandem-opt %s --accel-calibrate="data=%t/odd" 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not tandem-opt %s --accel-calibrate="data=%t/data samples=-1" 2>&1 | FileCheck %s --check-prefix=SAMPLES

// Four samples -1.5, -0.5, 0.5, 1.5 in batches of 2: the input's range, and
// relu's (its negative half is 0); the means of the last axis's 4 channels
// (0, and relu's (0 + 0 + 0.5 + 1.5) / 4 = 0.5).
// CHECK: func.func @main(%{{.*}}: tensor<2x4xf32> {accel.calibration = {channel_axis = 1 : i64, channel_means = array<f64: 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00>, histogram = array<i64: 4, {{.*}}>, max = 1.500000e+00 : f64, min = -1.500000e+00 : f64}})
// CHECK: accel.relu {{.*}}{accel.calibration = {channel_axis = 1 : i64, channel_means = array<f64: 5.000000e-01, 5.000000e-01, 5.000000e-01, 5.000000e-01>, histogram = array<i64: {{.*}}>, max = 1.500000e+00 : f64, min = 0.000000e+00 : f64}}
// NODATA: --accel-calibrate needs data=PATH
// MISSING: error: cannot read '{{.*}}missing': No such file or directory
// SHAPE: odd.npy: holds 3 elements, not a multiple of the model input's 4 per sample
// SAMPLES: samples must be >= 0

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = accel.relu %x : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}
