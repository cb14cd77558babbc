// RUN: tandem-opt %s --accel-test-loop-nest | FileCheck %s
// RUN: tandem-opt %s --accel-test-loop-nest='tile=C=4,P=2,Q=2,R=3,S=3' | FileCheck %s --check-prefix=TILE
// RUN: not tandem-opt %s --accel-test-loop-nest='tile=P=0' 2>&1 | FileCheck %s --check-prefix=BADTILE

// The affine maps print at the top of the module; each is explained
// by the case that uses it below.
// CHECK-DAG: #[[CONV_IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d2, d3 * 2 + d5 - 3, d4 * 2 + d6 - 3)>
// CHECK-DAG: #[[CONV_W:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d2, d5, d6)>
// CHECK-DAG: #[[CONV_OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d3, d4)>
// CHECK-DAG: #[[CONV_B:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1)>
// CHECK-DAG: #[[MM_LHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[MM_RHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[MM_OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[BCAST:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
// CHECK-DAG: #[[IDENT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Tests ResNet-18 conv1: 1x3x224x224 input, 64 filters 7x7, stride 2, pad 3.
// Output: floor((224 + 6 - 7) / 2) + 1 = 112, so P = Q = 112.
// MACs = N*K*C*P*Q*R*S = 1 * 64 * 3 * 112 * 112 * 7 * 7 = 118,013,952.
// Ops = 2 * MACs + one bias add per output (64 * 112 * 112 = 802,816)
//     = 236,027,904 + 802,816 = 236,830,720.
// The constant filter is a weight, the constant bias a parameter.
// CHECK-LABEL: func.func @resnet18_conv1
// CHECK: accel.conv2d
// CHECK-SAME: accel.loop_nest = {dims = "N=1 K=64 C=3 P=112 Q=112 R=7 S=7", iterations = 118013952 : i64, macs = 118013952 : i64,
// CHECK-SAME: maps = {bias = #[[CONV_B]], input = #[[CONV_IN]], output = #[[CONV_OUT]], weight = #[[CONV_W]]},
// CHECK-SAME: ops = 236830720 : i64, reductions = "C R S",
// CHECK-SAME: roles = {bias = "parameter", input = "input", output = "output", weight = "weight"}}
func.func @resnet18_conv1(%x: tensor<1x3x224x224xf32>) -> tensor<1x64x112x112xf32> {
  %w = arith.constant dense<0.01> : tensor<64x3x7x7xf32>
  %b = arith.constant dense<0.0> : tensor<64xf32>
  %y = accel.conv2d %x, %w, %b strides [2, 2] pads [3, 3, 3, 3]
      : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  return %y : tensor<1x64x112x112xf32>
}

// Tests a MobileNetV2 depthwise 3x3 conv: 32 channels at 112x112, pad 1.
// Loops N G K C P Q R S with G = 32 groups of K = C = 1 channel.
// MACs = 32 * 112 * 112 * 3 * 3 = 3,612,672; no bias, so ops = 7,225,344.
// The input channel is g * 1 + c and the output channel g * 1 + k.
// CHECK-LABEL: func.func @depthwise
// CHECK: accel.conv2d
// CHECK-SAME: dims = "N=1 G=32 K=1 C=1 P=112 Q=112 R=3 S=3", iterations = 3612672 : i64, macs = 3612672 : i64
// CHECK-SAME: ops = 7225344 : i64, reductions = "C R S"
func.func @depthwise(%x: tensor<1x32x112x112xf32>, %w: tensor<32x1x3x3xf32>) -> tensor<1x32x112x112xf32> {
  %y = accel.conv2d %x, %w pads [1, 1, 1, 1] groups 32
      : (tensor<1x32x112x112xf32>, tensor<32x1x3x3xf32>) -> tensor<1x32x112x112xf32>
  return %y : tensor<1x32x112x112xf32>
}

// Tests a batched matmul, 8 x (128x64 @ 64x256):
// MACs = B*M*N*K = 8 * 128 * 256 * 64 = 16,777,216.
// CHECK-LABEL: func.func @batched_matmul
// CHECK: accel.matmul
// CHECK-SAME: dims = "B=8 M=128 N=256 K=64", iterations = 16777216 : i64, macs = 16777216 : i64,
// Both operands are activations (function arguments): input and
// second-input, as in attention.
// CHECK-SAME: maps = {lhs = #[[MM_LHS]], output = #[[MM_OUT]], rhs = #[[MM_RHS]]}, ops = 33554432 : i64, reductions = "K",
// CHECK-SAME: roles = {lhs = "input", output = "output", rhs = "second-input"}
func.func @batched_matmul(%a: tensor<8x128x64xf32>, %b: tensor<8x64x256xf32>) -> tensor<8x128x256xf32> {
  %c = accel.matmul %a, %b : (tensor<8x128x64xf32>, tensor<8x64x256xf32>) -> tensor<8x128x256xf32>
  return %c : tensor<8x128x256xf32>
}

// Tests the ResNet stem max pool, 3x3 stride 2 pad 1 over 1x64x112x112:
// output floor((112 + 2 - 3) / 2) + 1 = 56; iterations = 64 * 56 * 56 * 9
// = 1,806,336 compares and no MACs.
// CHECK-LABEL: func.func @max_pool
// CHECK: accel.pool2d
// CHECK-SAME: dims = "N=1 C=64 P=56 Q=56 R=3 S=3", iterations = 1806336 : i64, macs = 0 : i64
// CHECK-SAME: ops = 1806336 : i64, reductions = "R S"
func.func @max_pool(%x: tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32> {
  %y = accel.pool2d max %x kernel [3, 3] strides [2, 2] pads [1, 1, 1, 1]
      : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// Tests a squeeze-excite style broadcast multiply: the 1x64x1x1 operand has
// constant-zero coordinates where it stretches (H and W; N is 1 on both
// sides, so it keeps its loop). 64 * 56 * 56 = 200,704 muls.
// CHECK-LABEL: func.func @broadcast_mul
// CHECK: accel.mul
// CHECK-SAME: dims = "D0=1 D1=64 D2=56 D3=56", iterations = 200704 : i64, macs = 0 : i64
// CHECK-SAME: maps = {lhs = #[[IDENT]], output = #[[IDENT]], rhs = #[[BCAST]]}, ops = 200704 : i64, reductions = ""
func.func @broadcast_mul(%x: tensor<1x64x56x56xf32>, %s: tensor<1x64x1x1xf32>) -> tensor<1x64x56x56xf32> {
  %y = accel.mul %x, %s : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// Tests a global mean over H and W with keepdims: the kept size-1 axes map
// to 0 (the same map as the broadcast operand above); 512 * 7 * 7 = 25,088
// adds plus one divide per each of the 512 outputs = 25,600 ops.
// CHECK-LABEL: func.func @reduce_mean
// CHECK: accel.reduce_mean
// CHECK-SAME: dims = "D0=1 D1=512 D2=7 D3=7", iterations = 25088 : i64, macs = 0 : i64
// CHECK-SAME: output = #[[BCAST]]}, ops = 25600 : i64, reductions = "D2 D3"
func.func @reduce_mean(%x: tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32> {
  %y = accel.reduce_mean %x axes [2, 3] keepdims : (tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32>
  return %y : tensor<1x512x1x1xf32>
}

// Tests softmax over 1x8x128 = 1,024 elements at 5 ops each (max compare,
// subtract, exp, sum, divide) = 5,120 ops.
// CHECK-LABEL: func.func @softmax
// CHECK: accel.softmax
// CHECK-SAME: iterations = 1024 : i64, macs = 0 : i64
// CHECK-SAME: ops = 5120 : i64
func.func @softmax(%x: tensor<1x8x128xf32>) -> tensor<1x8x128xf32> {
  %y = accel.softmax %x axis 2 : (tensor<1x8x128xf32>) -> tensor<1x8x128xf32>
  return %y : tensor<1x8x128xf32>
}

// Tests footprints of a 3x3 pad-1 conv tile covering C=4, P=Q=2, R=S=3:
// input rows p + r - 1 span (2-1) + (3-1) + 1 = 4, so 4 ch * 4 * 4 = 64;
// weight 1 filter * 4 * 3 * 3 = 36; output 1 * 2 * 2 = 4.
// TILE-LABEL: func.func @tile_footprint
// TILE: accel.conv2d
// TILE-SAME: footprints = {input = 64 : i64, output = 4 : i64, weight = 36 : i64}
func.func @tile_footprint(%x: tensor<1x4x8x8xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x2x8x8xf32> {
  %y = accel.conv2d %x, %w pads [1, 1, 1, 1] : (tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32>) -> tensor<1x2x8x8xf32>
  return %y : tensor<1x2x8x8xf32>
}

// Tests that data-movement ops are not loop nests and get no attribute.
// CHECK-LABEL: func.func @data_movement
// CHECK-NOT: accel.loop_nest
// CHECK: return
func.func @data_movement(%x: tensor<1x512x1x1xf32>) -> tensor<1x512xf32> {
  %y = accel.reshape %x : (tensor<1x512x1x1xf32>) -> tensor<1x512xf32>
  return %y : tensor<1x512xf32>
}

// BADTILE: error: invalid tile entry 'P=0': expected DIM=N with N >= 1
