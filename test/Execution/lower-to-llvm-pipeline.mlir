// RUN: tandem-opt %s --accel-lower-to-llvm | FileCheck %s --implicit-check-not=accel. --implicit-check-not=linalg. --implicit-check-not=tensor. --implicit-check-not=memref. --implicit-check-not=scf.
// RUN: tandem-opt %s --accel-lower-to-llvm="blas=false" | FileCheck %s --check-prefix=LOOPS --implicit-check-not=sgemm
// RUN: tandem-opt %s --accel-lower-to-llvm | mlir-translate --mlir-to-llvmir > /dev/null

// The whole pipeline ends in the LLVM dialect only (the module translates to
// LLVM IR). The convolution runs as im2col + one BLAS call; buffers come from
// the runtime's caching allocator.
// CHECK: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// CHECK: llvm.func private @tandem_sgemm(
// CHECK: llvm.call @_mlir_ciface_tandem_sgemm(
// CHECK: llvm.func @main(
// CHECK: llvm.call @tandem_sgemm(
// CHECK: llvm.call @_mlir_memref_to_llvm_free(

// Without BLAS the product is plain loops.
// LOOPS: llvm.func @main(
// LOOPS: llvm.fmul
// LOOPS: llvm.fadd
func.func @main(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = accel.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = accel.relu %0 : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %1 : tensor<1x4x6x6xf32>
}
