// RUN: tandem-opt %s -split-input-file -verify-diagnostics

func.func @bad(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{expected '['}}
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM M:4>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @bad(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{expected integer value}}
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[M:x]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @bad(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{expected 'energy_pj'}}
  %0 = accel.matmul %a, %a {accel.cost = #accel.cost<target = "t", macs = 1, cycles = 2, energy = 3.0, utilization = 0.5, mapping = "">} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
