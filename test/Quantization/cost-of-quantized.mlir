// A quantized Gemm costs at its storage widths through the workload model:
// 4-bit weights and activations on BitFusion, the i32 accumulator leaving
// the array requantized to 4 bits. The saving of writing 4-bit instead of
// 32-bit outputs belongs to the array, so no part of the total is negative.
// RUN: tandem-opt %s --accel-cost-report="target=bitfusion" -o /dev/null | FileCheck %s
// RUN: tandem-opt %s --accel-cost-report="target=bitfusion format=json" -o /dev/null \
// RUN:   | %python -c "import json, sys; print(json.load(sys.stdin)['ops'][0]['bits'])" | FileCheck %s --check-prefix=WIDTHS
// CHECK: matmul     array
// CHECK-NEXT: fused: {{.*}}(add), {{.*}}(relu)
// CHECK: by part: array {{[0-9]+}} cycles ({{.*}}), {{[0-9.]+}} uJ ({{.*}}); output_stage {{[0-9]+}} cycles ({{.*}}), {{[0-9.]+}} uJ
// The array multiplies 4-bit operands into its i32 accumulator.
// WIDTHS: {'input': 4, 'output': 32, 'weight': 4}

!a = !quant.uniform<i4:f32, 0.1:-8>
!w = !quant.uniform<i4<-7:7>:f32:1, {0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05}>
!acc = !quant.uniform<i32:f32:1, {0.005,0.005,0.005,0.005,0.005,0.005,0.005,0.005}>
!bias = !quant.uniform<i32:f32:0, {0.005,0.005,0.005,0.005,0.005,0.005,0.005,0.005}>
func.func @main(%x: tensor<64x256xf32>) -> tensor<64x8xf32> {
  %q = quant.qcast %x : tensor<64x256xf32> to tensor<64x256x!a>
  %wi = arith.constant dense<3> : tensor<256x8xi4>
  %w = quant.scast %wi : tensor<256x8xi4> to tensor<256x8x!w>
  %bi = arith.constant dense<1> : tensor<8xi32>
  %b = quant.scast %bi : tensor<8xi32> to tensor<8x!bias>
  %m = accel.matmul %q, %w : (tensor<64x256x!a>, tensor<256x8x!w>) -> tensor<64x8x!acc> loc("gemm")
  %s = accel.add %m, %b : (tensor<64x8x!acc>, tensor<8x!bias>) -> tensor<64x8x!a> loc("gemm")
  %r = accel.relu %s : (tensor<64x8x!a>) -> tensor<64x8x!a> loc("relu")
  %y = quant.dcast %r : tensor<64x8x!a> to tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}
