// RUN: tandem-opt %s -split-input-file -verify-diagnostics --accel-cost-report="target=eyeriss output=%t" -o /dev/null

// Eyeriss: 12 rows x 14 columns; levels DRAM, GLB (108 KB, inputs and
// outputs), spad (520 bytes per PE). The matmul has loops M=64 N=64 K=32.

func.func @short(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{invalid mapping on target 'eyeriss': the factors of M multiply to 32, less than its extent 64}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:32 N:64 K:32]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// Remainder policy: the last tile may be partial, but a factor that is
// all padding is an error: 14 x 5 = 70 covers 64, so a further factor 2
// would only add padding.
func.func @padding(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{factor 2 of M at DRAM is not needed: the other factors already cover its extent 64}}
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
  // expected-error @+1 {{invalid mapping: mapping names level 'L2', which target 'eyeriss' does not have (levels: DRAM, GLB, spad, and X, Y for the array)}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<L2[M:64]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @loop(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{invalid mapping: mapping entry 'P:4' at DRAM: the op has no loop 'P'}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[P:4]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @syntax(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // The syntax is checked when the attribute is parsed.
  // expected-error @+1 {{expected ':'}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M4]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @zero(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{mapping factors must be positive}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:0]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// A mapping made for a target with other levels.
func.func @levels(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{invalid mapping: mapping names level 'SRAM', which target 'eyeriss' does not have (levels: DRAM, GLB, spad, and X, Y for the array)}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:64] SRAM[N:64 K:32] reg[]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

func.func @twice(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{invalid mapping: mapping lists 'X' twice}}
  %0 = accel.matmul %a, %b {accel.mapping = #accel.mapping<DRAM[M:8 N:64 K:32] X[M:2] X[M:4]>} : (tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}
