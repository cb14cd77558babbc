// RUN: tandem-opt %s -split-input-file -verify-diagnostics --accel-cost-report="target=eyeriss output=%t" -o /dev/null

// Tests the rules a mapping must follow on a target, each error naming the
// rule. Eyeriss: 12 rows x 14 columns; levels DRAM, GLB (108 KB, inputs and
// outputs), spad (520 bytes per PE); the array sits between GLB and spad.
// The matmul has loops M=64 N=64 K=32.

// Remainder policy: the last tile may be partial, but a factor that is
// all padding is an error: 14 x 5 = 70 covers 64, so a further factor 2
// would only add padding.
func.func @padding(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{invalid mapping on target 'eyeriss': factor 2 of M at DRAM is not needed: the other factors already cover its extent 64}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:2 N:64 K:32] GLB[M:5] X[M:14]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @wide(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{the X (column) factors multiply to 16 but the array has 14 columns}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:4 N:64 K:32] X[M:16]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// 16-bit words: an 8x8 input tile (128 B), an 8x8 weight tile (128 B) and an
// 8x8 output tile (128 B) need 384 B, which fits 520; 16x8 tiles need
// 256 + 128 + 256 = 640 B.
func.func @overflow(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{the tiles at spad take 640 bytes (input 256, weight 128, output 256) but it holds 520 per PE}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:4 N:8 K:4] spad[M:16 N:8 K:8]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @level(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{invalid mapping on target 'eyeriss': mapping names level 'L2', which target 'eyeriss' does not have (levels: DRAM, GLB, spad; X and Y for the array)}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<L2[M:64 N:64 K:32]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// A mapping made for a target with other levels.
func.func @levels(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{mapping names level 'SRAM', which target 'eyeriss' does not have}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:64] SRAM[N:64 K:32] reg[]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @order(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{mapping lists GLB after spad; levels go outermost first (DRAM, GLB, spad)}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:64 N:64 K:32] spad[] GLB[]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// The array's axes sit where the array is: above the per-PE spad.
func.func @axis_below(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{mapping writes X[...] after spad, but the array of target 'eyeriss' sits above spad}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:32 N:64 K:32] spad[] X[M:2]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @axis_above(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{mapping lists GLB after the array's axes, but on target 'eyeriss' it is above the array}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:32 N:64 K:32] X[M:2] GLB[]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// Eyeriss's GLB keeps inputs and outputs; weights bypass it already.
func.func @bypass_unheld(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{the mapping bypasses weight at GLB, which target 'eyeriss' does not keep there anyway}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:64 N:64 K:32] GLB[| bypass weight]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @bypass_dram(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{the outermost level DRAM holds every tensor; it cannot bypass one}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:64 N:64 K:32 | bypass input]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// A factor larger than its loop's extent is all padding beyond the extent
// (and would make the counts overflow for huge values).
func.func @huge(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{factor 4611686018427387904 of M at DRAM is larger than its extent 64}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:4611686018427387904 N:64 K:32]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
