// RUN: tandem-opt %s --accel-test-workload | FileCheck %s
// RUN: tandem-opt %s --accel-test-workload="target=eyeriss" | FileCheck %s --check-prefix=PLACE
// RUN: tandem-opt %s --accel-test-workload="fuse=false" | FileCheck %s --check-prefix=NOFUSE

// Tests the roles of a conv with a bias: the constant filter is a weight, the
// constant bias a parameter; and that the batch norm right after it is folded
// into it, its ReLU and the residual add fused into its output stage.
// CHECK-LABEL: func.func @conv_bn_relu_add
// CHECK: accel.conv2d {{.*}}accel.roles = ["input", "weight", "parameter", "output"]
// CHECK: accel.batch_norm {{.*}}accel.folded, accel.fused_into = "conv"
// CHECK-SAME: accel.roles = ["input", "parameter", "parameter", "parameter", "parameter", "output"]
// CHECK: accel.relu {{.*}}accel.fused_into = "conv"
// The skip connection is the add's second activation.
// CHECK: accel.add {{.*}}accel.fused_into = "conv", accel.roles = ["input", "second-input", "output"]
// PLACE-LABEL: func.func @conv_bn_relu_add
// PLACE: accel.conv2d {{.*}}accel.unit = "array"
// PLACE: accel.add {{.*}}accel.unit = "array"
// NOFUSE-LABEL: func.func @conv_bn_relu_add
// NOFUSE-NOT: accel.fused_into
func.func @conv_bn_relu_add(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = arith.constant dense<0.1> : tensor<4x4x3x3xf32>
  %b = arith.constant dense<0.0> : tensor<4xf32>
  %s = arith.constant dense<1.0> : tensor<4xf32>
  %c = accel.conv2d %x, %w, %b pads [1, 1, 1, 1] : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("conv")
  %n = accel.batch_norm %c, %s, %b, %b, %s : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("bn")
  %r = accel.relu %n : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu")
  %y = accel.add %r, %x : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("add")
  return %y : tensor<1x4x8x8xf32>
}

// Tests an attention block: both products multiply two activations (the rhs
// is a second input, not a weight), the projection's constant matrix is a
// weight and its bias add's constant a parameter; the scale is a constant
// divisor. The softmax reduces a row and is not fused.
// CHECK-LABEL: func.func @attention
// CHECK: accel.matmul {{.*}}accel.roles = ["input", "weight", "output"]
// CHECK: accel.add {{.*}}accel.fused_into = "proj", accel.roles = ["input", "parameter", "output"]
// CHECK: accel.matmul {{.*}}accel.roles = ["input", "second-input", "output"]
// CHECK: accel.div {{.*}}accel.fused_into = "scores", accel.roles = ["input", "parameter", "output"]
// CHECK: accel.softmax %{{.*}} axis 1 {accel.roles = ["input", "output"]}
// CHECK: accel.matmul {{.*}}accel.roles = ["input", "second-input", "output"]
// Eyeriss's output stage cannot divide or exponentiate: the scaling (a
// multiply by 1/8) and the softmax go to the host.
// PLACE-LABEL: func.func @attention
// PLACE: accel.div {{.*}}accel.host_reason = "needs multiply, which the post-processing unit of target 'eyeriss' lacks (it has add, compare)"
// PLACE: accel.softmax {{.*}}accel.host_reason = "needs divide, transcendental, which the post-processing unit of target 'eyeriss' lacks (it has add, compare)"
func.func @attention(%x: tensor<16x64xf32>, %k: tensor<64x16xf32>, %v: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %wq = arith.constant dense<0.1> : tensor<64x64xf32>
  %bq = arith.constant dense<0.0> : tensor<64xf32>
  %eight = arith.constant dense<8.0> : tensor<f32>
  %q0 = accel.matmul %x, %wq : (tensor<16x64xf32>, tensor<64x64xf32>) -> tensor<16x64xf32> loc("proj")
  %q = accel.add %q0, %bq : (tensor<16x64xf32>, tensor<64xf32>) -> tensor<16x64xf32> loc("proj_bias")
  %s0 = accel.matmul %q, %k : (tensor<16x64xf32>, tensor<64x16xf32>) -> tensor<16x16xf32> loc("scores")
  %s = accel.div %s0, %eight : (tensor<16x16xf32>, tensor<f32>) -> tensor<16x16xf32> loc("scale")
  %p = accel.softmax %s axis 1 : (tensor<16x16xf32>) -> tensor<16x16xf32> loc("softmax")
  %o = accel.matmul %p, %v : (tensor<16x16xf32>, tensor<16x64xf32>) -> tensor<16x64xf32> loc("context")
  return %o : tensor<16x64xf32>
}

// Tests that a value used outside the group ends it: the conv's result feeds
// the relu and is also returned, so the relu is not fused (the intermediate
// must reach memory anyway) and runs on the post-processing unit.
// x * hard_sigmoid(x) (opset 13's hard swish) fuses whole: both ops use the
// conv's result, and only the product leaves. Eyeriss's output stage has no
// multiplier, so on it they run on the host after all (accel.fused_into
// gives the group, accel.unit where each op runs).
// CHECK-LABEL: func.func @escaping
// CHECK: accel.relu
// CHECK-NOT: accel.fused_into
// CHECK: accel.hard_sigmoid {{.*}}accel.fused_into = "conv2"
// CHECK: accel.mul {{.*}}accel.fused_into = "conv2"
// PLACE-LABEL: func.func @escaping
// PLACE: accel.relu {{.*}}accel.unit = "post-processing"
// PLACE: accel.mul {{.*}}accel.unit = "host"
func.func @escaping(%x: tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %w = arith.constant dense<0.1> : tensor<4x4x1x1xf32>
  %c = accel.conv2d %x, %w : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv1")
  %r = accel.relu %c : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu1")
  %c2 = accel.conv2d %r, %w : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv2")
  %h = accel.hard_sigmoid %c2 alpha 0.166666672 beta 5.000000e-01 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("hsig")
  %y = accel.mul %c2, %h : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("hswish")
  return %c, %r, %y : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// Tests that a batch norm folds only into constant weights used by nothing
// else: after a product of two activations it stays an element-wise op of
// the group, and an op of empty loops runs nowhere but the host.
// CHECK-LABEL: func.func @no_fold
// CHECK: accel.batch_norm {{.*}}accel.fused_into = "qk"
// CHECK-NOT: accel.folded
// CHECK-SAME: accel.roles
// PLACE-LABEL: func.func @no_fold
// PLACE: accel.matmul {{.*}}accel.host_reason = "loop M has extent 0: the op does nothing", {{.*}}accel.unit = "host"
func.func @no_fold(%q: tensor<1x4x8x8xf32>, %k: tensor<1x4x8x8xf32>, %e: tensor<0x4xf32>, %f: tensor<4x4xf32>) -> (tensor<1x4x8x8xf32>, tensor<0x4xf32>) {
  %s = arith.constant dense<1.0> : tensor<4xf32>
  %p = accel.matmul %q, %k : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("qk")
  %n = accel.batch_norm %p, %s, %s, %s, %s : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("bn")
  %z = accel.matmul %e, %f : (tensor<0x4xf32>, tensor<4x4xf32>) -> tensor<0x4xf32> loc("empty")
  return %n, %z : tensor<1x4x8x8xf32>, tensor<0x4xf32>
}
