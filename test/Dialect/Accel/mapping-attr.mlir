// RUN: tandem-opt %s | FileCheck %s
// RUN: tandem-opt %s | tandem-opt | FileCheck %s

// #accel.mapping and #accel.cost print as they are written (whitespace
// normalized) and parse back.
// CHECK-LABEL: func.func @mapped
// CHECK: accel.mapping = #accel.mapping<DRAM[K:4 C:2] GLB[P:7 Q:7] X[K:16] Y[C:8 R:3] spad[S:3 Q:8]>
// Numbers print as float literals the parser reads back (an integer such as
// 1500 is accepted when written by hand).
// CHECK-SAME: accel.note = #accel.cost<target = "t", macs = 100, cycles = 20, energy_pj = 1.500000e+03, utilization = 2.500000e-01, mapping = "DRAM[K:16]">
func.func @mapped(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = accel.conv2d %x, %w {accel.mapping = #accel.mapping<DRAM[K:4   C:2]   GLB[P:7 Q:7] X[K:16] Y[C:8 R:3] spad[S:3 Q:8]>, accel.note = #accel.cost<target = "t", macs = 100, cycles = 20, energy_pj = 1500, utilization = 0.25, mapping = "DRAM[K:16]">} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// CHECK-LABEL: func.func @empty_levels
// CHECK: #accel.mapping<DRAM[M:4] GLB[] X[] Y[] spad[]>
func.func @empty_levels(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[M:4] GLB[] X[] Y[] spad[]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
