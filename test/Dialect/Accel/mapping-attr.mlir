// RUN: tandem-opt %s | FileCheck %s
// RUN: tandem-opt %s | tandem-opt | FileCheck %s

// Tests that #accel.mapping and #accel.cost print as they are written
// (whitespace normalized) and parse back.
// CHECK-LABEL: func.func @mapped
// CHECK: accel.mapping = #accel.mapping<DRAM[K:4 C:2] GLB[P:7 Q:7] X[K:16] Y[C:8 R:3] spad[S:3 Q:8]>
// Numbers print as float literals the parser reads back (an integer such as
// 1500 is accepted when written by hand).
// CHECK-SAME: accel.note = #accel.cost<target = "t", unit = "array", macs = 100, cycles = 20, energy_pj = 1.500000e+03, utilization = 2.500000e-01, mapping = #accel.mapping<DRAM[K:16]>>
func.func @mapped(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = accel.conv2d %x, %w {accel.mapping = #accel.mapping<DRAM[K:4   C:2]   GLB[P:7 Q:7] X[K:16] Y[C:8 R:3] spad[S:3 Q:8]>, accel.note = #accel.cost<target = "t", unit = "array", macs = 100, cycles = 20, energy_pj = 1500, utilization = 0.25, mapping = #accel.mapping<DRAM[K:16]>>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// Tests empty brackets, a level that bypasses data spaces, a level name that
// is not an identifier (written as a string), and a cost without a mapping
// (an op that does not run on the array).
// CHECK-LABEL: func.func @forms
// CHECK: #accel.mapping<DRAM[M:4 K:4] GLB[| bypass input weight] X[] Y[] "L1 cache"[N:4 | bypass output] spad[]>
// CHECK: #accel.cost<target = "t", unit = "host", macs = 0, cycles = 7, energy_pj = 2.000000e+00, utilization = 0.000000e+00>
func.func @forms(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[M:4 K:4] GLB[ | bypass input weight] X[] Y[] "L1 cache"[N:4 | bypass output] spad[]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = accel.relu %0 {accel.note = #accel.cost<target = "t", unit = "host", macs = 0, cycles = 7, energy_pj = 2.0, utilization = 0.0>} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %1 : tensor<4x4xf32>
}

// Tests loops flattened into one index (SCALE-Sim's operand matrices): the
// window R*S*C = 27 on 16 rows takes 2 folds; a flattened loop's factors
// cover the product of its members' extents.
// CHECK-LABEL: func.func @flattened
// CHECK: #accel.mapping<DRAM[K:4 R*S*C:2 P*Q:36] Y[R*S*C:16]>
func.func @flattened(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = accel.conv2d %x, %w {accel.mapping = #accel.mapping<DRAM[K:4 R * S * C:2 P*Q:36] Y[R*S*C:16]>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}
