// A ResNet-18 basic block (the first block of layer1) in the accel dialect,
// as the ONNX importer would produce it before BatchNorm folding. Weights are
// splat constants to keep the file small; shapes are the real ones.
//
//   x ─ conv3x3 ─ bn ─ relu ─ conv3x3 ─ bn ─ add ─ relu ─►
//   └─────────────────────────────────────────┘
//
// Try:  tandem-opt examples/resnet-basic-block.mlir --accel-test-loop-nest
// Each conv is 64 * 64 * 56 * 56 * 3 * 3 = 115,605,504 MACs.
func.func @main(%x: tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> {
  %w1 = arith.constant dense<0.01> : tensor<64x64x3x3xf32>
  %w2 = arith.constant dense<-0.01> : tensor<64x64x3x3xf32>
  %gamma = arith.constant dense<1.0> : tensor<64xf32>
  %beta = arith.constant dense<0.0> : tensor<64xf32>
  %mean = arith.constant dense<0.1> : tensor<64xf32>
  %var = arith.constant dense<0.9> : tensor<64xf32>

  %c1 = accel.conv2d %x, %w1 pads [1, 1, 1, 1]
      : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32>
  %b1 = accel.batch_norm %c1, %gamma, %beta, %mean, %var
      : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32>
  %r1 = accel.relu %b1 : (tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %c2 = accel.conv2d %r1, %w2 pads [1, 1, 1, 1]
      : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32>
  %b2 = accel.batch_norm %c2, %gamma, %beta, %mean, %var
      : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32>
  %s = accel.add %b2, %x
      : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %y = accel.relu %s : (tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}
