// --accel-lower-quantized on a quantized conv + relu (the output of
// quantize.mlir): integer mode, float mode, run-time parameters, and what
// it refuses.
// RUN: tandem-opt %s --accel-lower-quantized | FileCheck %s --check-prefix=INT
// RUN: tandem-opt %s --accel-lower-quantized="mode=float" | FileCheck %s --check-prefix=FLOAT
// RUN: tandem-opt %s --accel-lower-quantized="mode=float runtime-parameters" | FileCheck %s --check-prefix=RT
// RUN: not tandem-opt %s --accel-lower-quantized="mode=fast" 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not tandem-opt %s --accel-lower-quantized="runtime-parameters" 2>&1 | FileCheck %s --check-prefix=RTINT
// RUN: tandem-run %s --values input0=0.5 --print | FileCheck %s --check-prefix=EXEC

// qcast: roundeven(x / s) + z in f32, clamped, to i8.
// INT: arith.divf %{{.*}}, %{{.*}} : f32
// INT: math.roundeven
// INT: arith.fptosi %{{.*}} : f32 to i8
// The input's zero point (-128) is subtracted in i16; the filter stays i8.
// INT: arith.subi %{{.*}}, %{{.*}} : i16
// INT: accel.conv2d %{{.*}}, %{{.*}} : (tensor<1x1x4x4xi16>, tensor<2x1x1x2xi8>) -> tensor<1x2x4x3xi32>
// M = 0.01 * (0.5 / 127) / 0.02 = 0.001968... = 1082196480 * 2^-39.
// INT-DAG: arith.constant 1082196480 : i64
// INT-DAG: arith.constant 39 : i64
// INT: arith.addi %{{.*}}, %{{.*}} : i64
// INT: arith.muli
// INT: arith.shrsi
// INT: arith.maxsi
// INT: arith.trunci %{{.*}} : i64 to i8
// relu on the integers: max with the zero point.
// INT: arith.maxsi %{{.*}}, %{{.*}} : i8
// dcast: f32(q - z) * s.
// INT: arith.sitofp %{{.*}} : i64 to f32
// INT-NOT: quant.

// FLOAT: accel.conv2d %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x1x4x4xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x2x4x3xf32>
// FLOAT: math.roundeven
// FLOAT-NOT: quant.

// Four grids: the input's quantization, the conv reading it (again: every
// layer input is a row, so requantizing casts change values, not the
// program), the conv's result, the relu's result.
// RT: func.func @main(%{{.*}}: tensor<1x1x4x4xf32>, %{{.*}}: tensor<4x4xf32>, %{{.*}}: tensor<2x1x1x2xf32>, %{{.*}}: tensor<2xf32>)
// RT-SAME: accel.runtime_parameters = dense<{{\[\[}}0.00999999977, -1.280000e+02, -1.280000e+02, 1.270000e+02], [0.00999999977, -1.280000e+02, -1.280000e+02, 1.270000e+02], [2.000000e-02, -1.280000e+02, -1.280000e+02, 1.270000e+02], [2.000000e-02, -1.280000e+02, -1.280000e+02, 1.270000e+02]]> : tensor<4x4xf32>
// RT-SAME: accel.runtime_weights = [dense<{{\[\[\[\[}}5.000000e-01, -0.251968503]]], {{\[\[\[}}5.000000e-01, 0.000000e+00]]]]> : tensor<2x1x1x2xf32>, dense<[0.00999999977, 0.000000e+00]> : tensor<2xf32>]
// RT: tensor.extract %{{.*}} : tensor<4x4xf32>

// MODE: mode must be 'integer' or 'float', got 'fast'
// RTINT: runtime-parameters needs mode=float

// x = 0.5 -> q = 50 - 128 = -78 (50 above the zero point). Channel 0:
// acc = 50 * 127 + 50 * -64 + bias 254 = 3404, times m * 2^-n =
// 1082196480 * 2^-39 = 6.70 -> 7 -> 7 - 128 = -121 -> (-121 + 128) * 0.02 =
// 0.14. Channel 1: 50 * 127 = 6350 -> 12.49999995 (the fixed-point
// multiplier is a hair below 0.01 * 0.5 / 127 / 0.02, whose exact product
// would be the tie 12.5) -> 12 -> 0.24.
// EXEC: 0.14, 0.14, 0.14
// EXEC-SAME: 0.24, 0.24, 0.24

!x = !quant.uniform<i8:f32, 0.0099999997764825821:-128>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.0039370078593492508,0.0039370078593492508}>
!b = !quant.uniform<i32:f32:0, {3.9370077713502677E-5,3.9370077713502677E-5}>
!y = !quant.uniform<i8:f32, 0.019999999552965164:-128>
func.func @main(%arg0: tensor<1x1x4x4xf32>) -> tensor<1x2x4x3xf32> {
  %0 = quant.qcast %arg0 : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!x>
  %cst = arith.constant dense<[[[[127, -64]]], [[[127, 0]]]]> : tensor<2x1x1x2xi8>
  %1 = quant.scast %cst : tensor<2x1x1x2xi8> to tensor<2x1x1x2x!w>
  %cst_0 = arith.constant dense<[254, 0]> : tensor<2xi32>
  %2 = quant.scast %cst_0 : tensor<2xi32> to tensor<2x!b>
  %3 = accel.conv2d %0, %1, %2 : (tensor<1x1x4x4x!x>, tensor<2x1x1x2x!w>, tensor<2x!b>) -> tensor<1x2x4x3x!y>
  %4 = accel.relu %3 : (tensor<1x2x4x3x!y>) -> tensor<1x2x4x3x!y>
  %5 = quant.dcast %4 : tensor<1x2x4x3x!y> to tensor<1x2x4x3xf32>
  return %5 : tensor<1x2x4x3xf32>
}

