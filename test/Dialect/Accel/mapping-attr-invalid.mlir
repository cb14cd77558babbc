// RUN: tandem-opt %s -split-input-file -verify-diagnostics

// Tests the syntax of #accel.mapping and #accel.cost, the attribute's own
// rules, and the rules checked against the op's loop nest. The rules that
// need a target are in test/Analysis/invalid-mapping.mlir.

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
  // expected-error @+1 {{expected ':'}}
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[M4]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @zero(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{mapping factor of M at DRAM must be positive, not 0}}
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[M:0]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// A memory level appears once (X and Y once per fan-out of the target).
func.func @twice(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{mapping lists 'DRAM' twice}}
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[M:4] X[M:2] DRAM[N:4]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @loop_twice(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{mapping lists M twice at DRAM}}
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[M:2 M:2]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @bypass(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{unknown data space 'psum' to bypass; expected input, weight or output}}
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[M:4] GLB[| bypass psum]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @axis_bypass(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{the array axis X holds no data and cannot bypass any}}
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[M:4] X[N:4 | bypass input]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// The loops must be the op's: a matmul has M N K.
func.func @loop(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'accel.matmul' op 'accel.mapping' names loop 'P' at DRAM, which the op does not have (its loops: M N K)}}
  %0 = accel.matmul %a, %a {accel.mapping = #accel.mapping<DRAM[P:4]>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// Every loop's factors must cover its extent: M is 64, the factors give 32.
func.func @short(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{'accel.matmul' op 'accel.mapping' factors of loop M multiply to 32, less than its extent 64}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:32 N:64 K:32]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @no_nest(%a: tensor<4x4xf32>) -> tensor<16xf32> {
  // expected-error @+1 {{'accel.reshape' op has an 'accel.mapping' but no loop nest to map}}
  %0 = accel.reshape %a {accel.mapping = #accel.mapping<DRAM[]>} : (tensor<4x4xf32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

func.func @not_a_mapping(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'accel.matmul' op 'accel.mapping' must be an #accel.mapping}}
  %0 = accel.matmul %a, %a {accel.mapping = "DRAM[M:4]"} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @bad(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{expected 'unit'}}
  %0 = accel.matmul %a, %a {accel.cost = #accel.cost<target = "t", macs = 1, cycles = 2, energy_pj = 3.0, utilization = 0.5>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// A loop is tiled on its own or inside one flattened loop, not both.
func.func @flattened_and_alone(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{'accel.conv2d' op 'accel.mapping' tiles loop C both as R*S*C and as C}}
  %0 = accel.conv2d %x, %w {accel.mapping = #accel.mapping<DRAM[K:4 R*S*C:2 P:6 Q:6] Y[R*S*C:16] spad[C:1]>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @flattened_unknown(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{'accel.conv2d' op 'accel.mapping' names loop 'T' at Y, which the op does not have (its loops: N K C P Q R S)}}
  %0 = accel.conv2d %x, %w {accel.mapping = #accel.mapping<DRAM[K:4 P:6 Q:6] Y[R*S*T:16]>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// R*S*C is 27: 16 x 1 does not cover it.
func.func @flattened_short(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{'accel.conv2d' op 'accel.mapping' factors of loop R*S*C multiply to 16, less than its extent 27}}
  %0 = accel.conv2d %x, %w {accel.mapping = #accel.mapping<DRAM[K:4 P:6 Q:6] Y[R*S*C:16]>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @flattened_twice(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{'accel.conv2d' op 'accel.mapping' flattens loop R twice in R*R}}
  %0 = accel.conv2d %x, %w {accel.mapping = #accel.mapping<DRAM[K:4 P:6 Q:6 C:3 S:3] Y[R*R:3]>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}
